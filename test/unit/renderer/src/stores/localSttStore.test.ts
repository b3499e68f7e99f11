import { beforeEach, describe, expect, it } from 'vitest'
import type { ModelInfo, ModelProgress } from '../../../../../src/shared/contract/models'
import type { Transcript } from '../../../../../src/shared/contract/transcript'
import { useAppStore } from '../../../../../src/renderer/src/stores/appStore'
import { MAX_TRANSCRIPTS, useLocalSttStore } from '../../../../../src/renderer/src/stores/localSttStore'
import { fakeVoiceApi } from '../../../../helpers/fakeVoiceApi'

const model = (state: ModelInfo['state'], receivedBytes = 0): ModelInfo => ({
  id: 'moonshine-tiny',
  name: 'Moonshine Tiny',
  engine: 'moonshine',
  language: 'en',
  description: '',
  license: 'MIT',
  licenseUrl: '',
  sizeBytes: 100,
  state,
  receivedBytes,
  error: null
})
const progress = (state: ModelProgress['state'], receivedBytes: number): ModelProgress => ({ modelId: 'moonshine-tiny', state, receivedBytes, totalBytes: 100, error: null })
const transcript = (utteranceId: number): Transcript => ({ utteranceId, text: `t${utteranceId}`, source: 'local', engine: 'moonshine', audioMs: 1000, transcriptionMs: 50, error: null })
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 0))

beforeEach(() => {
  useLocalSttStore.setState({ models: [], progress: {}, transcripts: [], error: null })
  useAppStore.setState({ api: null })
})

describe('local STT store: the model catalog and the local transcripts', () => {
  it('loads the catalog, follows download progress (a finished one reloads the catalog) and keeps the last transcripts', async () => {
    let catalog = [model('not_installed')]
    const fake = fakeVoiceApi({ listModels: async () => catalog })
    const off = useLocalSttStore.getState().attach(fake.api)
    await settle()
    expect(useLocalSttStore.getState().models).toEqual(catalog)
    fake.emit('modelDownloadProgress', progress('downloading', 40))
    expect(useLocalSttStore.getState().progress['moonshine-tiny']).toMatchObject({ state: 'downloading', receivedBytes: 40 })
    expect(fake.calls.filter((c) => c.method === 'listModels')).toHaveLength(1)
    catalog = [model('installed', 100)]
    fake.emit('modelDownloadProgress', progress('installed', 100))
    await settle()
    expect(fake.calls.filter((c) => c.method === 'listModels')).toHaveLength(2)
    expect(useLocalSttStore.getState().models[0]!.state).toBe('installed')
    for (let i = 1; i <= MAX_TRANSCRIPTS + 2; i++) fake.emit('transcript', transcript(i))
    expect(useLocalSttStore.getState().transcripts.map((t) => t.utteranceId)).toEqual([3, 4, 5, 6, 7, 8, 9, 10])
    off()
    expect(fake.listeners('transcript') + fake.listeners('modelDownloadProgress')).toBe(0)
  })

  it('download, cancel and delete go to the app services; the answer is the new catalog, a refusal is shown', async () => {
    const fake = fakeVoiceApi({
      downloadModel: async () => [model('downloading')],
      cancelDownload: async () => [model('not_installed', 40)],
      deleteModel: async () => {
        throw new Error('model is in use')
      }
    })
    useAppStore.setState({ api: fake.api })
    useLocalSttStore.getState().download('moonshine-tiny')
    await settle()
    expect(useLocalSttStore.getState().models[0]!.state).toBe('downloading')
    useLocalSttStore.getState().cancelDownload('moonshine-tiny')
    await settle()
    expect(useLocalSttStore.getState().models[0]).toMatchObject({ state: 'not_installed', receivedBytes: 40 })
    useLocalSttStore.getState().deleteModel('moonshine-tiny')
    await settle()
    expect(useLocalSttStore.getState().error).toBe('model is in use')
    expect(fake.calls.map((c) => [c.method, c.params])).toEqual([
      ['downloadModel', { id: 'moonshine-tiny' }],
      ['cancelDownload', { id: 'moonshine-tiny' }],
      ['deleteModel', { id: 'moonshine-tiny' }]
    ])
  })
})

import { beforeEach, describe, expect, it } from 'vitest'
import type { ModelInfo, ModelProgress } from '../../../../../src/shared/contract/models'
import type { Transcript } from '../../../../../src/shared/contract/transcript'
import { useAppStore } from '../../../../../src/renderer/src/stores/appStore'
import { noSpeechToTextMessage } from '../../../../../src/server/providers/onDeviceStt'
import { downloadStatus, MAX_TRANSCRIPTS, noticeCoveredBySetup, offeredModel, sttSetupNeeded, useLocalSttStore } from '../../../../../src/renderer/src/stores/localSttStore'
import { useSettingsPageStore } from '../../../../../src/renderer/src/stores/settingsPageStore'
import { applySettingsPatch, defaultSettings } from '../../../../../src/shared/contract/settings'
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
  useLocalSttStore.setState({ models: [], progress: {}, transcripts: [], error: null, cloudKey: null, importing: false, importResult: null, justInstalled: null })
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

const secrets = (stt: boolean) => ({ storage: { available: true, kind: 'file-key' as const, reason: null }, keys: { 'stt.apiKey': stt, 'llm.apiKey': false, 'tts.apiKey': false } })

describe('first-run STT setup (pure)', () => {
  const settings = defaultSettings()
  it('is needed on the app\'s own backend with no cloud STT (key or endpoint) and no model installed', () => {
    expect(sttSetupNeeded({ settings, cloudKey: false, models: [model('not_installed')] })).toBe(true)
    expect(sttSetupNeeded({ settings, cloudKey: false, models: [model('downloading', 40)] })).toBe(true)
    expect(sttSetupNeeded({ settings, cloudKey: false, models: [model('installed', 100)] })).toBe(false)
    expect(sttSetupNeeded({ settings, cloudKey: true, models: [model('not_installed')] })).toBe(false)
    const endpoint = applySettingsPatch(settings, { providers: { stt: { baseUrl: 'http://127.0.0.1:8000/v1' } } })
    expect(sttSetupNeeded({ settings: endpoint, cloudKey: false, models: [model('not_installed')] })).toBe(false)
    const remote = applySettingsPatch(settings, { backend: { mode: 'remote', remoteUrl: 'wss://voice.example/signaling' } })
    expect(sttSetupNeeded({ settings: remote, cloudKey: false, models: [model('not_installed')] })).toBe(false)
  })
  it('says nothing while anything is still unknown', () => {
    expect(sttSetupNeeded({ settings: null, cloudKey: false, models: [model('not_installed')] })).toBe(false)
    expect(sttSetupNeeded({ settings, cloudKey: null, models: [model('not_installed')] })).toBe(false)
    expect(sttSetupNeeded({ settings, cloudKey: false, models: [] })).toBe(false)
  })
  it('the voice loop\'s "no speech-to-text" notice is not repeated as a toast while the setup says it: known by its code, whatever its words', () => {
    for (const message of [noSpeechToTextMessage(null), noSpeechToTextMessage('/home/u/.config/Voice Assistant/models'), `Turn failed: ${noSpeechToTextMessage('/m')}`]) {
      const notice = { level: 'warning', message, code: 'no_speech_to_text' as const }
      expect(noticeCoveredBySetup(notice, true)).toBe(true)
      expect(noticeCoveredBySetup(notice, false)).toBe(false)
      // The same words without the code (an older backend) are shown: nothing is hidden by matching text.
      const uncoded: { level: string; message: string; code?: 'no_speech_to_text' } = { level: 'warning', message }
      expect(noticeCoveredBySetup(uncoded, true)).toBe(false)
    }
    const other: { level: string; message: string; code?: 'no_speech_to_text' } = { level: 'error', message: 'LLM: api.openai.com failed: HTTP 401' }
    expect(noticeCoveredBySetup(other, true)).toBe(false)
  })
  it('offers the recommended model', () => {
    const base = { ...model('not_installed'), id: 'base' }
    expect(offeredModel([base, { ...model('not_installed'), recommended: true }])!.id).toBe('moonshine-tiny')
    expect(offeredModel([base])!.id).toBe('base')
    expect(offeredModel([])).toBeNull()
  })
})

describe('download status (pure)', () => {
  const m = { ...model('downloading', 0), sizeBytes: 32_000_000 }
  const p = (patch: Partial<ModelProgress>): ModelProgress => ({ modelId: 'moonshine-tiny', state: 'downloading', receivedBytes: 8_000_000, totalBytes: 32_000_000, error: null, ...patch })
  it('downloading: a real bar with the amount, speed and time left', () => {
    expect(downloadStatus(m, p({ bytesPerSecond: 2_000_000, secondsLeft: 12 }))).toEqual({ state: 'downloading', percent: 25, amount: '8.0 MB of 32.0 MB', rate: '2.0 MB/s · 12 s left', message: null })
    expect(downloadStatus(m, p({})).rate).toBe('measuring speed…')
  })
  it('a dropped or stalled transfer says it is resuming by itself, with the attempt', () => {
    expect(downloadStatus(m, p({ retry: { attempt: 2, maxAttempts: 5, inMs: 500, reason: 'the download of x was interrupted (socket hang up)' } }))).toMatchObject({ state: 'resuming', message: 'Connection dropped, resuming… (attempt 2 of 5)' })
    expect(downloadStatus(m, p({ retry: { attempt: 1, maxAttempts: 5, inMs: 250, reason: 'the download of x stalled (no data for 30 s)' } })).message).toBe('The download stalled, resuming… (attempt 1 of 5)')
  })
  it('after an error it shows the error (it says what to do); a partial download, an install', () => {
    const failed = { ...model('not_installed', 8_000_000), sizeBytes: 32_000_000 }
    expect(downloadStatus(failed, p({ state: 'error', error: 'x failed its checksum; the file was deleted' }))).toMatchObject({ state: 'error', message: 'x failed its checksum; the file was deleted', percent: 25 })
    expect(downloadStatus(failed, undefined)).toMatchObject({ state: 'partial', amount: '8.0 MB of 32.0 MB' })
    expect(downloadStatus({ ...model('installed', 100) }, undefined)).toMatchObject({ state: 'installed', percent: 100 })
  })
})

describe('local STT store: import and cloud key', () => {
  it('imports from a path: the new catalog and a sentence; a refusal shows the service\'s reason', async () => {
    let fail = true
    const fake = fakeVoiceApi({
      importModel: async () => {
        if (fail) throw new Error('/media/usb/m.zip is a zip archive, which the app cannot read: unpack it and import the folder')
        return { id: 'moonshine-tiny', name: 'Moonshine Tiny', models: [model('installed', 100)] }
      },
      chooseModelSource: async () => {
        throw new Error('no file dialog here: type the path of the folder or archive')
      }
    })
    useAppStore.setState({ api: fake.api })
    expect(await useLocalSttStore.getState().importFrom('/media/usb/m.zip')).toBe(false)
    expect(useLocalSttStore.getState().importResult).toEqual({ ok: false, message: expect.stringMatching(/unpack it and import the folder/) })
    fail = false
    expect(await useLocalSttStore.getState().importFrom('/media/usb/moonshine')).toBe(true)
    expect(useLocalSttStore.getState()).toMatchObject({ importing: false, justInstalled: 'moonshine-tiny', importResult: { ok: true, message: 'Moonshine Tiny was verified and installed.' } })
    expect(useLocalSttStore.getState().models[0]!.state).toBe('installed')
    expect(await useLocalSttStore.getState().chooseSource('folder')).toBeNull()
    expect(useLocalSttStore.getState().importResult?.message).toMatch(/type the path/)
  })

  it('learns whether a cloud STT key is stored at attach and from the settings dialog', async () => {
    const fake = fakeVoiceApi({ listModels: async () => [model('not_installed')], getSecretsStatus: async () => secrets(false) })
    const off = useLocalSttStore.getState().attach(fake.api)
    await settle()
    expect(useLocalSttStore.getState().cloudKey).toBe(false)
    useSettingsPageStore.setState({ secrets: secrets(true) })
    expect(useLocalSttStore.getState().cloudKey).toBe(true)
    off()
    useSettingsPageStore.setState({ secrets: secrets(false) })
    expect(useLocalSttStore.getState().cloudKey).toBe(true) // unsubscribed
  })
})

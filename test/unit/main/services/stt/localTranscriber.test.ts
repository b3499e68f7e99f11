import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { Transcript } from '../../../../../src/shared/contract/transcript'
import { startBrowserApp, type BrowserApp } from '../../../../helpers/browserApp'
import { SpeechCorpus } from '../../../../helpers/speech'
import { writeTestMoonshine } from '../../../../helpers/moonshineTestModel'

/** AppCore with no backend running: each utterance the VAD commits is transcribed on the device. */
describe('failover to the on-device STT', () => {
  let corpus: SpeechCorpus
  let speech: Float32Array
  let app: BrowserApp | null = null
  beforeAll(async () => {
    corpus = await SpeechCorpus.create()
    speech = (await corpus.clip({ leadMs: 500, parts: [{ text: 'Turn on the kitchen lights', voice: 'en-us', rate: 170 }], trailMs: 1200 })).samples
  })
  afterAll(() => corpus.dispose())
  afterEach(async () => {
    await app?.close()
    app = null
  })

  async function speak(a: BrowserApp): Promise<Transcript> {
    const got = new Promise<Transcript>((resolve) => a.core.events.on('transcript', resolve))
    for (let i = 0; i < speech.length; i += 512) a.core.vad.pushAudio(speech.slice(i, i + 512))
    return Promise.race([got, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no transcript within 15 s')), 15_000))])
  }

  it('says so, and how to fix it, when no model is installed', async () => {
    app = await startBrowserApp({ autoStartBackend: false })
    const t = await speak(app)
    expect(t).toMatchObject({ source: 'local', text: '', engine: 'none' })
    expect(t.error).toMatch(/No on-device speech model is installed/)
    const models = await app.core.dispatch('listModels', {})
    expect(models).toMatchObject({ ok: true, result: [{ id: 'moonshine-tiny-q8', state: 'not_installed' }, { id: 'moonshine-base-q8', state: 'not_installed' }] })
  })

  it('transcribes with the installed model when the backend is unreachable', async () => {
    app = await startBrowserApp({ autoStartBackend: false })
    const dir = join(app.userDataDir, 'models', 'moonshine-tiny-q8')
    const model = await writeTestMoonshine(dir)
    await writeFile(join(dir, 'manifest.json'), JSON.stringify({ id: 'moonshine-tiny-q8' }))
    const t = await speak(app)
    expect(t).toMatchObject({ source: 'local', engine: 'moonshine-tiny-q8', text: model.expectedText, error: null })
    expect(t.audioMs).toBeGreaterThan(1500)
  })
})

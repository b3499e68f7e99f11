import { mkdirSync } from 'node:fs'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { VoiceTurnsDebug } from '../../src/renderer/src/media/voiceTurns'
import { repoRoot, startBrowserApp, type BrowserApp } from '../helpers/browserApp'
import { chromiumMissingReason } from '../helpers/chromium'
import { downloadExportedTurns, LEAD_MS, openListeningPage, voiceTurnsDebug, type ExportedTurn } from '../helpers/spokenTurnPage'
import { installTestMoonshine } from '../helpers/moonshineTestModel'
import { SpeechCorpus } from '../helpers/speech'

const missing = chromiumMissingReason()
const shots = join(repoRoot, 'test-results', 'screenshots')

/**
 * It hears you out of the box: NO speech-to-text endpoint is configured, and the on-device model is installed in the
 * app's `<userData>/models` (the small scripted Moonshine stand-in, which spells "what is twelve times seven" with
 * the tokenizer it ships). The fake mic asks the question in espeak-ng's voice → the app's VAD and WebRTC → the
 * embedded backend's on-device engine (its STT worker thread) → the embedded skills → espeak-ng → the reply heard
 * in the page; the overlay's provider line names the on-device engine.
 */
describe.skipIf(missing)('voice loop with on-device speech recognition, no STT endpoint (browser mode)', () => {
  let app: BrowserApp
  let corpus: SpeechCorpus
  let browser: Browser | null = null
  let page: Page

  beforeAll(async () => {
    mkdirSync(shots, { recursive: true })
    corpus = await SpeechCorpus.create()
    const userDataDir = await mkdtemp(join(tmpdir(), 'va-on-device-'))
    await installTestMoonshine(join(userDataDir, 'models'), 'moonshine-tiny-q8', { words: ['what', 'is', 'twelve', 'times', 'seven'] })
    app = await startBrowserApp({ userDataDir })
    // Hands-free: the fake mic talks and the app's VAD hears it (push-to-talk would wait for the talk key).
    await app.core.settings.update({ listening: { mode: 'hands-free' } })
  })

  afterAll(async () => {
    await browser?.close()
    await app?.close()
    await corpus?.dispose()
  })

  const debug = (): Promise<VoiceTurnsDebug> => voiceTurnsDebug(page)
  const exportedTurns = (): Promise<ExportedTurn[]> => downloadExportedTurns(page)

  it('answers a spoken question transcribed on the device; the overlay names the on-device engine', async () => {
    // Nothing configured for STT: no endpoint, no key.
    expect(app.core.settings.get().providers.stt.baseUrl).toBeNull()
    expect(app.core.secrets.get('stt.apiKey')).toBeNull()
    const clip = await corpus.clip({ leadMs: LEAD_MS, parts: [{ text: 'What is twelve times seven?', rate: 165 }], trailMs: 14_000 })
    ;({ browser, page } = await openListeningPage(app.server.url, await corpus.writeWav('on-device-question', clip.samples, { rate: 48_000 })))

    await expect.poll(async () => (await debug()).playouts.length, { timeout: 45_000, interval: 200 }).toBeGreaterThan(0)
    await expect.poll(async () => (await exportedTurns()).some((t) => t.status === 'done' && t.breakdown.e2eMs !== null), { timeout: 45_000, interval: 500 }).toBe(true)
    const turn = (await exportedTurns()).find((t) => t.status === 'done' && t.breakdown.e2eMs !== null)!
    expect(turn.transcript).toBe('what is twelve times seven')
    expect(turn.providers?.stt).toBe('on-device Moonshine Tiny')
    expect(turn.providers?.llm).toBe('Embedded skills (offline)')
    expect(turn.providers?.tts).toMatch(/espeak-ng/)
    expect(turn.reply).toBe('12 times 7 is 84.') // espeak-ng says "twelve times seven is eighty four"
    // Heard: well over half a second of audible reply in the page.
    await expect.poll(async () => (await debug()).replyAudibleMs, { timeout: 10_000 }).toBeGreaterThan(800)
    // The export carries the metric names: LiveKit's transcription_delay (never negative) and stt_compute_ms.
    expect(turn.breakdown.metrics.transcription_delay).toBeGreaterThanOrEqual(0)
    expect(turn.breakdown.metrics.stt_compute_ms).toBe(turn.compute?.stt)
    expect(turn.breakdown.metrics.stt_compute_ms).toBeGreaterThan(0)
    // The overlay's provider line names the on-device engine, like any other provider.
    await expect.poll(async () => page.getByTestId('latency-overlay').textContent(), { timeout: 10_000 }).toContain('STT: on-device Moonshine Tiny')
    expect(await page.locator('.lo-metrics').textContent()).toMatch(/transcription_delay \d+ ms.*stt_compute_ms \d+ ms/)
    // No notice that speech recognition is missing (the notices list is not shown at all when there are none).
    const notices = page.getByTestId('notices')
    expect((await notices.count()) ? await notices.textContent() : '').not.toMatch(/speech-to-text/i)
    await page.locator('[data-testid="latency-overlay"]').screenshot({ path: join(shots, 'on-device-stt-overlay.png') })
    console.log(
      `on-device voice loop e2e: e2e_latency ${Math.round(turn.breakdown.e2eMs!)} ms, transcription_delay ${Math.round(turn.breakdown.metrics.transcription_delay!)} ms, stt_compute_ms ${Math.round(turn.compute!.stt!)} ms; stages ${turn.breakdown.stages.map((s) => `${s.stage}=${Math.round(s.durationMs)}`).join(' ')}`
    )
  })
})

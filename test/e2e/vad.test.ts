import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startBrowserApp, type BrowserApp } from '../helpers/browserApp'
import { chromiumMissingReason, launchChromium } from '../helpers/chromium'
import { SpeechCorpus } from '../helpers/speech'
import type { VadEvent } from '../../src/shared/contract/voice'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { writeTestMoonshine } from '../helpers/moonshineTestModel'

const missing = chromiumMissingReason()

/**
 * Chromium's fake microphone plays an espeak-ng WAV → the renderer's capture tap (AudioWorklet, 16 kHz frames) →
 * binary frames on the api WebSocket → the main-process VAD worker (Silero + endpointing) → vadEvent events back in
 * the page.
 */
describe.skipIf(missing)('local VAD in browser mode', () => {
  let app: BrowserApp
  let browser: Browser
  let page: Page
  let corpus: SpeechCorpus
  const seen: VadEvent[] = []

  beforeAll(async () => {
    corpus = await SpeechCorpus.create()
    const clip = await corpus.clip({ leadMs: 1000, parts: [{ text: 'Hey assistant, what time is it in Tokyo', voice: 'en-us', rate: 165 }], trailMs: 2500 })
    // 48 kHz, like a real device, so the tap's resampling is exercised.
    const wav = await corpus.writeWav('fake-mic', clip.samples, { rate: 48000 })
    app = await startBrowserApp({ autoStartBackend: false })
    app.core.events.on('vadEvent', (e) => seen.push(e))
    browser = await launchChromium({ fakeMicWav: wav })
    page = await browser.newPage()
    await page.goto(app.server.url)
    await page.waitForSelector('.app[data-ready="true"]')
    await page.click('[data-testid="view-diagnostics"]')
  })

  afterAll(async () => {
    await browser?.close()
    await app?.close()
    await corpus?.dispose()
  })

  it('shows speech_start and end_of_utterance from the main-process VAD', async () => {
    await page.getByTestId('vad-start').click()
    await page.waitForSelector('[data-testid="vad-events"] li[data-event="speech_start"]', { timeout: 20_000 })
    await page.waitForSelector('[data-testid="vad-events"] li[data-event="end_of_utterance"]', { timeout: 20_000 })
    const items = await page.locator('[data-testid="vad-events"] li').evaluateAll((lis) => lis.map((li) => li.getAttribute('data-event')))
    const firstStart = items.indexOf('speech_start')
    // The early speech_end (96 ms of silence) also fires in gaps between words; each is withdrawn by speech_resume.
    const utterance = items.slice(firstStart, items.indexOf('end_of_utterance', firstStart) + 1)
    expect(utterance[0]).toBe('speech_start')
    expect(utterance.slice(-2)).toEqual(['speech_end', 'end_of_utterance'])
    expect(utterance.slice(1, -2).join(' ')).toMatch(/^(?:speech_end speech_resume ?)*$/)
    await expect(page.getByTestId('vad-events').textContent()).resolves.toMatch(/end_of_utterance_delay \d+ ms/)
    // The same events, checked on the service side: one utterance of about the spoken length (~2.3 s).
    const eou = seen.find((e): e is Extract<VadEvent, { type: 'end_of_utterance' }> => e.type === 'end_of_utterance')!
    expect(eou.endMs - eou.startMs).toBeGreaterThan(1500)
    expect(eou.endMs - eou.startMs).toBeLessThan(3500)
    // No backend and no on-device model: the failover says so and offers the download.
    await page.waitForSelector('[data-testid="stt-no-model"].detail-error', { timeout: 15_000 })
    await expect(page.getByTestId('stt-no-model').textContent()).resolves.toMatch(/no on-device model is installed/)
    await expect(page.getByTestId('model-download-moonshine-tiny-q8').isVisible()).resolves.toBe(true)
    await page.getByTestId('vad-stop').click()
    await expect(page.getByTestId('vad-state').textContent()).resolves.toBe('off')
  })

  it('with an on-device model installed, the next utterance is transcribed locally into the same UI', async () => {
    const dir = join(app.userDataDir, 'models', 'moonshine-tiny-q8')
    const model = await writeTestMoonshine(dir)
    await writeFile(join(dir, 'manifest.json'), JSON.stringify({ id: 'moonshine-tiny-q8' }))
    await page.reload()
    await page.waitForSelector('.app[data-ready="true"]')
    await page.waitForSelector('[data-testid="stt-models"] li[data-state="installed"]')
    await page.getByTestId('vad-start').click()
    await page.waitForSelector('[data-testid="stt-transcripts"] li[data-error="false"]', { timeout: 30_000 })
    await expect(page.getByTestId('stt-transcripts').textContent()).resolves.toContain(model.expectedText)
    await page.getByTestId('vad-stop').click()
  })

  it('refuses malformed binary frames with a clear error and keeps serving', async () => {
    const u = new URL(app.server.url)
    const answers = await page.evaluate(async (url) => {
      const ws = new WebSocket(url)
      ws.binaryType = 'arraybuffer'
      await new Promise((r) => (ws.onopen = r))
      const got: string[] = []
      ws.onmessage = (ev) => got.push(ev.data as string)
      ws.send(new Uint8Array([1, 2, 3]))
      ws.send(new Float32Array([0.1, Number.NaN]))
      ws.send(JSON.stringify({ type: 'request', id: 7, method: 'getVadStatus', params: {} }))
      await new Promise((r) => setTimeout(r, 1000))
      ws.close()
      return got
    }, `ws://${u.host}/api?token=${app.server.token}`)
    expect(answers[0]).toMatch(/not whole float32 samples/)
    expect(answers[1]).toMatch(/not a finite number/)
    expect(JSON.parse(answers[2]!)).toMatchObject({ id: 7, outcome: { ok: true, result: { state: 'ready' } } })
  })
})

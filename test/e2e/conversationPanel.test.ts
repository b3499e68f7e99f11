import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { speechWav } from '../helpers/audioFixtures'
import { startBrowserApp, type BrowserApp } from '../helpers/browserApp'
import { chromiumMissingReason, launchChromium } from '../helpers/chromium'
import { readWavMono16 } from '../helpers/mediaHarness'

const missing = chromiumMissingReason()

/**
 * The real app UI in browser mode (built renderer from `npx electron-vite build`, real AppCore and embedded backend):
 * the conversation connects by itself (push-to-talk, the default), Diagnostics switches it to the echo pipeline, the
 * user holds the talk button while the fake mic speaks a sentence, and the echoed sentence is heard on the window's
 * reply <audio> element (analysed in the page with WebAudio), and only after talking started (push-to-talk keeps the
 * mic silent before).
 */
describe.skipIf(missing)('Conversation (browser mode): connects by itself, push-to-talk, echo heard', () => {
  let app: BrowserApp
  let browser: Browser
  let page: Page
  let loopMs = 0

  beforeAll(async () => {
    const wav = speechWav('Testing the conversation panel, one two three.', { padStartS: 0.3, padEndS: 1.2 })
    loopMs = (readWavMono16(wav).samples.length / 48_000) * 1000
    app = await startBrowserApp()
    browser = await launchChromium({ fakeMicWav: wav })
    page = await browser.newPage()
    await page.goto(app.server.url)
    await page.waitForSelector('.app[data-ready="true"]', { timeout: 15_000 })
  })
  afterAll(async () => {
    await browser?.close()
    await app?.close()
  })

  it('hears the echoed utterance after holding the talk button', async () => {
    // No Connect press: the window joins the backend once it is ready.
    await page.waitForFunction(() => document.querySelector('[data-testid="connection-state"]')?.textContent === 'Connected', undefined, { timeout: 60_000 })
    await page.click('[data-testid="view-diagnostics"]')
    await page.selectOption('[data-testid="conversation-pipeline"]', 'echo')
    await page.waitForFunction(() => document.querySelector('[data-testid="conversation-panel"] .status')?.textContent?.trim() === 'connected', undefined, { timeout: 30_000 })
    expect(await page.textContent('[data-testid="conversation-media"]')).toContain('send connected')
    await page.click('[data-testid="view-conversation"]')

    // Level meter on the reply element's stream: the loudest RMS per 50 ms window since it started.
    await page.evaluate(() => {
      const el = document.querySelector('[data-testid="conversation-reply"]') as HTMLAudioElement
      const ctx = new AudioContext()
      const analyser = ctx.createAnalyser()
      analyser.fftSize = 2048
      ctx.createMediaStreamSource(el.srcObject as MediaStream).connect(analyser)
      const buf = new Float32Array(analyser.fftSize)
      const w = window as unknown as { replyLevels: number[] }
      w.replyLevels = []
      setInterval(() => {
        analyser.getFloatTimeDomainData(buf)
        w.replyLevels.push(Math.sqrt(buf.reduce((s, x) => s + x * x, 0) / buf.length))
      }, 50)
    })
    await new Promise((r) => setTimeout(r, 1500))
    const beforeTalk = await page.evaluate(() => Math.max(0, ...(window as unknown as { replyLevels: number[] }).replyLevels))

    // Hold to talk for a loop and a half of the fake mic (a whole sentence plus the silence that ends it).
    const talk = page.locator('[data-testid="conversation-talk"]')
    await talk.hover()
    await page.mouse.down()
    await page.waitForFunction(() => document.querySelector('[data-testid="conversation-talk"]')?.textContent?.includes('Talking'), undefined, { timeout: 5000 })
    await new Promise((r) => setTimeout(r, loopMs * 1.5))
    await page.mouse.up()
    const start = await page.evaluate(() => (window as unknown as { replyLevels: number[] }).replyLevels.length)
    await page.waitForFunction((from) => (window as unknown as { replyLevels: number[] }).replyLevels.slice(from).some((v) => v > 0.02), start - Math.round((loopMs * 1.5) / 50), { timeout: 15_000 })
    const levels = await page.evaluate(() => (window as unknown as { replyLevels: number[] }).replyLevels)
    const loudWindows = levels.filter((v) => v > 0.02).length
    console.log(`reply level before talking ${beforeTalk.toFixed(4)}; loud 50 ms windows after ${loudWindows}, peak ${Math.max(...levels).toFixed(3)}`)
    expect(beforeTalk).toBeLessThan(0.01)
    expect(loudWindows).toBeGreaterThanOrEqual(10) // at least half a second of echoed speech
    await page.click('[data-testid="view-diagnostics"]')
    expect(await page.textContent('[data-testid="conversation-media"]')).toContain('receive connected')
    // Disconnect keeps it off (no auto-connect behind the user's back) until Connect.
    await page.click('[data-testid="conversation-disconnect"]')
    await page.waitForSelector('[data-testid="conversation-connect"]')
    await page.waitForTimeout(1500)
    expect(await page.textContent('[data-testid="connection-state"]')).not.toBe('Connected')
    await page.click('[data-testid="conversation-connect"]')
    await page.waitForFunction(() => document.querySelector('[data-testid="connection-state"]')?.textContent === 'Connected', undefined, { timeout: 30_000 })
  })
})

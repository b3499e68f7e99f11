import { execFileSync } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HISTORY_STORAGE_KEY } from '../../src/renderer/src/stores/historyStore'
import { startBrowserApp, type BrowserApp } from '../helpers/browserApp'
import { chromiumMissingReason, launchChromium } from '../helpers/chromium'

const missing = chromiumMissingReason()

/** Silence as the fake microphone (48 kHz mono): the talk key is exercised without anything being said. */
function silenceWav(): string {
  const out = join(mkdtempSync(join(tmpdir(), 'va-silence-')), 'silence.wav')
  execFileSync('sox', ['-n', '-r', '48000', '-c', '1', '-b', '16', out, 'trim', '0', '4'])
  return out
}

/**
 * The conversation-first window in browser mode (built renderer, real AppCore, embedded backend): it connects by
 * itself, a typed question is answered through the same LLM → TTS chain (embedded skills, espeak-ng) and shows in the
 * history with its latency chip, the history survives a reload and can be cleared, the talk button works by keyboard
 * and pointer, Diagnostics is one click away, and it joins again after a backend restart and a wake signal.
 */
describe.skipIf(missing)('conversation window (browser mode)', () => {
  let app: BrowserApp
  let browser: Browser
  let page: Page
  const state = (p: Page = page): Promise<string | null> => p.getAttribute('[data-testid="assistant-stage"]', 'data-state')
  const talkText = (): Promise<string | null> => page.textContent('[data-testid="conversation-talk"]')
  const connected = (p: Page = page): Promise<unknown> => p.waitForFunction(() => document.querySelector('[data-testid="connection-state"]')?.textContent === 'Connected', undefined, { timeout: 60_000 })

  beforeAll(async () => {
    app = await startBrowserApp()
    browser = await launchChromium({ fakeMicWav: silenceWav() })
    page = await browser.newPage({ viewport: { width: 1180, height: 900 } })
    await page.goto(app.server.url)
    await page.waitForSelector('.app[data-ready="true"]', { timeout: 15_000 })
  })
  afterAll(async () => {
    await browser?.close()
    await app?.close()
  })

  it('connects by itself at launch: the centre says Ready, the talk button is live, there is no Connect button', async () => {
    await connected()
    await expect.poll(() => page.textContent('[data-testid="assistant-state"]')).toBe('Ready')
    expect(await state()).toBe('idle')
    expect(await page.isEnabled('[data-testid="conversation-talk"]')).toBe(true)
    expect(await page.locator('[data-testid="conversation-connect"]').count()).toBe(0)
    expect(await page.textContent('[data-testid="history-empty"]')).toMatch(/stays on this computer/)
  })

  it('a typed question is answered aloud; the history shows it typed with the reply and a latency chip that opens its waterfall', async () => {
    await page.evaluate(() => {
      const states: string[] = ((window as unknown as { states: string[] }).states = [])
      new MutationObserver(() => {
        const s = document.querySelector('[data-testid="assistant-stage"]')?.getAttribute('data-state')
        if (s && states.at(-1) !== s) states.push(s)
      }).observe(document.body, { subtree: true, attributes: true, attributeFilter: ['data-state'] })
    })
    await page.fill('[data-testid="composer-input"]', 'what is twelve times seven')
    await page.keyboard.press('Enter')
    expect(await page.inputValue('[data-testid="composer-input"]')).toBe('')
    const turn = page.locator('[data-testid="history-turn"][data-typed="true"]')
    await expect.poll(() => turn.count(), { timeout: 5000 }).toBe(1)
    expect(await turn.locator('.bubble.user .said').textContent()).toBe('what is twelve times seven')
    await expect.poll(() => turn.getAttribute('data-status'), { timeout: 30_000 }).toBe('done')
    expect(await turn.locator('.bubble.assistant .said').textContent()).toMatch(/84/)
    // It was spoken: the centre went through thinking and speaking, and came back to Ready.
    await expect.poll(() => page.evaluate(() => (window as unknown as { states: string[] }).states), { timeout: 15_000 }).toEqual(expect.arrayContaining(['thinking', 'speaking']))
    await expect.poll(() => state(), { timeout: 15_000 }).toBe('idle')
    const chip = turn.locator('[data-testid="latency-chip"]')
    await expect.poll(() => chip.count(), { timeout: 15_000 }).toBe(1)
    expect(await chip.textContent()).toMatch(/^\d+ ms$/)
    expect(await chip.getAttribute('aria-label')).toMatch(/from send to first sound/)
    await chip.click()
    await page.waitForSelector('[data-testid="turn-latency-dialog"][open]')
    expect(await page.evaluate(() => document.querySelector('[data-testid="turn-latency-dialog"]')?.matches(':modal'))).toBe(true)
    expect(await page.textContent('[data-testid="turn-latency-dialog"] [data-testid="turn-typed"]')).toBe('typed')
    expect(await page.locator('[data-testid="turn-latency-dialog"] .lo-waterfall [data-stage]').count()).toBe(8)
    expect(await page.textContent('[data-testid="turn-latency-dialog"] [data-stage="turn"] .lo-value')).toBe('—') // typed: no turn decision
    expect(await page.textContent('[data-testid="turn-latency-dialog"]')).toContain('STT: typed (no STT)')
    await page.keyboard.press('Escape')
    await page.waitForSelector('[data-testid="turn-latency-dialog"]:not([open])', { state: 'attached' })
    expect(await page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.testid)).toBe('latency-chip')
    // The overlay beside the conversation marks the turn typed too.
    expect(await page.textContent('[data-testid="latency-overlay"] [data-testid="turn-typed"]')).toBe('typed')
  })

  it('the history survives a reload of the window and can be cleared; it is kept in this tab only', async () => {
    await page.reload()
    await page.waitForSelector('.app[data-ready="true"]')
    await expect.poll(() => page.locator('[data-testid="history-turn"]').count()).toBe(1)
    expect(await page.textContent('[data-testid="history-turn"] .bubble.assistant .said')).toMatch(/84/)
    expect(await page.evaluate((key) => sessionStorage.getItem(key) !== null && localStorage.length === 0, HISTORY_STORAGE_KEY)).toBe(true)
    await page.click('[data-testid="history-clear"]')
    await page.waitForSelector('[data-testid="history-empty"]')
    await page.reload()
    await page.waitForSelector('.app[data-ready="true"]')
    expect(await page.locator('[data-testid="history-turn"]').count()).toBe(0)
    await connected()
  })

  it('the talk button by keyboard: Space held is hold-to-talk, Enter toggles, Escape cancels', async () => {
    await page.focus('[data-testid="conversation-talk"]')
    await page.keyboard.down('Space')
    await expect.poll(talkText, { timeout: 10_000 }).toBe('Talking…')
    await expect.poll(() => state(), { timeout: 10_000 }).toBe('listening')
    await page.waitForTimeout(700)
    await page.keyboard.up('Space')
    await expect.poll(talkText, { timeout: 10_000 }).toBe('Hold to talk')
    // Enter on the page with nothing focused: start, and again to send.
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur())
    await page.waitForTimeout(400)
    await page.keyboard.press('Enter')
    await expect.poll(talkText, { timeout: 10_000 }).toBe('Talking…')
    await page.waitForTimeout(500)
    await page.keyboard.press('Enter')
    await expect.poll(talkText, { timeout: 10_000 }).toBe('Hold to talk')
    await page.waitForTimeout(400)
    await page.keyboard.press('Enter')
    await expect.poll(talkText, { timeout: 10_000 }).toBe('Talking…')
    await page.keyboard.press('Escape')
    await expect.poll(talkText, { timeout: 10_000 }).toBe('Hold to talk')
    // Typing in the text box is never talking.
    await page.focus('[data-testid="composer-input"]')
    await page.keyboard.type('a b')
    await page.waitForTimeout(300)
    expect(await talkText()).toBe('Hold to talk')
    await page.fill('[data-testid="composer-input"]', '')
  })

  it('the talk button by pointer: held is hold-to-talk, a click latches listening until the next click', async () => {
    await page.waitForTimeout(400)
    await page.click('[data-testid="conversation-talk"]')
    await expect.poll(talkText, { timeout: 10_000 }).toBe('Talking…')
    await page.waitForTimeout(800)
    expect(await talkText()).toBe('Talking…')
    await page.click('[data-testid="conversation-talk"]')
    await expect.poll(talkText, { timeout: 10_000 }).toBe('Hold to talk')
  })

  it('honours prefers-reduced-motion: the listening ring does not pulse', async () => {
    const listeningRing = async (p: Page): Promise<string> => {
      await p.evaluate(() => (document.activeElement as HTMLElement | null)?.blur())
      await p.waitForTimeout(400)
      await p.keyboard.press('Enter')
      await expect.poll(() => state(p), { timeout: 10_000 }).toBe('listening')
      const name = await p.evaluate(() => getComputedStyle(document.querySelector('.orb-ring')!).animationName)
      // Past the push-to-talk debounce (150 ms, key chatter): a cancel sooner after the press is ignored by design.
      await p.waitForTimeout(250)
      await p.keyboard.press('Escape')
      await expect.poll(() => state(p), { timeout: 10_000 }).toBe('idle')
      return name
    }
    expect(await listeningRing(page)).toBe('orb-listen')
    await page.emulateMedia({ reducedMotion: 'reduce' })
    expect(await listeningRing(page)).toBe('none')
    await page.emulateMedia({ reducedMotion: 'no-preference' })
  })

  it('Diagnostics is one click away (and a reload stays there); the engineering panels are there, not in the conversation', async () => {
    expect(await page.locator('[data-testid="backend-panel"]').count()).toBe(0)
    await page.click('[data-testid="view-diagnostics"]')
    for (const id of ['backend-panel', 'conversation-panel', 'mic-panel', 'local-voice-panel', 'local-stt-panel']) await page.waitForSelector(`[data-testid="${id}"]`)
    expect(new URL(page.url()).hash).toBe('#diagnostics')
    await page.reload()
    await page.waitForSelector('[data-testid="diagnostics-view"]')
    await page.click('[data-testid="view-conversation"]')
    await page.waitForSelector('[data-testid="assistant-stage"]')
    await connected()
  })

  it('joins again by itself after the backend restarts and after a wake signal', async () => {
    const firstUrl = app.core.backend.status.signalingUrl
    await app.core.backend.start()
    expect(app.core.backend.status.signalingUrl).not.toBe(firstUrl)
    await connected()
    await expect.poll(() => state(), { timeout: 30_000 }).toBe('idle')
    // A wake (here: the network coming back) joins afresh: a new session, so new voice turns in the page.
    await page.evaluate(() => ((window as unknown as { before: unknown }).before = (window as unknown as { voiceTurnsDebug: unknown }).voiceTurnsDebug))
    await page.evaluate(() => window.dispatchEvent(new Event('online')))
    await expect.poll(() => page.evaluate(() => (window as unknown as { before: unknown; voiceTurnsDebug: unknown }).voiceTurnsDebug !== (window as unknown as { before: unknown }).before), { timeout: 30_000 }).toBe(true)
    await connected()
  })

  it('hands-free: connected, it is listening, and the first "Stop listening" press stops it (the talk machine follows the open mic)', async () => {
    // As the Settings dialog does it: the window joins again in the new mode.
    expect(await app.core.dispatch('updateSettings', { listening: { mode: 'hands-free' } })).toMatchObject({ ok: true })
    await connected()
    await expect.poll(talkText, { timeout: 30_000 }).toBe('Stop listening')
    await expect.poll(() => state(), { timeout: 10_000 }).toBe('listening')
    await expect.poll(() => app.core.talkKey?.command('show').phase, { timeout: 10_000 }).toBe('listening')
    await page.waitForTimeout(300)
    await page.click('[data-testid="conversation-talk"]')
    await expect.poll(talkText, { timeout: 10_000 }).toBe('Start listening')
    await expect.poll(() => state(), { timeout: 10_000 }).toBe('idle')
    await page.waitForTimeout(300)
    await page.click('[data-testid="conversation-talk"]')
    await expect.poll(talkText, { timeout: 10_000 }).toBe('Stop listening')
    await page.waitForTimeout(300)
    await page.click('[data-testid="conversation-talk"]')
    await expect.poll(talkText, { timeout: 10_000 }).toBe('Start listening')
    expect(await app.core.dispatch('updateSettings', { listening: { mode: 'push-to-talk' } })).toMatchObject({ ok: true })
    await expect.poll(talkText, { timeout: 30_000 }).toBe('Hold to talk')
  })
})

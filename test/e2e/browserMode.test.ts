import { mkdirSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { speechWav } from '../helpers/audioFixtures'
import { startBrowserApp, repoRoot, type BrowserApp } from '../helpers/browserApp'
import { chromiumMissingReason, launchChromium } from '../helpers/chromium'

const missing = chromiumMissingReason()
const shots = join(repoRoot, 'test-results', 'screenshots')

/** Send raw text frames on the page's own api socket and collect the answers (what a hostile page script could do). */
async function rawApiExchange(page: Page, url: string, frames: string[]): Promise<unknown[]> {
  return page.evaluate(
    async ({ url, frames }) => {
      const ws = new WebSocket(url)
      const answers: unknown[] = []
      await new Promise<void>((resolve, reject) => {
        ws.onopen = () => resolve()
        ws.onerror = () => reject(new Error('api socket refused'))
      })
      const done = new Promise<void>((resolve) => {
        ws.onmessage = (ev) => {
          const frame = JSON.parse(ev.data as string) as { type: string }
          if (frame.type !== 'response') return
          answers.push(frame)
          if (answers.length === frames.length) resolve()
        }
      })
      for (const f of frames) ws.send(f)
      await Promise.race([done, new Promise((r) => setTimeout(r, 5000))])
      ws.close()
      return answers
    },
    { url, frames }
  )
}

describe.skipIf(missing)('browser mode end to end', () => {
  let app: BrowserApp
  let browser: Browser
  let page: Page
  let apiUrl: string

  beforeAll(async () => {
    mkdirSync(shots, { recursive: true })
    const wav = speechWav('Hello, this is a microphone test for the voice assistant.', { padStartS: 0.2, padEndS: 0.2 })
    app = await startBrowserApp()
    browser = await launchChromium({ fakeMicWav: wav })
    page = await browser.newPage({ viewport: { width: 1180, height: 820 } })
    const u = new URL(app.server.url)
    apiUrl = `ws://${u.host}/api?token=${app.server.token}`
    await page.goto(app.server.url)
  })

  afterAll(async () => {
    await browser?.close()
    await app?.close()
  })

  it('loads the app, connects to the services and shows browser mode', async () => {
    await page.waitForSelector('.app[data-ready="true"]', { timeout: 15_000 })
    await expect.poll(() => page.textContent('[data-testid="app-mode"]')).toContain('browser mode')
  })

  it('starts the embedded backend and shows it ready with its signaling URL and round trip', async () => {
    await page.click('[data-testid="view-diagnostics"]')
    await page.waitForFunction(() => document.querySelector('[data-testid="backend-panel"]')?.textContent?.includes('ready'), undefined, { timeout: 60_000 })
    // The URL carries the embedded backend's per-run secret (the backend accepts no connection without it).
    // Shown without its per-run token (the view ends up in bug-report screenshots).
    expect(await page.textContent('[data-testid="backend-url"]')).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/signaling\?token=\[redacted\]$/)
    expect(app.core.backend.status).toMatchObject({ state: 'ready', workers: 1 })
  })

  it('the embedded backend takes signaling only with its per-run secret and only from the app\'s own page', async () => {
    const withToken = app.core.backend.status.signalingUrl!
    const bare = withToken.split('?')[0]!
    const opens = (url: string): Promise<boolean> =>
      page.evaluate(
        (u) =>
          new Promise<boolean>((resolve) => {
            const ws = new WebSocket(u)
            ws.onopen = () => (ws.close(), resolve(true))
            ws.onclose = () => resolve(false)
          }),
        url
      )
    expect(await opens(withToken)).toBe(true)
    expect(await opens(bare)).toBe(false)
    // Another page (here: a Node client claiming a foreign origin) is refused even with the secret.
    const { default: WebSocket } = await import('ws')
    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(withToken, { origin: 'https://evil.example' })
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))
      ws.on('open', () => resolve(101))
      ws.on('error', () => undefined)
    })
    expect(status).toBe(403)
  })

  it('round-trips the api: a setting changed in the UI is saved by the service and on disk', async () => {
    const box = page.locator('[data-testid="audio-echoCancellation"]')
    await expect.poll(() => box.isChecked()).toBe(true)
    await box.click()
    await expect.poll(() => app.core.settings.get().audio.echoCancellation).toBe(false)
    const onDisk = JSON.parse(await readFile(join(app.userDataDir, 'settings.json'), 'utf8'))
    expect(onDisk.audio.echoCancellation).toBe(false)
    await box.click()
    await expect.poll(() => app.core.settings.get().audio.echoCancellation).toBe(true)
    await expect.poll(() => box.isChecked()).toBe(true)
  })

  it('opens the fake microphone with permission and shows its level', async () => {
    await page.click('[data-testid="mic-start"]')
    await expect.poll(() => page.textContent('[data-testid="mic-state"]'), { timeout: 10_000 }).toBe('live')
    // The fake device plays spoken audio: the peak must rise well above silence.
    await expect
      .poll(
        async () => {
          const text = (await page.textContent('[data-testid="mic-level"]')) ?? ''
          const m = /peak (-?\d+)/.exec(text)
          return m ? Number(m[1]) : -100
        },
        { timeout: 10_000 }
      )
      .toBeGreaterThan(-45)
    await page.screenshot({ path: join(shots, 'browser-mode-main.png') })
    await page.click('[data-testid="mic-stop"]')
  })

  it('answers bad api calls with clear errors, changes nothing and keeps the connection', async () => {
    const before = await readFile(join(app.userDataDir, 'settings.json'), 'utf8')
    const answers = (await rawApiExchange(page, apiUrl, [
      'this is not json',
      JSON.stringify({ type: 'request', id: 1, method: 'formatDisk', params: {} }),
      JSON.stringify({ type: 'request', id: 2, method: 'updateSettings', params: { audio: { echoCancellation: 'yes' } } }),
      JSON.stringify({ type: 'request', id: 3, method: 'updateSettings', params: { backend: { remoteUrl: 'http://evil' } } }),
      JSON.stringify({ type: 'request', id: 'x', method: 'ping' }),
      JSON.stringify({ type: 'request', id: 4, method: 'ping', params: { clientTime: 5 } })
    ])) as Array<{ id: number | null; outcome: { ok: boolean; error?: { code: string; issues?: string[] }; result?: unknown } }>
    const byId = (id: number | null) => answers.filter((a) => a.id === id)
    expect(byId(null).map((a) => a.outcome.error?.code).sort()).toEqual(['bad_message', 'bad_message'])
    expect(byId(1)[0]?.outcome.error?.code).toBe('unknown_method')
    expect(byId(2)[0]?.outcome.error).toMatchObject({ code: 'invalid_params', issues: [expect.stringContaining('audio.echoCancellation')] })
    expect(byId(3)[0]?.outcome.error?.code).toBe('invalid_params')
    expect(byId(4)[0]?.outcome).toMatchObject({ ok: true, result: { clientTime: 5 } })
    expect(await readFile(join(app.userDataDir, 'settings.json'), 'utf8')).toBe(before)
  })

  it('refuses the api socket without the per-run token, and the UI says how to get in', async () => {
    const wrong = apiUrl.replace(/token=[^&]+/, 'token=wrong')
    const refused = await page.evaluate(
      (url) =>
        new Promise<boolean>((resolve) => {
          const ws = new WebSocket(url)
          ws.onopen = () => resolve(false)
          ws.onclose = () => resolve(true)
        }),
      wrong
    )
    expect(refused).toBe(true)
    const other = await browser.newPage()
    await other.goto(app.server.url.replace(/\?token=.*/, ''))
    await expect.poll(() => other.textContent('[data-testid="connection-banner"]'), { timeout: 10_000 }).toContain('without its access token')
    await other.close()
  })

  it('serves only the renderer: no path traversal outside it', async () => {
    const base = new URL(app.server.url)
    const res = await fetch(`${base.origin}/..%2f..%2fpackage.json`)
    expect([403, 404]).toContain(res.status)
    const csp = (await fetch(`${base.origin}/`)).headers.get('content-security-policy')
    expect(csp).toContain("script-src 'self'")
  })
})

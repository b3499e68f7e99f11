import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startBrowserMode, type BrowserModeServer } from '../../src/main/browserMode'
import { speechWav } from '../helpers/audioFixtures'
import { rendererDir, startBrowserApp, type BrowserApp } from '../helpers/browserApp'
import { chromiumMissingReason, launchChromium } from '../helpers/chromium'
import { MemoryLogger } from '../helpers/memoryLogger'
import { backendProcesses } from '../helpers/processTree'

const missing = chromiumMissingReason()

/**
 * Crash capture and recovery in browser mode, with the real embedded backend (a child process of the app) and the
 * window in Chromium: the backend is killed with SIGKILL → its exit is logged through the app's Logger with the tail
 * of its stderr, the window shows a notice, the app starts a new backend and the window's conversation connects
 * again by itself. Then the window's Node-side service (browser mode's api server) goes away and comes back on the
 * same port and token → the window reconnects and works. (Electron's render-process-gone / child-process-gone need
 * the Electron binary: test/unit/main/crash tests them with fakes.)
 */
describe.skipIf(missing)('crash capture and recovery (browser mode)', () => {
  let app: BrowserApp
  let browser: Browser
  let page: Page
  let replacement: BrowserModeServer | null = null
  const logger = new MemoryLogger()

  beforeAll(async () => {
    app = await startBrowserApp({ logger })
    // A microphone (the conversation connects with one); push-to-talk by default, so nothing it says is a turn.
    browser = await launchChromium({ fakeMicWav: speechWav('Hello.', { padEndS: 5 }) })
    page = await browser.newPage({ viewport: { width: 1180, height: 900 } })
    await page.goto(app.server.url)
    await page.waitForSelector('.app[data-ready="true"]', { timeout: 30_000 })
  }, 90_000)

  afterAll(async () => {
    await browser?.close()
    await replacement?.close()
    await app?.close()
  })

  const connected = (): Promise<string | null> => page.textContent('[data-testid="connection-state"]', { timeout: 1000 }).catch(() => null)

  it('the embedded backend killed: logged with its stderr tail, told in the window, restarted, the window reconnects', async () => {
    await expect.poll(() => `${app.core.backend.status.state}: ${app.core.backend.status.detail}`, { timeout: 60_000 }).toMatch(/^ready/)
    await expect.poll(connected, { timeout: 60_000, interval: 250 }).toBe('Connected')
    const [victim] = backendProcesses().backends
    expect(victim, 'the embedded backend runs as a child process of the app').toBeDefined()
    process.kill(victim!.pid, 'SIGKILL')
    await expect.poll(() => logger.find(/the backend stopped unexpectedly/).length, { timeout: 10_000 }).toBe(1)
    const [line] = logger.find(/^the backend stopped unexpectedly \(killed by SIGKILL\); restarting it$/, 'error')
    expect(line!.fields).toMatchObject({ exitSignal: 'SIGKILL', exitCode: null, pid: victim!.pid })
    const tail = line!.fields.stderrTail as string[]
    expect(tail.length).toBeGreaterThan(0)
    expect(tail.length).toBeLessThanOrEqual(40)
    expect(tail.join('\n').length).toBeLessThanOrEqual(8 * 1024)
    expect(tail.some((l) => /backend ready/.test(l))).toBe(true) // what it wrote before it died
    await expect.poll(() => page.textContent('[data-testid="notices"]', { timeout: 1000 }).catch(() => ''), { timeout: 10_000 }).toMatch(/The backend stopped unexpectedly \(killed by SIGKILL\); restarting it/)
    // A new backend (another process), and the window's conversation joins it by itself.
    await expect.poll(() => backendProcesses().backends.map((p) => p.pid).filter((pid) => pid !== victim!.pid).length, { timeout: 30_000 }).toBe(1)
    await expect.poll(() => app.core.backend.status.state, { timeout: 30_000 }).toBe('ready')
    await expect.poll(connected, { timeout: 60_000, interval: 250 }).toBe('Connected')
    console.log(`backend crash: ${line!.message}; stderr tail ${tail.length} lines, last: ${tail.at(-1)}`)
  }, 150_000)

  it("the window's Node-side service gone and back (same port and token): the window reconnects and works", async () => {
    const { port, token } = app.server
    await app.server.close()
    await expect.poll(() => page.getAttribute('.app', 'data-ready'), { timeout: 10_000 }).toBe('false')
    expect(await page.textContent('[data-testid="connection-banner"]')).toMatch(/app services/)
    replacement = await startBrowserMode({ core: app.core, rendererDir, port, token })
    await expect.poll(() => page.getAttribute('.app', 'data-ready'), { timeout: 30_000, interval: 250 }).toBe('true')
    await expect.poll(connected, { timeout: 60_000, interval: 250 }).toBe('Connected')
    await expect.poll(() => page.isVisible('[data-testid="connection-banner"]'), { timeout: 10_000 }).toBe(false)
    // The api answers again: the page can read the backend's status through it.
    await page.click('[data-testid="view-diagnostics"]')
    await expect.poll(() => page.textContent('[data-testid="backend-detail"]', { timeout: 1000 }).catch(() => ''), { timeout: 10_000 }).toMatch(/worker/)
    expect(logger.find(/the backend stopped unexpectedly/)).toHaveLength(1) // nothing else died on the way
  }, 120_000)
})

import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { repoRoot, startBrowserApp, type BrowserApp } from '../helpers/browserApp'
import { chromiumMissingReason, launchChromium } from '../helpers/chromium'
import { startSignalingStub } from '../helpers/fakeBackend'
import { startDelayProxy, type DelayProxy } from '../helpers/relay-delayProxy'

// Needs the built renderer (out/renderer, `npx electron-vite build`). Skipped only without Chromium.
const missing = chromiumMissingReason()
if (missing) console.warn(`nearest-backend e2e skipped: ${missing}`)

const DELAY_MS = 60

describe.skipIf(missing)('nearest backend in the app (browser mode): two signaling servers, one behind a delaying proxy', () => {
  let app: BrowserApp
  let browser: Browser
  let page: Page
  let fast: Awaited<ReturnType<typeof startSignalingStub>>
  let slowStub: Awaited<ReturnType<typeof startSignalingStub>>
  let proxy: DelayProxy
  let slowUrl: string

  beforeAll(async () => {
    fast = await startSignalingStub({ workers: 1 })
    slowStub = await startSignalingStub({ workers: 2 })
    proxy = await startDelayProxy({ targetHost: '127.0.0.1', targetPort: Number(new URL(slowStub.url).port), delayMs: DELAY_MS })
    slowUrl = `ws://127.0.0.1:${proxy.port}/signaling`
    app = await startBrowserApp({ autoStartBackend: false })
    browser = await launchChromium()
    page = await browser.newPage({ viewport: { width: 1180, height: 900 } })
    await page.goto(app.server.url)
    await page.waitForSelector('.app[data-ready="true"]', { timeout: 15_000 })
    await page.click('[data-testid="view-diagnostics"]')
  })

  afterAll(async () => {
    await browser?.close()
    await app?.close()
    await proxy?.close()
    await slowStub?.close()
    await fast?.close().catch(() => undefined)
  })

  const inUse = (): Promise<string | null> => page.locator('[data-testid="backend-ranking-item"][data-in-use="true"]').getAttribute('data-url', { timeout: 500 }).catch(() => null)

  it('measures both, joins the fast one although the slow one is listed first, and shows each RTT', async () => {
    await page.selectOption('[data-testid="backend-mode"]', 'remote')
    await page.fill('[data-testid="backend-remote-url"]', `${slowUrl}\n${fast.url}`)
    await page.locator('[data-testid="backend-panel"] form button[type="submit"]').click()
    await expect.poll(inUse, { timeout: 15_000 }).toBe(fast.url)
    await expect.poll(() => page.textContent('[data-testid="backend-url"]'), { timeout: 10_000 }).toBe(fast.url)
    expect(app.core.settings.get().backend).toMatchObject({ mode: 'remote', remoteUrl: slowUrl, remoteUrls: [slowUrl, fast.url] })
    const items = page.locator('[data-testid="backend-ranking-item"]')
    expect(await items.count()).toBe(2)
    expect(await items.nth(0).getAttribute('data-url')).toBe(fast.url)
    expect(await items.nth(1).getAttribute('data-url')).toBe(slowUrl)
    const ranking = app.core.backend.ranking
    console.log(`ranking: ${ranking.backends.map((b) => `${b.url} ${b.rttMs?.toFixed(1)} ms`).join(', ')}`)
    // The proxy delays both directions: ≥ 2 × DELAY_MS more round trip than the direct server.
    expect(ranking.backends[1]!.rttMs! - ranking.backends[0]!.rttMs!).toBeGreaterThan(2 * DELAY_MS * 0.8)
    expect(await items.nth(1).textContent()).toMatch(/\d+ ms/)
    expect(await page.isVisible('[data-testid="backend-failover"]')).toBe(false)
  })

  it('the fast one goes away → fails over to the other at once, and the UI says so', async () => {
    const t0 = Date.now()
    await fast.close()
    await expect.poll(inUse, { timeout: 10_000 }).toBe(slowUrl)
    await expect.poll(() => page.textContent('[data-testid="backend-url"]'), { timeout: 10_000 }).toBe(slowUrl)
    await expect.poll(() => app.core.backend.status.state, { timeout: 10_000 }).toBe('ready')
    console.log(`failover to the slow backend: ready ${Date.now() - t0} ms after the fast one closed`)
    const notice = await page.textContent('[data-testid="backend-failover"]', { timeout: 5000 })
    expect(notice).toContain(fast.url)
    expect(notice).toContain(slowUrl)
    expect(await page.textContent('[data-testid="backend-detail"]')).toContain(`failed over from ${fast.url}`)
    await expect
      .poll(() => page.locator(`[data-testid="backend-ranking-item"][data-url="${fast.url}"]`).getAttribute('data-reachable', { timeout: 500 }).catch(() => null), { timeout: 10_000 })
      .toBe('false')
    // The re-probe after the failover ranks the one in use first again.
    await expect.poll(() => page.locator('[data-testid="backend-ranking-item"]').first().getAttribute('data-url'), { timeout: 10_000 }).toBe(slowUrl)
    expect(await page.locator(`[data-testid="backend-ranking-item"][data-url="${fast.url}"]`).textContent()).toContain('unreachable')
    const shots = join(repoRoot, 'test-results', 'screenshots')
    mkdirSync(shots, { recursive: true })
    await page.locator('[data-testid="backend-panel"]').screenshot({ path: join(shots, 'nearest-backend-failover.png') })
  })
})

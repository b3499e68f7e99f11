import { mkdir, writeFile } from 'node:fs/promises'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { appLogPath, logsDir } from '../../src/node/logging/logFiles'
import { startBrowserApp, type BrowserApp } from '../helpers/browserApp'
import { chromiumMissingReason, launchChromium } from '../helpers/chromium'

const missing = chromiumMissingReason()

/** A key the test stores (browser mode's file-key cipher) and writes into the log: neither may reach the text. */
const LLM_KEY = 'sk-e2e-diagnostics-0123456789'

/**
 * "Copy diagnostics" in browser mode (built renderer, real AppCore, embedded backend): the Diagnostics view's button
 * puts one text block on the clipboard (navigator.clipboard: browser mode has no Electron clipboard), says "Copied",
 * and the block has the versions, the backend's state, the settings without secrets, a typed turn's latency and the
 * log's tail. Where the browser refuses the clipboard, the text is shown selected instead.
 */
describe.skipIf(missing)('Copy diagnostics (browser mode)', () => {
  let app: BrowserApp
  let browser: Browser
  let context: BrowserContext
  let page: Page

  beforeAll(async () => {
    const { fileKeyCipher } = await import('../../src/main/services/secretsStore')
    const { mkdtemp } = await import('node:fs/promises')
    const { tmpdir } = await import('node:os')
    const { join } = await import('node:path')
    const userDataDir = await mkdtemp(join(tmpdir(), 'va-e2e-diag-'))
    await mkdir(logsDir(userDataDir), { recursive: true })
    await writeFile(appLogPath(userDataDir), Array.from({ length: 250 }, (_, i) => `{"level":"info","msg":"line ${i}"}`).join('\n') + `\n{"level":"warn","msg":"provider refused key ${LLM_KEY}"}\n`)
    app = await startBrowserApp({ userDataDir, secretsCipher: await fileKeyCipher(join(userDataDir, 'secrets.key')) })
    const stored = await app.core.dispatch('setSecret', { name: 'llm.apiKey', value: LLM_KEY })
    if (!stored.ok) throw new Error(`could not store the test key: ${stored.error.message}`)
    // A fake microphone (Chromium's own test device): the window connects by itself only once it has a mic.
    browser = await launchChromium({ extraArgs: ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'] })
    context = await browser.newContext({ viewport: { width: 1180, height: 900 } })
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: app.server.url.replace(/\/\?.*$/, '').replace(/\/$/, '') })
    page = await context.newPage()
    await page.goto(app.server.url)
    await page.waitForSelector('.app[data-ready="true"]', { timeout: 15_000 })
    await page.waitForFunction(() => document.querySelector('[data-testid="connection-state"]')?.textContent === 'Connected', undefined, { timeout: 90_000 })
    // One typed turn, so the report has a turn with its latency.
    await page.fill('[data-testid="composer-input"]', 'what is two plus two')
    await page.keyboard.press('Enter')
    await page.waitForSelector('[data-testid="history-turn"][data-status="done"]', { timeout: 30_000 })
  })
  afterAll(async () => {
    await browser?.close()
    await app?.close()
  })

  it('copies one text block to the clipboard and says Copied', async () => {
    await page.click('[data-testid="view-diagnostics"]')
    await page.click('[data-testid="copy-diagnostics-button"]')
    await expect.poll(() => page.getAttribute('[data-testid="copy-diagnostics-status"]', 'data-phase'), { timeout: 15_000 }).toBe('copied')
    expect(await page.textContent('[data-testid="copy-diagnostics-status"]')).toMatch(/Copied/)
    const text = await page.evaluate(() => navigator.clipboard.readText())
    if (process.env.DIAGNOSTICS_SAMPLE) await writeFile(process.env.DIAGNOSTICS_SAMPLE, text)
    expect(text).toMatch(/^Voice Assistant diagnostics, \d{4}-\d\d-\d\dT/)
    expect(text).toContain('app: Voice Assistant 0.0.0-test (browser mode: end-to-end test)')
    expect(text).toMatch(/\nElectron: not in this mode\nChromium: not in this mode\nNode: \d+\.\d+\.\d+\nmediasoup: 3\.12\.16\nonnxruntime-node: \d+\.\d+\.\d+\nbrowser: Mozilla\/5\.0 .*Chrome\//)
    expect(text).toMatch(/\n## Backend\nstate: ready \(embedded\), \d+ mediasoup workers?/)
    expect(text).toMatch(/\nsignaling: ws:\/\/127\.0\.0\.1:\d+\/\?token=\(set\)|\nsignaling: ws:\/\/127\.0\.0\.1:\d+\/[^\n]*token=\(set\)/)
    expect(text).toContain('\nllm.apiKey: set\n')
    expect(text).toContain('\nlistening.mode: push-to-talk\n')
    expect(text).toMatch(/\n## Last 1 turns [^\n]*\n[^\n]+ done \(typed\) · /)
    expect(text).toContain('{"level":"info","msg":"line 51"}')
    expect(text).not.toContain('{"level":"info","msg":"line 50"}')
    expect(text).toContain('provider refused key (secret removed)')
    // Nothing secret: the stored key, the backend's per-run secret, no transcript.
    expect(text).not.toContain(LLM_KEY)
    const runSecret = new URL(app.core.backend.status.signalingUrl!).searchParams.get('token')!
    expect(runSecret.length).toBeGreaterThan(16)
    expect(text).not.toContain(runSecret)
    expect(text).not.toContain('two plus two')
  })

  it('where the browser refuses the clipboard, the text is shown selected to copy by hand', async () => {
    const refused = await context.newPage()
    await refused.addInitScript(() => {
      Object.defineProperty(navigator.clipboard, 'writeText', { value: () => Promise.reject(new DOMException('Write permission denied.', 'NotAllowedError')) })
    })
    await refused.goto(`${app.server.url}#diagnostics`)
    await refused.waitForSelector('[data-testid="copy-diagnostics-button"]', { timeout: 15_000 })
    await refused.click('[data-testid="copy-diagnostics-button"]')
    await refused.waitForSelector('[data-testid="copy-diagnostics-text"]', { timeout: 15_000 })
    const shown = await refused.inputValue('[data-testid="copy-diagnostics-text"]')
    expect(shown).toMatch(/^Voice Assistant diagnostics, /)
    expect(await refused.evaluate(() => {
      const area = document.querySelector('[data-testid="copy-diagnostics-text"]') as HTMLTextAreaElement
      return document.activeElement === area && area.selectionStart === 0 && area.selectionEnd === area.value.length
    })).toBe(true)
    await refused.close()
  })
})

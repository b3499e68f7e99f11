import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { Catalog } from '../../src/node/models/catalog'
import type { ModelProgress } from '../../src/shared/contract/models'
import { noSpeechToTextMessage } from '../../src/server/providers/onDeviceStt'
import { startBrowserApp, type BrowserApp } from '../helpers/browserApp'
import { chromiumMissingReason, launchChromium } from '../helpers/chromium'
import { modelFixture, writeModelFiles } from '../helpers/modelFixtures'

const missing = chromiumMissingReason()

/**
 * The first-run speech recognition setup in the window (browser mode, built renderer), against a model host on
 * 127.0.0.1 serving generated models that a temporary catalog vouches for (no real weights can be fetched here):
 * progress with speed and time left, a dropped connection resumed and said so, a wrong hash refused with nothing
 * installed, a mirror URL honoured, an import from a folder.
 */
describe.skipIf(missing)('first-run STT setup (browser mode)', () => {
  // Tiny's files come to ~1.9 MB: at 16 kB per 25 ms the download takes a few seconds, long enough to watch.
  const fixture = modelFixture('http://placeholder/m', 600_000)
  let server: Server
  let host: string
  let dir: string
  let browser: Browser
  const requests: string[] = []
  /** Cut the connection after this many body bytes, once per path. */
  let cutOnce: Record<string, number> = {}
  const cutDone = new Set<string>()
  const apps: BrowserApp[] = []

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'va-e2e-setup-'))
    server = createServer((req, res) => {
      const url = req.url ?? ''
      requests.push(url)
      const m = /^(?:\/mirror)?\/m\/([^/]+)\/(.+)$/.exec(url)
      const body = m ? fixture.bytes[m[1]!]?.[m[2]!] : undefined
      if (!body) return void res.writeHead(404).end()
      let start = 0
      const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '')
      if (range) {
        start = Number(range[1])
        res.writeHead(206, { 'content-range': `bytes ${start}-${body.length - 1}/${body.length}`, 'content-length': body.length - start })
      } else res.writeHead(200, { 'content-length': body.length })
      const rest = body.subarray(start)
      const cut = cutOnce[url] !== undefined && !cutDone.has(url) ? cutOnce[url]! : null
      let at = 0
      const tick = (): void => {
        if (res.destroyed) return
        if (cut !== null && at >= cut) {
          cutDone.add(url)
          return void res.destroy()
        }
        if (at >= rest.length) return void res.end()
        res.write(rest.subarray(at, (at += 16_384)))
        setTimeout(tick, 25)
      }
      tick()
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    host = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    browser = await launchChromium()
  })
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close()
    requests.length = 0
    cutOnce = {}
    cutDone.clear()
  })
  afterAll(async () => {
    await browser?.close()
    server.closeAllConnections()
    await new Promise<void>((r) => server.close(() => r()))
    await rm(dir, { recursive: true, force: true })
  })

  /** The app with a catalog whose files live at `base` (optionally one file's hash made wrong), and a page on it. */
  async function open(base: string, opts: { wrongHash?: string } = {}): Promise<{ app: BrowserApp; page: Page; progress: ModelProgress[] }> {
    const catalog: Catalog = {
      ...fixture.catalog,
      models: fixture.catalog.models.map((m) => ({ ...m, files: m.files.map((f) => ({ ...f, url: f.url.replace('http://placeholder/m', base), sha256: f.path === opts.wrongHash ? 'e'.repeat(64) : f.sha256 })) }))
    }
    const catalogPath = join(dir, `catalog-${apps.length}-${Date.now()}.json`)
    await writeFile(catalogPath, JSON.stringify(catalog))
    const app = await startBrowserApp({ autoStartBackend: false, modelCatalogPath: catalogPath })
    apps.push(app)
    const progress: ModelProgress[] = []
    app.core.events.on('modelDownloadProgress', (p) => progress.push(p))
    const page = await browser.newPage({ viewport: { width: 1180, height: 900 } })
    await page.goto(app.server.url)
    await page.waitForSelector('[data-testid="stt-setup"]', { timeout: 15_000 })
    // Every text the setup's message and progress line show, however briefly (a resume takes a quarter second).
    await page.evaluate(() => {
      const seen: string[] = ((window as unknown as { setupTexts: string[] }).setupTexts = [])
      new MutationObserver(() => {
        for (const id of ['stt-setup-message', 'stt-setup-progress-text']) {
          const text = document.querySelector(`[data-testid="${id}"]`)?.textContent
          if (text && seen.at(-1) !== text) seen.push(text)
        }
      }).observe(document.body, { subtree: true, childList: true, characterData: true })
    })
    return { app, page, progress }
  }
  const texts = (page: Page): Promise<string[]> => page.evaluate(() => (window as unknown as { setupTexts: string[] }).setupTexts)

  it('says in one sentence that speech recognition is missing, downloads with a real progress bar, speed and time left, and resumes a dropped connection by itself', async () => {
    const { app, page, progress } = await open(`${host}/m`)
    expect(await page.textContent('[data-testid="stt-setup"] h2')).toMatch(/^Speech recognition is not set up yet: download the on-device model once, or add a speech-to-text key in Settings\.$/)
    expect(await page.textContent('[data-testid="stt-setup"]')).toMatch(/Tiny \(test\) · 1\.\d MB · MIT licence/)
    // The voice loop's own "no speech-to-text" notice (known by its code, whatever its words) is not repeated beside
    // the setup; another notice is shown.
    app.core.events.emit('notice', { level: 'warning', message: noSpeechToTextMessage(join(app.userDataDir, 'models')), code: 'no_speech_to_text' })
    app.core.events.emit('notice', { level: 'info', message: 'Another notice.' })
    await page.waitForSelector('[data-testid="notices"]')
    expect(await page.textContent('[data-testid="notices"]')).toBe('Another notice.×')
    await page.click('[data-testid="notices"] button[aria-label="Dismiss"]')
    cutOnce = { '/m/tiny-test/onnx/decoder_model_merged_quantized.onnx': 300_000 }
    await page.click('[data-testid="stt-setup-download"]')
    await page.waitForSelector('[data-testid="stt-setup"][data-phase="installed"]', { timeout: 30_000 })
    expect(await page.textContent('[data-testid="stt-setup"]')).toMatch(/Tiny \(test\) is installed: what you say next is transcribed on this computer/)
    const shown = await texts(page)
    expect(shown.some((t) => /^\d+% · [\d.]+ [kM]B of 1\.\d MB · [\d.]+ [kM]B\/s · \d+ s left$/.test(t)), shown.join(' | ')).toBe(true)
    expect(shown).toContain('Connection dropped, resuming… (attempt 1 of 5)')
    // The events behind it: rising progress, the pending resume, a Range request that picked up where it stopped.
    const received = progress.filter((p) => p.state === 'downloading').map((p) => p.receivedBytes)
    expect(received).toEqual([...received].sort((a, b) => a - b))
    expect(progress.some((p) => p.retry?.attempt === 1)).toBe(true)
    expect(progress.at(-1)).toMatchObject({ state: 'installed' })
    expect(requests.filter((r) => r.endsWith('decoder_model_merged_quantized.onnx'))).toHaveLength(2)
    expect(existsSync(join(app.userDataDir, 'models', 'tiny-test', 'manifest.json'))).toBe(true)
    await page.click('[data-testid="stt-setup"] button')
    await page.waitForSelector('[data-testid="stt-setup"]', { state: 'detached' })
  })

  it('a file with the wrong hash is refused: nothing is installed and the window says what happened and what to do', async () => {
    const { app, page } = await open(`${host}/m`, { wrongHash: 'tokenizer.json' })
    await page.click('[data-testid="stt-setup-download"]')
    await page.waitForSelector('[data-testid="stt-setup"][data-phase="error"]', { timeout: 30_000 })
    expect(await page.textContent('[data-testid="stt-setup-message"]')).toMatch(/tokenizer\.json of Tiny \(test\) failed its checksum .*the file was deleted/)
    expect(await page.textContent('[data-testid="stt-setup-download"]')).toMatch(/^Resume download/)
    expect(existsSync(join(app.userDataDir, 'models', 'tiny-test'))).toBe(false)
  })

  it('honours a mirror base URL where the model host is blocked', async () => {
    // The catalog's host refuses connections; the mirror serves the same paths under /mirror.
    const { app, page } = await open('http://127.0.0.1:9/m')
    await page.click('[data-testid="stt-setup-mirror-open"]')
    await page.fill('[data-testid="stt-setup-mirror"]', 'not a url')
    await page.click('[data-testid="stt-setup-mirror-save"]')
    await expect.poll(() => page.getByTestId('notices').textContent()).toMatch(/is not a URL; give a base such as https:\/\/hf-mirror\.com/)
    await page.fill('[data-testid="stt-setup-mirror"]', `${host}/mirror`)
    await page.click('[data-testid="stt-setup-mirror-save"]')
    await expect.poll(() => page.textContent('[data-testid="stt-setup-mirror-saved"]')).toMatch(/downloads come from this mirror/)
    expect(app.core.settings.get().models.mirrorBaseUrl).toBe(`${host}/mirror`)
    expect(await page.textContent('[data-testid="stt-setup"]')).toContain(`from ${new URL(host).host}`)
    await page.click('[data-testid="stt-setup-download"]')
    await page.waitForSelector('[data-testid="stt-setup"][data-phase="installed"]', { timeout: 30_000 })
    expect(requests.length).toBeGreaterThan(0)
    expect(requests.every((r) => r.startsWith('/mirror/m/tiny-test/'))).toBe(true)
  })

  it('imports from a folder for offline machines: a damaged one is refused with the file named, a good one installed', async () => {
    const { app, page } = await open('http://127.0.0.1:9/m')
    const damaged = { ...fixture.bytes['tiny-test']!, 'config.json': Buffer.from('{"model":"tampered","layers":9}') }
    await writeModelFiles(join(dir, 'usb-damaged', 'moonshine'), damaged)
    await writeModelFiles(join(dir, 'usb', 'moonshine'), fixture.bytes['tiny-test']!)
    await page.click('[data-testid="stt-setup-import-open"]')
    await page.fill('[data-testid="stt-setup-import-path"]', join(dir, 'usb-damaged'))
    await page.click('[data-testid="stt-setup-import"]')
    await expect.poll(() => page.textContent('[data-testid="stt-setup-import-result"]'), { timeout: 15_000 }).toMatch(/does not hold Tiny \(test\) as the catalog lists it: config\.json (fails its checksum|has \d+ bytes)/)
    expect(existsSync(join(app.userDataDir, 'models', 'tiny-test'))).toBe(false)
    await page.fill('[data-testid="stt-setup-import-path"]', join(dir, 'usb'))
    await page.click('[data-testid="stt-setup-import"]')
    await page.waitForSelector('[data-testid="stt-setup"][data-phase="installed"]', { timeout: 15_000 })
    expect(existsSync(join(app.userDataDir, 'models', 'tiny-test', 'manifest.json'))).toBe(true)
  })
})

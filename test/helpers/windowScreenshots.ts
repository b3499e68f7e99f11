/**
 * Screenshots of the window as a user sees it, light and dark (issue 17 item 5):
 *   node --import tsx test/helpers/windowScreenshots.ts [--out /tmp/shots-window]
 * Needs the built renderer (`npx electron-vite build`), Chromium, espeak-ng and the mediasoup worker. The app runs in
 * browser mode with the embedded backend. Spoken turns cannot be made here without a speech model, so the three
 * spoken turns of the conversation are turn traces handed to the window as the backend would send them; the typed
 * turn is real (embedded skills answer, espeak-ng speaks). The first-run setup downloads generated model files from a
 * slow loopback server.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import type { Page } from 'playwright-core'
import type { Settings } from '../../src/shared/contract/settings'
import type { TurnMark, TurnTrace } from '../../src/shared/latency/trace'
import { startBrowserApp, type BrowserApp } from './browserApp'
import { launchChromium } from './chromium'
import { modelFixture, writeModelFiles } from './modelFixtures'

const { values } = parseArgs({ options: { out: { type: 'string', default: '/tmp/shots-window' } } })
const out = values.out!
mkdirSync(out, { recursive: true })
const work = mkdtempSync(join(tmpdir(), 'va-shots-'))
const fixture = modelFixture('http://placeholder/m', 2_000_000)

/** A spoken turn as the backend reports it (marks on the main clock for the client's moments, the backend's skewed). */
function spokenTurn(turnId: string, start: number, text: { q: string; a: string }, d: number[], notes?: string[]): TurnTrace {
  const names: TurnMark['name'][] = ['speech_end_mic', 'uplink_sent', 'uplink_arrival', 'end_of_utterance', 'transcript', 'llm_first_token', 'first_sentence', 'tts_first_audio', 'reply_sent', 'downlink_arrival', 'playout']
  const clocks: TurnMark['clock'][] = ['main', 'main', 'backend', 'backend', 'backend', 'backend', 'backend', 'backend', 'backend', 'main', 'main']
  let t = start
  const marks = names.map((name, i) => ({ name, clock: clocks[i]!, at: (t += d[i] ?? 0) }))
  return { turnId, status: 'done', marks, clockOffsets: { backend: 0 }, transcript: text.q, reply: text.a, providers: { stt: 'On-device Moonshine Tiny', llm: 'Embedded skills (offline)', tts: 'espeak-ng (on this machine)' }, notes }
}

async function newApp(opts: { catalogPath: string; installModel: boolean }): Promise<BrowserApp> {
  const app = await startBrowserApp({ modelCatalogPath: opts.catalogPath })
  if (opts.installModel) {
    await writeModelFiles(join(work, 'model'), fixture.bytes['tiny-test']!)
    await (await app.core.models).importFrom(join(work, 'model'))
  }
  return app
}

async function waitConnected(page: Page): Promise<void> {
  await page.waitForFunction(() => document.querySelector('[data-testid="connection-state"]')?.textContent === 'Connected', undefined, { timeout: 60_000 })
  await page.waitForFunction(() => document.querySelector('[data-testid="assistant-stage"]')?.getAttribute('data-state') === 'idle', undefined, { timeout: 30_000 })
}

async function setTheme(app: BrowserApp, page: Page, theme: Settings['ui']['theme']): Promise<void> {
  await app.core.dispatch('updateSettings', { ui: { theme } })
  await page.waitForFunction((t) => document.documentElement.dataset.theme === t, theme)
}

async function main(): Promise<void> {
  const silence = join(work, 'silence.wav')
  execFileSync('sox', ['-n', '-r', '48000', '-c', '1', '-b', '16', silence, 'trim', '0', '4'])
  const browser = await launchChromium({ fakeMicWav: silence })
  // The model host for the first-run download: 16 kB every 40 ms, so it is caught mid-way.
  const server = createServer((req, res) => {
    const m = /^\/m\/([^/]+)\/(.+)$/.exec(req.url ?? '')
    const body = m ? fixture.bytes[m[1]!]?.[m[2]!] : undefined
    if (!body) return void res.writeHead(404).end()
    res.writeHead(200, { 'content-length': body.length })
    let at = 0
    const tick = (): void => {
      if (res.destroyed) return
      if (at >= body.length) return void res.end()
      res.write(body.subarray(at, (at += 16_384)))
      setTimeout(tick, 40)
    }
    tick()
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const host = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const catalogPath = join(work, 'catalog.json')
  await writeFile(catalogPath, JSON.stringify({ ...fixture.catalog, models: fixture.catalog.models.map((m) => ({ ...m, name: m.id === 'tiny-test' ? 'Moonshine Tiny (English, 8-bit)' : 'Moonshine Base (English, 8-bit)', files: m.files.map((f) => ({ ...f, url: f.url.replace('http://placeholder/m', `${host}/m`) })) })) }))
  const shots: string[] = []
  const shot = async (page: Page, name: string): Promise<void> => {
    const path = join(out, `${name}.png`)
    await page.screenshot({ path, animations: 'disabled' })
    shots.push(path)
  }

  // --- the main window: idle, mid-conversation, Diagnostics, Settings, a turn's waterfall
  const app = await newApp({ catalogPath, installModel: true })
  const page = await browser.newPage({ viewport: { width: 1280, height: 960 } })
  await page.goto(app.server.url)
  await waitConnected(page)
  for (const theme of ['light', 'dark'] as const) {
    await setTheme(app, page, theme)
    await page.waitForTimeout(300)
    await shot(page, `main-idle-${theme}`)
  }
  const base = Date.now() - 120_000
  const turns = [
    spokenTurn('s1', base, { q: 'What time is it in Tokyo?', a: 'It is 9:42 in the evening in Tokyo.' }, [0, 14, 26, 150, 120, 180, 40, 70, 6, 40, 60]),
    spokenTurn('s2', base + 20_000, { q: 'Set a timer for five minutes.', a: 'Timer set for five minutes.' }, [0, 12, 22, 160, 140, 210, 35, 60, 6, 45, 70]),
    spokenTurn('s3', base + 45_000, { q: 'And what is the weather like there?', a: 'I cannot look up the weather offline. Ask me for the time, a timer or some arithmetic.' }, [0, 15, 30, 170, 150, 420, 60, 90, 6, 50, 80], [
      'LLM: OpenAI-compatible LLM at api.openai.com failed: HTTP 401 (check the API key) — using Embedded skills (offline)'
    ])
  ]
  for (const t of turns) app.core.events.emit('turnTrace', t)
  await page.fill('[data-testid="composer-input"]', 'What is twelve times seven?')
  await page.keyboard.press('Enter')
  await page.waitForFunction(() => document.querySelector('[data-testid="assistant-stage"]')?.getAttribute('data-state') === 'speaking', undefined, { timeout: 30_000 })
  await setTheme(app, page, 'light')
  await shot(page, 'conversation-light')
  await setTheme(app, page, 'dark')
  await shot(page, 'conversation-dark')
  await page.waitForFunction(() => document.querySelector('[data-testid="history-turn"][data-typed="true"] [data-testid="latency-chip"]'), undefined, { timeout: 30_000 })
  await page.click('[data-testid="history-turn"][data-turn="s3"] [data-testid="latency-chip"]')
  await page.waitForSelector('[data-testid="turn-latency-dialog"][open]')
  await shot(page, 'turn-latency-dark')
  await page.keyboard.press('Escape')
  await page.click('[data-testid="view-diagnostics"]')
  await page.waitForSelector('[data-testid="diagnostics-view"]')
  for (const theme of ['dark', 'light'] as const) {
    await setTheme(app, page, theme)
    await shot(page, `diagnostics-${theme}`)
  }
  await page.click('[data-testid="view-conversation"]')
  await page.click('[data-testid="settings-open"]')
  await page.waitForSelector('[data-testid="settings-hotkeys"]')
  await shot(page, 'settings-light')
  await page.keyboard.press('Escape')
  await setTheme(app, page, 'dark')
  await page.click('[data-testid="settings-open"]')
  await page.waitForSelector('[data-testid="settings-hotkeys"]')
  await shot(page, 'settings-dark')
  await page.close()
  await app.close()

  // --- the first-run setup, mid-download (no STT configured, no model installed)
  for (const theme of ['light', 'dark'] as const) {
    const fresh = await newApp({ catalogPath, installModel: false })
    await fresh.core.dispatch('updateSettings', { ui: { theme } })
    const p = await browser.newPage({ viewport: { width: 1280, height: 960 } })
    await p.goto(fresh.server.url)
    await p.waitForSelector('[data-testid="stt-setup"]')
    await waitConnected(p)
    await p.click('[data-testid="stt-setup-download"]')
    await p.waitForFunction(() => Number((document.querySelector('[data-testid="stt-setup-progress"]') as HTMLProgressElement | null)?.value ?? 0) > 35, undefined, { timeout: 60_000 })
    await shot(p, `first-run-setup-${theme}`)
    await p.click('[data-testid="stt-setup-cancel"]')
    await p.close()
    await fresh.close()
  }
  await browser.close()
  server.closeAllConnections()
  server.close()
  console.log(shots.join('\n'))
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})

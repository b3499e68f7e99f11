import { spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { launchChromium } from '../test/helpers/chromium'
import { numberOption, parseCli, parseOrExit } from '../src/node/cli'
import { commandLine, descendants, pct, round, rssMb } from './_proc'

/**
 * startup: browser-mode start → renderer ready, and the memory of each process.
 * Per run: with headless Chromium already running (the user's browser; its launch is reported, not counted), spawn
 * `node out/main/browser.js` (the built app, as `npm start` runs it), wait for its URL, load the page until the app
 * reports ready (services connected), then until the embedded backend is ready. Times are from the spawn.
 * Usage: npm run bench -- startup [--runs N]
 */
const runs = parseOrExit('bench startup', () =>
  numberOption('--runs', parseCli(process.argv.slice(2), { options: { runs: { type: 'string' } } }).values.runs, 3, { min: 1, integer: true })
)
const repoRoot = join(import.meta.dirname, '..')

interface RunResult {
  chromiumLaunchMs: number
  servicesListeningMs: number
  rendererReadyMs: number
  backendReadyMs: number
  rssMb: { services: number; backend: number; chromium: number }
}

async function once(): Promise<RunResult> {
  const userData = mkdtempSync(join(tmpdir(), 'va-bench-startup-'))
  // The browser is the user's, already running: its own launch is timed separately and not counted.
  const tLaunch = performance.now()
  const browser = await launchChromium()
  const chromiumLaunchMs = performance.now() - tLaunch
  const t0 = performance.now()
  const child = spawn(process.execPath, [join(repoRoot, 'out', 'main', 'browser.js'), '--no-open'], {
    env: { ...process.env, VOICE_ASSISTANT_USER_DATA: userData, VOICE_BROWSER_MODE_REASON: 'startup bench' },
    stdio: ['ignore', 'pipe', 'inherit']
  })
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('browser mode did not print its URL within 30 s')), 30_000)
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = /is at (http:\/\/\S+)/.exec(line)
      if (m) {
        clearTimeout(timer)
        resolve(m[1]!)
      }
    })
    child.once('exit', (code) => reject(new Error(`browser mode exited early (code ${code})`)))
  })
  const servicesListeningMs = performance.now() - t0
  try {
    const page = await browser.newPage()
    await page.goto(url)
    await page.waitForSelector('.app[data-ready="true"]', { timeout: 30_000 })
    await page.waitForFunction(() => document.querySelector('[data-testid="app-mode"]')?.textContent?.includes('browser mode'))
    const rendererReadyMs = performance.now() - t0
    await page.waitForFunction(() => document.querySelector('.header')?.textContent?.includes('Backend: ready'), undefined, { timeout: 60_000 })
    const backendReadyMs = performance.now() - t0
    const kids = descendants(child.pid!)
    const backendPid = kids.find((p) => commandLine(p).includes('server'))
    const backendTree = backendPid ? [backendPid, ...descendants(backendPid)] : []
    const chromiumPids = descendants(process.pid).filter((p) => commandLine(p).includes('chromium'))
    const sum = (pids: number[]) => pids.reduce((s, p) => s + (rssMb(p) ?? 0), 0)
    return {
      chromiumLaunchMs,
      servicesListeningMs,
      rendererReadyMs,
      backendReadyMs,
      rssMb: { services: rssMb(child.pid!) ?? NaN, backend: sum(backendTree), chromium: sum(chromiumPids) }
    }
  } finally {
    await browser.close()
    child.kill('SIGTERM')
    await new Promise((r) => child.once('exit', r))
  }
}

const results: RunResult[] = []
for (let i = 0; i < runs; i++) {
  const r = await once()
  results.push(r)
  console.log(
    `run ${i + 1}/${runs}: services listening ${r.servicesListeningMs.toFixed(0)} ms, renderer ready ${r.rendererReadyMs.toFixed(0)} ms, ` +
      `backend ready ${r.backendReadyMs.toFixed(0)} ms (Chromium launch, not counted: ${r.chromiumLaunchMs.toFixed(0)} ms); RSS services ${r.rssMb.services.toFixed(0)} MB, backend ${r.rssMb.backend.toFixed(0)} MB, chromium ${r.rssMb.chromium.toFixed(0)} MB`
  )
}
const med = (f: (r: RunResult) => number) => round(pct(results.map(f), 50))
console.log(
  JSON.stringify({
    bench: 'startup',
    runs,
    services_listening_ms_p50: med((r) => r.servicesListeningMs),
    renderer_ready_ms_p50: med((r) => r.rendererReadyMs),
    backend_ready_ms_p50: med((r) => r.backendReadyMs),
    chromium_launch_ms_p50_not_counted: med((r) => r.chromiumLaunchMs),
    rss_mb_p50: { services: med((r) => r.rssMb.services), backend_with_workers: med((r) => r.rssMb.backend), chromium_all_processes: med((r) => r.rssMb.chromium) }
  })
)

import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RENDERER_CSP } from '../../src/shared/security'
import { repoRoot } from '../helpers/browserApp'
import { chromiumMissingReason, launchChromium } from '../helpers/chromium'

const missing = chromiumMissingReason()

/**
 * `npm run dev` in browser mode (no Electron here), without its bootstrap (which may run `npm ci`): the script builds
 * the main bundle, starts Vite's dev server for the renderer and browser mode with `--dev-server`. The page loads
 * through browser mode's origin, React's refresh preamble runs (the dev CSP allows it), and Vite's HMR client
 * connects through the proxied socket. Bounded: 150 s to come up, then the whole process group is stopped.
 */
describe.skipIf(missing)('npm run dev (browser mode, hot reload)', () => {
  let child: ChildProcess
  let output = ''
  let url = ''
  let userDataDir: string
  let browser: Browser

  beforeAll(async () => {
    userDataDir = await mkdtemp(join(tmpdir(), 'va-e2e-dev-'))
    // No embedded backend: a remote URL where nothing listens (the dev loop's page is what is tested here).
    await writeFile(join(userDataDir, 'settings.json'), JSON.stringify({ version: 1, backend: { mode: 'remote', remoteUrl: 'ws://127.0.0.1:9/' } }))
    child = spawn(process.execPath, [join(repoRoot, 'scripts', 'dev.mjs'), '--browser', '--no-bootstrap', '--no-open', '--port', '0'], {
      cwd: repoRoot,
      env: { ...process.env, VOICE_ASSISTANT_USER_DATA: userDataDir },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true
    })
    const keep = (d: Buffer): void => {
      if (output.length < 400_000) output += d.toString()
    }
    child.stdout!.on('data', keep)
    child.stderr!.on('data', keep)
    const deadline = Date.now() + 150_000
    while (!(url = /Voice Assistant \(browser mode\) is at (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(output)?.[1] ?? '')) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`npm run dev did not come up:\n${output.slice(-4000)}`)
      await new Promise((r) => setTimeout(r, 250))
    }
    browser = await launchChromium({ extraArgs: ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'] })
  }, 180_000)

  afterAll(async () => {
    await browser?.close()
    if (child?.pid && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r))
      process.kill(-child.pid, 'SIGTERM')
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))])
      if (child.exitCode === null) process.kill(-child.pid, 'SIGKILL')
    }
    await rm(userDataDir, { recursive: true, force: true })
  })

  it('says it runs browser mode with hot reload, and where the renderer dev server is', () => {
    expect(output).toContain('[setup] browser mode with hot reload: browser mode was requested')
    expect(output).toMatch(/\[setup\] renderer dev server \(hot reload\) at http:\/\/127\.0\.0\.1:\d+/)
  })

  it('serves the page from the dev server under the dev CSP; the React refresh preamble runs and Vite\'s HMR client connects', async () => {
    const page = await browser.newPage()
    const consoleLines: string[] = []
    page.on('console', (m) => consoleLines.push(m.text()))
    const response = await page.goto(url)
    const csp = response!.headers()['content-security-policy']!
    expect(csp).not.toBe(RENDERER_CSP)
    expect(csp).toContain("script-src 'self' 'unsafe-inline'")
    // index.html came from Vite (its client script), not from out/renderer.
    expect(await response!.text()).toContain('/@vite/client')
    await page.waitForSelector('.app[data-ready="true"]', { timeout: 60_000 })
    await expect.poll(() => consoleLines.includes('[vite] connected.'), { timeout: 30_000 }).toBe(true)
    expect(await page.evaluate(() => typeof (window as unknown as { $RefreshReg$?: unknown }).$RefreshReg$)).toBe('function')
    expect(consoleLines.filter((l) => /Content Security Policy/.test(l))).toEqual([])
    await page.close()
  })
})

import { _electron as electron } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { repoRoot } from '../helpers/browserApp'
import { electronBinary } from '../../scripts/lib.mjs'

const binary = electronBinary() as string | null
const hasDisplay = process.platform !== 'linux' || Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY)
const skipReason = !binary
  ? 'the Electron binary is not installed (its download host is unreachable here); browser mode covers the same renderer and services'
  : !hasDisplay
    ? 'no display (set DISPLAY, e.g. run under xvfb-run)'
    : null
if (skipReason) console.warn(`[electron e2e] skipped: ${skipReason}`)

describe.skipIf(skipReason)('desktop app (Electron)', () => {
  it('opens a sandboxed window whose api reaches the main process', async () => {
    const app = await electron.launch({ executablePath: binary!, args: [repoRoot], cwd: repoRoot })
    try {
      const win = await app.firstWindow()
      await win.waitForSelector('.app[data-ready="true"]', { timeout: 30_000 })
      expect(await win.textContent('[data-testid="app-mode"]')).toContain('desktop')
      const isolated = await win.evaluate(() => typeof (globalThis as { require?: unknown }).require === 'undefined' && typeof (globalThis as { process?: unknown }).process === 'undefined')
      expect(isolated).toBe(true)
      const outcome = await win.evaluate(() => (window as unknown as { voiceApi: { ping(p: unknown): Promise<unknown> } }).voiceApi.ping({ clientTime: 'bad' }))
      expect(outcome).toMatchObject({ ok: false, error: { code: 'invalid_params' } })
    } finally {
      await app.close()
    }
  })
})

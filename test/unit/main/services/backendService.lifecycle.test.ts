import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { resolveBackendCommand } from '../../../../src/main/services/backendCommand'
import { AppCore } from '../../../../src/main/services/appCore'
import { BackendService } from '../../../../src/main/services/backendService'
import type { WebSocketLike } from '../../../../src/shared/signalingClient'
import { backendProcesses } from '../../../helpers/processTree'

/**
 * The embedded backend's lifecycle with REAL backend processes (src/server/main.ts through tsx, one mediasoup worker
 * each), counted in /proc as descendants of this test process: nothing may be left behind by concurrent restarts.
 */
const repo = join(import.meta.dirname, '..', '..', '..', '..')
const command = resolveBackendCommand({ moduleDir: join(repo, 'src', 'main', 'services'), appRoot: repo, execPath: process.execPath, isElectron: false })
const wsFactory = (url: string): WebSocketLike => new WebSocket(url) as unknown as WebSocketLike
const cleanups: Array<() => Promise<unknown> | unknown> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

const counts = (): { backends: number; workers: number } => {
  const { backends, workers } = backendProcesses()
  return { backends: backends.length, workers: workers.length }
}

describe('BackendService lifecycle with real backends', () => {
  it('8 concurrent restarts leave exactly one backend and one mediasoup worker; stop leaves none', { timeout: 120_000 }, async () => {
    const service = new BackendService({ command, backendSettings: () => ({ mode: 'embedded', remoteUrl: null, remoteUrls: [] }), wsFactory, readyTimeoutMs: 60_000 })
    cleanups.push(() => service.stop())
    const first = await service.start()
    expect(first.state).toBe('ready')
    const outcomes = await Promise.all(Array.from({ length: 8 }, () => service.start()))
    // Every caller hears the outcome of the generation that won; it is ready.
    expect(outcomes.map((s) => s.state)).toEqual(Array(8).fill('ready'))
    expect(service.status.state).toBe('ready')
    await expect.poll(counts, { timeout: 5000 }).toEqual({ backends: 1, workers: 1 })
    // Nothing else appears later either (no stray generation finishing its start-up after the fact).
    await new Promise((r) => setTimeout(r, 1500))
    expect(counts()).toEqual({ backends: 1, workers: 1 })
    await service.stop()
    await expect.poll(counts, { timeout: 5000 }).toEqual({ backends: 0, workers: 0 })
  })

  it('a backend killed before it reports ready is retried with backoff, and the retry becomes ready', { timeout: 120_000 }, async () => {
    const service = new BackendService({ command, backendSettings: () => ({ mode: 'embedded', remoteUrl: null, remoteUrls: [] }), wsFactory, readyTimeoutMs: 60_000 })
    cleanups.push(() => service.stop())
    const details: string[] = []
    service.events.on('status', (s) => details.push(`${s.state}: ${s.detail ?? ''}`))
    const started = service.start()
    // Kill the first backend as soon as it exists (long before it can print its ready line).
    let killed = 0
    await expect.poll(() => {
      const { backends } = backendProcesses()
      for (const b of backends) process.kill(b.pid, 'SIGKILL')
      killed += backends.length
      return killed
    }, { timeout: 10_000, interval: 20 }).toBeGreaterThan(0)
    const status = await started
    expect(status.state).toBe('ready')
    expect(details.some((d) => /exited before it was ready \(SIGKILL\).*retrying in \d+ ms/s.test(d))).toBe(true)
    await expect.poll(counts, { timeout: 5000 }).toEqual({ backends: 1, workers: 1 })
  })

  it('7 quick backend-mode changes through settings leave one backend', { timeout: 120_000 }, async () => {
    const userDataDir = await mkdtemp(join(tmpdir(), 'va-lifecycle-'))
    cleanups.push(() => rm(userDataDir, { recursive: true, force: true }))
    const core = new AppCore({
      appInfo: { name: 'Voice Assistant', version: '0', mode: 'browser', platform: 'linux', modeReason: null },
      userDataDir,
      backendCommand: command,
      wsFactory,
      autoStartBackend: false
    })
    cleanups.push(() => core.stop())
    await core.start()
    const ready = await core.backend.start()
    expect(ready.state).toBe('ready')
    const modes = ['remote', 'embedded', 'remote', 'embedded', 'remote', 'embedded', 'remote', 'embedded'] as const
    for (const mode of modes.slice(0, 7)) {
      const outcome = await core.dispatch('updateSettings', { backend: { mode, remoteUrl: 'ws://127.0.0.1:9/signaling' } })
      expect(outcome.ok).toBe(true)
    }
    // The last change (remote) wins; switch back to embedded once more and wait until it is ready.
    await core.dispatch('updateSettings', { backend: { mode: 'embedded' } })
    await expect.poll(() => core.backend.status.state, { timeout: 60_000, interval: 100 }).toBe('ready')
    await expect.poll(counts, { timeout: 5000 }).toEqual({ backends: 1, workers: 1 })
    await new Promise((r) => setTimeout(r, 1500))
    expect(counts()).toEqual({ backends: 1, workers: 1 })
  })
})

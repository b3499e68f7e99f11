import { spawn as nodeSpawn } from 'node:child_process'
import { join } from 'node:path'
import WebSocket from 'ws'
import { resolveBackendCommand } from '../src/main/services/backendCommand'
import { BackendService } from '../src/main/services/backendService'
import type { ContractError } from '../src/shared/contract/errors'
import { connectSignaling, type WebSocketLike } from '../src/shared/signalingClient'
import { backendProcesses } from '../test/helpers/processTree'
import { pct, round, rssMb } from './_proc'
import { sleep, tally, underAttack, type AttackReport, type LegitClient } from './_abuseHarness'

/**
 * restart_storm: the app's BackendService (src/main/services/backendService.ts) with a REAL embedded backend
 * (src/server/main.ts through tsx, one mediasoup worker), as the desktop app runs it; once it is ready, `restarts`
 * concurrent "Restart backend" calls (service.start()). Counted in /proc as descendants of this process
 * (test/helpers/processTree.ts): backends and mediasoup workers alive once the calls have resolved (goal: 1 and 1,
 * and still so 1.5 s later), start-ups actually run (spawns), and time until every call resolved. RSS is the sum of
 * every backend and worker process of this service. The legitimate client joins right after the storm: five fresh
 * connections to the URL the service reports, each connect → join answered → leave, one after another.
 */
export interface RestartStormOptions {
  restarts: number
  onCleanup: (cleanup: () => Promise<void>) => void
}

export interface LegitAfterRestart { joins: number; failed: number; failures: Record<string, number>; firstJoinMs: number; joinMsP50: number; joinMsP95: number }

const repo = join(import.meta.dirname, '..')
const JOINS_AFTER = 5

/** Backends and mediasoup workers under this process, excluding `others` (e.g. a standalone backend still running). */
function counts(others: ReadonlySet<number> = new Set()): { backends: number; workers: number; pids: number[] } {
  const { backends, workers } = backendProcesses()
  const mine = (p: { pid: number }): boolean => !others.has(p.pid)
  return { backends: backends.filter(mine).length, workers: workers.filter(mine).length, pids: [...backends, ...workers].filter(mine).map((p) => p.pid) }
}

export async function restartStorm(o: RestartStormOptions): Promise<AttackReport<LegitAfterRestart> & { afterStop: { backends: number; workers: number } }> {
  const others = new Set(counts().pids)
  const command = resolveBackendCommand({ moduleDir: join(repo, 'src', 'main', 'services'), appRoot: repo, execPath: process.execPath, isElectron: false })
  let spawned = 0
  const service = new BackendService({
    command,
    backendSettings: () => ({ mode: 'embedded', remoteUrl: null, remoteUrls: [] }),
    wsFactory: (url) => new WebSocket(url) as unknown as WebSocketLike,
    spawn: (cmd, args, options) => (spawned++, nodeSpawn(cmd, args, options)),
    readyTimeoutMs: 60_000
  })
  o.onCleanup(() => service.stop())
  try {
    const t0 = performance.now()
    const first = await service.start()
    if (first.state !== 'ready') throw new Error(`the embedded backend did not start: ${first.detail ?? first.state}`)
    console.log(`abuse: embedded backend ready in ${Math.round(performance.now() - t0)} ms (${command.args.join(' ')})`)

    /** Fresh connections to the URL the service reports, one after another: connect → join answered → leave. */
    const joinsNow = async (): Promise<LegitAfterRestart> => {
      const joinMs: number[] = []
      const failures: Record<string, number> = {}
      for (let i = 0; i < JOINS_AFTER; i++) {
        const t = performance.now()
        try {
          const url = service.status.signalingUrl
          if (service.status.state !== 'ready' || !url) throw new Error(`backend ${service.status.state}`)
          const client = await connectSignaling(url, (u) => new WebSocket(u) as unknown as WebSocketLike)
          try {
            await client.request('join', { pipeline: 'echo' })
            joinMs.push(performance.now() - t)
            await client.request('leave', {})
          } finally {
            client.close()
          }
        } catch (error) {
          const e = error as ContractError
          tally(failures, e.code ? `${e.code}:${e.limit ?? '-'}` : e.message.slice(0, 80))
        }
      }
      return { joins: joinMs.length, failed: JOINS_AFTER - joinMs.length, failures, firstJoinMs: round(joinMs[0] ?? Number.NaN), joinMsP50: round(pct(joinMs, 50)), joinMsP95: round(pct(joinMs, 95)) }
    }
    // The legitimate client joins the moment the storm's calls have resolved (inside the attack, beside the process
    // count); underAttack collects its figures afterwards.
    let joinedAfter: Promise<LegitAfterRestart> | null = null
    const legitJoinAfter = (): LegitClient<LegitAfterRestart> => ({
      stop: () => joinedAfter ?? Promise.reject(new Error('the storm never resolved')),
      describe: (r) => `joins right after: ${r.joins} of ${r.joins + r.failed}, first ${r.firstJoinMs} ms, p50 ${r.joinMsP50} ms p95 ${r.joinMsP95} ms`
    })

    const report = await underAttack('restart_storm', async () => {
      const before = spawned
      const t1 = performance.now()
      const outcomes = await Promise.all(Array.from({ length: o.restarts }, () => service.start()))
      const timeToReadyMs = Math.round(performance.now() - t1)
      joinedAfter = joinsNow()
      const startUps = spawned - before
      // The superseded generations' children are awaited by the service; allow 5 s for /proc to show them gone.
      const deadline = Date.now() + 5000
      let alive = counts(others)
      while ((alive.backends !== 1 || alive.workers !== 1) && Date.now() < deadline) {
        await sleep(100)
        alive = counts(others)
      }
      // Nothing may appear later either (a stray generation finishing its start-up after the fact).
      await sleep(1500)
      const later = counts(others)
      await joinedAfter
      const states: Record<string, number> = {}
      for (const s of outcomes) tally(states, s.state)
      return {
        refused: { 'joined the queued restart (no start-up of its own)': o.restarts - startUps },
        accepted: startUps,
        attempts: o.restarts,
        timeToReadyMs,
        outcomes: states,
        backendsAlive: later.backends,
        workersAlive: later.workers,
        backendsAliveAtReady: alive.backends,
        workersAliveAtReady: alive.workers
      }
    }, { rssMb: () => counts(others).pids.reduce((sum, pid) => sum + (rssMb(pid) ?? 0), 0), legit: legitJoinAfter })

    await service.stop()
    const deadline = Date.now() + 5000
    let left = counts(others)
    while ((left.backends || left.workers) && Date.now() < deadline) {
      await sleep(100)
      left = counts(others)
    }
    console.log(`restart_storm    after ${o.restarts} concurrent restarts: ${report.backendsAlive} backend(s), ${report.workersAlive} worker(s); after stop: ${left.backends} and ${left.workers}`)
    return { ...report, afterStop: { backends: left.backends, workers: left.workers } }
  } finally {
    await service.stop()
  }
}

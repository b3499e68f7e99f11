import { fork, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { numberOption, parseCli, parseOrExit, UsageError } from '../src/node/cli'
import { pct, round } from './_proc'
import { OpusFrameEncoder, FRAME_SAMPLES } from '../src/server/audio/opusCodec'
import { speechWav } from '../test/helpers/audioFixtures'
import { readWavMono16 } from '../test/helpers/mediaHarness'

/**
 * sessions: K concurrent sending sessions against ONE mediasoup worker (one WebRtcServer UDP port).
 *
 * Processes: the backend under test (bench/_sessionsBackend.ts: real startBackend, 1 worker, decode on, `click`
 * pipeline by default) and 2 load clients (bench/_sessionsLoadClient.ts: werift, real ICE + DTLS + SRTP, sending
 * pre-encoded 20 ms Opus speech, so no audio encoding on the client side; every session speaks the same clip, each
 * from its own point in it, so turns are not in lock step). K grows step by step (new sessions are added to the
 * running ones); at each K all sessions talk for `--warmup-seconds` (not measured), then for `--seconds`, and we
 * report:
 *  - loss: 1 − (audio packets the server's DirectTransport tap received) / (packets the clients sent);
 *  - decode lag: decoded-frame-at-pipeline time − the packet's scheduled send time (same host, epoch clocks),
 *    p50/p95 over sampled frames (includes client send lateness, loopback, SRTP, worker → Node channel, decode);
 *  - server CPU per session: (utime+stime of the mediasoup worker + the backend Node process over the window, from
 *    /proc/<pid>/stat) / wall time / K, in % of one core;
 *  - kernel UDP drops: the `drops` column of the worker's port in /proc/net/udp (that one socket's receive-buffer
 *    overflows) and, host-wide, /proc/net/snmp Udp RcvbufErrors (other processes on a shared host add to that one).
 * Goals: ≤ 0.8 % of one core per session; ≥ 200 sessions with < 0.5 % loss. "held" = loss < 0.5 %, decode lag
 * p95 ≤ 100 ms (a backend that gets every packet but decodes it late is not keeping up) and every session of that
 * K opened. The backend's busiest threads are listed too (main, the server VAD thread, …).
 * Usage: npm run bench -- sessions [--ks 50,100,200,300] [--seconds 8] [--warmup-seconds 1] [--clients 2]
 *   [--pipeline click|echo|voice]
 *   (voice: the voice loop with the batched server VAD on every session; no STT endpoint, so turns end at STT)
 */
const PIPELINES = ['click', 'echo', 'voice'] as const
const { ks, seconds, warmupSeconds, clientCount, pipeline } = parseOrExit('bench sessions', () => {
  const { values } = parseCli(process.argv.slice(2), {
    options: { ks: { type: 'string' }, seconds: { type: 'string' }, 'warmup-seconds': { type: 'string' }, clients: { type: 'string' }, pipeline: { type: 'string' } }
  })
  const pipeline = values.pipeline ?? 'click'
  if (!(PIPELINES as readonly string[]).includes(pipeline)) throw new UsageError(`--pipeline is one of ${PIPELINES.join(', ')}, got ${JSON.stringify(pipeline)}`)
  return {
    ks: (values.ks ?? '50,100,200,300').split(',').map((k) => numberOption('--ks', k, 0, { min: 1, integer: true })),
    seconds: numberOption('--seconds', values.seconds, 8, { min: 0.1 }),
    /** All K sessions talk this long before each measured window (first words of new sessions, code not yet hot). */
    warmupSeconds: numberOption('--warmup-seconds', values['warmup-seconds'], 1, { min: 0 }),
    clientCount: numberOption('--clients', values.clients, 2, { min: 1, integer: true }),
    pipeline: pipeline as (typeof PIPELINES)[number]
  }
})
const CLK_TCK = 100
/** A backend that receives everything but decodes it late is not keeping up: the voice loop would hear late. */
const MAX_DECODE_LAG_P95_MS = 100

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(f[11]) + Number(f[12])) / CLK_TCK // utime, stime (fields 14, 15)
}
/** CPU seconds per thread of a process, by thread id, with the thread's name. */
function threadCpu(pid: number): Map<number, { name: string; seconds: number }> {
  const out = new Map<number, { name: string; seconds: number }>()
  for (const tid of readdirSync(`/proc/${pid}/task`).map(Number)) {
    try {
      const name = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim()
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8')
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      out.set(tid, { name, seconds: (Number(f[11]) + Number(f[12])) / CLK_TCK })
    } catch {
      // the thread ended meanwhile
    }
  }
  return out
}
function udpCounters(): Record<string, number> {
  const lines = readFileSync('/proc/net/snmp', 'utf8').split('\n').filter((l) => l.startsWith('Udp:'))
  const names = lines[0]!.split(/\s+/).slice(1)
  const values = lines[1]!.split(/\s+/).slice(1).map(Number)
  return Object.fromEntries(names.map((n, i) => [n, values[i]!]))
}
/** Drops counted on the UDP socket bound to `port` (the worker's WebRtcServer port), from /proc/net/udp. */
function socketDrops(port: number): number {
  const hex = port.toString(16).toUpperCase().padStart(4, '0')
  for (const line of readFileSync('/proc/net/udp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/)
    if (f[1]?.endsWith(`:${hex}`)) return Number(f[12] ?? 0)
  }
  return 0
}
const sysctl = (name: string): string => {
  try {
    return readFileSync(`/proc/sys/net/core/${name}`, 'utf8').trim()
  } catch {
    return '?'
  }
}

/** One reply of the given type from a forked child. */
function ask<T>(child: ChildProcess, msg: unknown, type: string, timeoutMs = 300_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${type} reply within ${timeoutMs} ms`)), timeoutMs)
    const onMessage = (m: { type: string; message?: string }): void => {
      if (m.type === 'error') {
        clearTimeout(timer)
        child.off('message', onMessage)
        reject(new Error(m.message))
      } else if (m.type === type) {
        clearTimeout(timer)
        child.off('message', onMessage)
        resolve(m as T)
      }
    }
    child.on('message', onMessage)
    if (msg) child.send(msg as never)
  })
}
const forkTs = (file: string, env: Record<string, string> = {}): ChildProcess =>
  fork(join(import.meta.dirname, file), [], { execArgv: ['--import', 'tsx', ...(process.env.BENCH_CPU_PROF && file.includes(process.env.BENCH_CPU_PROF_WHO ?? 'Client') ? ['--cpu-prof', '--cpu-prof-dir=' + process.env.BENCH_CPU_PROF] : [])], env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })

// Pre-encoded Opus: a spoken sentence with pauses, looped by the clients.
const dir = mkdtempSync(join(tmpdir(), 'va-bench-sessions-'))
const wav = readWavMono16(speechWav('Hello, this is one of many people talking to the assistant at the same time. How is the weather today?', { dir, padStartS: 0.2, padEndS: 0.6 }))
const encoder = new OpusFrameEncoder()
const chunks: Buffer[] = []
for (let o = 0; o + FRAME_SAMPLES <= wav.samples.length; o += FRAME_SAMPLES) {
  const pcm = Int16Array.from(wav.samples.subarray(o, o + FRAME_SAMPLES), (x) => Math.round(x * 32767))
  const opus = encoder.encode(pcm)
  const len = Buffer.alloc(2)
  len.writeUInt16BE(opus.length)
  chunks.push(len, Buffer.from(opus))
}
const opusFile = join(dir, 'speech.opus-frames')
writeFileSync(opusFile, Buffer.concat(chunks))

const backend = forkTs('_sessionsBackend.ts', { BENCH_PIPELINE: pipeline })
const info = await ask<{ signalingUrl: string; nodePid: number; workerPid: number; rtcPort: number }>(backend, null, 'ready', 60_000)
const clients = Array.from({ length: clientCount }, () => forkTs('_sessionsLoadClient.ts'))
console.log(`backend: node pid ${info.nodePid}, mediasoup worker pid ${info.workerPid}, one UDP port ${info.rtcPort}; ${clientCount} werift load clients; pipeline ${pipeline}`)
console.log(`kernel: net.core.rmem_default=${sysctl('rmem_default')} net.core.rmem_max=${sysctl('rmem_max')}`)

interface Row {
  k: number
  opened: number
  loss_pct: number
  rcvbuf_errors: number
  socket_drops: number
  decode_lag_ms: { p50: number; p95: number }
  client_late_p95_ms: number
  cpu_per_session_pct: number
  worker_pct: number
  node_pct: number
  /** The backend's busiest threads (main = the event loop that decodes and paces; the server VAD runs on its own). */
  node_threads: Array<{ name: string; pct: number }>
  load_clients_pct: number
  /** Outage backfills so far (a session lost > 10 packets in a row, the server asked the client for them). */
  backfills: number
  held: boolean
}
const rows: Row[] = []
const failures: string[] = []
let opened = 0
try {
  for (const k of ks) {
    // Open the new sessions, spread over the clients.
    const add = k - opened
    const per = Array.from({ length: clientCount }, (_, i) => Math.floor(add / clientCount) + (i < add % clientCount ? 1 : 0))
    const openStart = Date.now()
    const results = await Promise.all(clients.map((c, i) => ask<{ sessions: unknown[]; failures: string[] }>(c, { type: 'open', signalingUrl: info.signalingUrl, count: per[i], opusFile, pipeline }, 'opened')))
    opened = results.reduce((n, r) => n + r.sessions.length, 0)
    for (const r of results) failures.push(...r.failures)
    console.log(`K=${k}: ${opened} sessions open (${results.reduce((n, r) => n + r.failures.length, 0)} failed) after ${Date.now() - openStart} ms`)
    if (warmupSeconds > 0) await Promise.all(clients.map((c) => ask(c, { type: 'warmup', durationMs: warmupSeconds * 1000 }, 'warmedUp')))
    const before = await ask<{ sessions: Array<{ sessionId: string; uplink: { packets: number; paddingOnly: number; malformed: number } }> }>(backend, { type: 'stats' }, 'stats')
    await ask(backend, { type: 'reset' }, 'reset')
    const udp0 = udpCounters()
    const drops0 = socketDrops(info.rtcPort)
    const threads0 = threadCpu(info.nodePid)
    const cpu0 = { worker: cpuSeconds(info.workerPid), node: cpuSeconds(info.nodePid), clients: clients.reduce((n, c) => n + cpuSeconds(c.pid!), 0), at: performance.now() }
    const sent = await Promise.all(clients.map((c) => ask<{ sessions: Array<{ sessionId: string; sent: number; t0Epoch: number }>; lateMsP95: number; backfills: number }>(c, { type: 'start', durationMs: seconds * 1000 }, 'sent')))
    const cpu1 = { worker: cpuSeconds(info.workerPid), node: cpuSeconds(info.nodePid), clients: clients.reduce((n, c) => n + cpuSeconds(c.pid!), 0), at: performance.now() }
    const threads1 = threadCpu(info.nodePid)
    const got = (s: { uplink: { packets: number; paddingOnly: number; malformed: number } }): number => s.uplink.packets - s.uplink.paddingOnly - s.uplink.malformed
    // Packets still queued in a busy client or backend are late, not lost: wait until the count stops growing.
    type Stats = { sessions: Array<{ sessionId: string; uplink: { packets: number; paddingOnly: number; malformed: number }; lag: Array<[number, number]> }> }
    let after = await ask<Stats>(backend, { type: 'stats' }, 'stats')
    for (let i = 0, last = -1; i < 20; i++) {
      const total = after.sessions.reduce((n, x) => n + got(x), 0)
      if (total === last) break
      last = total
      await new Promise((r) => setTimeout(r, 300))
      after = await ask<Stats>(backend, { type: 'stats' }, 'stats')
    }
    const udp1 = udpCounters()
    const drops1 = socketDrops(info.rtcPort)
    const beforeBy = new Map(before.sessions.map((s) => [s.sessionId, got(s)]))
    const t0By = new Map(sent.flatMap((c) => c.sessions.map((s) => [s.sessionId, s.t0Epoch] as const)))
    const totalSent = sent.reduce((n, c) => n + c.sessions.reduce((m, s) => m + s.sent, 0), 0)
    let received = 0
    const lags: number[] = []
    for (const s of after.sessions) {
      if (!t0By.has(s.sessionId)) continue
      received += got(s) - (beforeBy.get(s.sessionId) ?? 0)
      const t0 = t0By.get(s.sessionId)!
      for (const [ts, at] of s.lag) lags.push(at - (t0 + ts / 48))
    }
    const wall = (cpu1.at - cpu0.at) / 1000
    const workerPct = ((cpu1.worker - cpu0.worker) / wall) * 100
    const nodePct = ((cpu1.node - cpu0.node) / wall) * 100
    const loss = totalSent > 0 ? Math.max(0, 1 - received / totalSent) * 100 : 100
    const nodeThreads = [...threads1]
      .map(([tid, t]) => ({ name: tid === info.nodePid ? 'main' : t.name, pct: round(((t.seconds - (threads0.get(tid)?.seconds ?? 0)) / wall) * 100) }))
      .sort((a, b) => b.pct - a.pct)
      .slice(0, 3)
    const lag = { p50: round(pct(lags, 50)), p95: round(pct(lags, 95)) }
    const row: Row = {
      k,
      opened,
      loss_pct: round(loss, 3),
      rcvbuf_errors: (udp1.RcvbufErrors ?? 0) - (udp0.RcvbufErrors ?? 0),
      socket_drops: drops1 - drops0,
      decode_lag_ms: lag,
      client_late_p95_ms: round(Math.max(...sent.map((c) => c.lateMsP95))),
      cpu_per_session_pct: round((workerPct + nodePct) / Math.max(1, opened), 3),
      worker_pct: round(workerPct),
      node_pct: round(nodePct),
      node_threads: nodeThreads,
      load_clients_pct: round(((cpu1.clients - cpu0.clients) / wall) * 100),
      backfills: sent.reduce((n, c) => n + c.backfills, 0),
      held: opened === k && loss < 0.5 && lag.p95 <= MAX_DECODE_LAG_P95_MS
    }
    rows.push(row)
    console.log(
      `K=${k}: sent ${totalSent}, received ${received}, loss ${row.loss_pct}% (drops on the worker's UDP socket +${row.socket_drops}, host-wide Udp RcvbufErrors +${row.rcvbuf_errors}: other processes share the host); decode lag p50 ${row.decode_lag_ms.p50} ms p95 ${row.decode_lag_ms.p95} ms; ` +
        `client send lateness p95 ${row.client_late_p95_ms} ms; server CPU worker ${row.worker_pct}% + node ${row.node_pct}% (${row.node_threads.map((t) => `${t.name} ${t.pct}%`).join(', ')}) of one core = ${row.cpu_per_session_pct}% per session; load clients ${row.load_clients_pct}% (host load ${readFileSync('/proc/loadavg', 'utf8').split(' ')[0]})`
    )
    if (opened < k) {
      console.log(`K=${k}: only ${opened} sessions opened; stopping (${failures.slice(0, 3).join(' | ')})`)
      break
    }
  }
} finally {
  await Promise.all(clients.map((c) => ask(c, { type: 'close' }, 'never', 20_000).catch(() => undefined)))
  for (const c of clients) if (c.exitCode === null) c.kill()
  backend.send({ type: 'close' })
  await new Promise<void>((r) => {
    const timer = setTimeout(r, 5000)
    backend.once('exit', () => (clearTimeout(timer), r()))
  })
  if (backend.exitCode === null) backend.kill()
}
const held = rows.filter((r) => r.held)
const largest = held.length ? Math.max(...held.map((r) => r.k)) : 0
console.log(
  'Raising the UDP receive buffer in a deployment (all senders share ONE socket per worker): ' +
    'sysctl -w net.core.rmem_max=26214400 net.core.rmem_default=26214400 (persist in /etc/sysctl.d/); mediasoup 3.12 sizes its ' +
    'sockets from the kernel default (libuv, no per-socket option in WebRtcServer listenInfos), so rmem_default is the knob; ' +
    'check with `cat /proc/net/snmp | grep Udp:` (RcvbufErrors) under load, and add workers (one port each) before a socket saturates.'
)
console.log(
  JSON.stringify({
    bench: 'sessions',
    pipeline,
    seconds,
    warmup_seconds: warmupSeconds,
    clients: clientCount,
    rmem_default: Number(sysctl('rmem_default')) || null,
    per_k: rows,
    largest_k_held: largest,
    cpu_per_session_pct_at_largest: held.find((r) => r.k === largest)?.cpu_per_session_pct ?? null,
    goals: { cpu_per_session_pct: 0.8, sessions_at_loss_below_0_5_pct: 200, decode_lag_p95_ms: MAX_DECODE_LAG_P95_MS },
    open_failures: failures.length
  })
)
process.exit(0)

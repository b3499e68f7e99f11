import { spawn } from 'node:child_process'
import { createServer } from 'node:http'
import { connect, type AddressInfo, type Socket } from 'node:net'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import WebSocket from 'ws'
import { numberOption, parseCli, parseOrExit, UsageError } from '../src/node/cli'
import { descendants, pct, round, rssMb } from './_proc'
import { issueAccessToken, makeSecret } from '../src/server/auth/accessToken'
import { TOKEN_SECRET_ENV } from '../src/server/config'
import { DEFAULT_FAIR_LIMITS } from '../src/server/limits/fairLimits'
import { DEFAULT_SIGNALING_TIMEOUTS } from '../src/server/signalingServer'
import { DEFAULT_DETACHED_GRACE_MS } from '../src/server/sessions/sessionManager'
import type { ContractError } from '../src/shared/contract/errors'
import { connectSignaling, type SignalingClient, type WebSocketLike } from '../src/shared/signalingClient'

/**
 * abuse: a standalone backend (src/server/main.ts, operator tokens, --client-providers public-https, default limits)
 * under each attack of issue 14 in turn, on loopback only, every loop bounded in count and time. Per attack: what was
 * refused and how (HTTP status or ContractError code:limit), the backend's memory (RSS of the Node process plus its
 * mediasoup worker; baseline and peak), and what a legitimate client saw meanwhile: a fresh connection + join + leave
 * every 600 ms from its own address and token, join latency p50/p95 (connect → join answered) and failures.
 * Attackers use other loopback addresses (127.0.0.2–6): the per-address limits are what they run into.
 *   unauthenticated   upgrades without a token
 *   bad_token         forged signature, expired, malformed, and a valid token from a foreign Origin
 *   ssrf              a valid client points its voice session's STT at a loopback-only HTTP service (and friends)
 *   join_flood        2000 joins from one client: half leave at once, half keep the session and reconnect
 *   silent_sockets    raw TCP connections that never send a byte, and WebSocket clients that never send a request
 *   half_open_peers   joined clients that stop answering pings (their link is "gone"); time until their sessions close
 * The quick attacks (unauthenticated, bad_token, join_flood) repeat their bounded round until --seconds have passed
 * (at most 20 rounds), so the legitimate client's latency is measured across the attack, not beside it.
 * Usage: npm run bench -- abuse [--attempts 500] [--flood 2000] [--silent 200] [--half-open 20] [--seconds 5]
 *   [--timeouts default|fast]  (fast: ping 1 s, pong 1 s, idle 3 s, grace 3 s — for a quick run; the default
 *   timeouts meet the 30 s goal)
 */
const USAGE = 'usage: npm run bench -- abuse [--attempts 500] [--flood 2000] [--silent 200] [--half-open 20] [--seconds 5] [--timeouts default|fast]'
if (process.argv.includes('--help') || process.argv.includes('-h')) {
  console.log(USAGE)
  process.exit(0)
}
const { ATTEMPTS, FLOOD, SILENT, HALF_OPEN, MIN_ATTACK_MS, flags } = parseOrExit(
  'bench abuse',
  () => {
    const { values } = parseCli(process.argv.slice(2), {
      options: {
        attempts: { type: 'string' },
        flood: { type: 'string' },
        silent: { type: 'string' },
        'half-open': { type: 'string' },
        seconds: { type: 'string' },
        timeouts: { type: 'string', default: 'default' },
        help: { type: 'boolean', short: 'h' }
      }
    })
    if (values.timeouts !== 'default' && values.timeouts !== 'fast') throw new UsageError(`--timeouts must be default or fast, got ${JSON.stringify(values.timeouts)}`)
    const whole = (label: string, raw: string | undefined, fallback: number, max: number): number => numberOption(label, raw, fallback, { min: 1, max, integer: true })
    return {
      ATTEMPTS: whole('--attempts', values.attempts, 500, 5000),
      FLOOD: whole('--flood', values.flood, 2000, 10_000),
      SILENT: whole('--silent', values.silent, 200, 1000),
      HALF_OPEN: whole('--half-open', values['half-open'], 20, 40),
      MIN_ATTACK_MS: whole('--seconds', values.seconds, 5, 60) * 1000,
      flags: values
    }
  },
  USAGE
)
const MAX_ROUNDS = 20
const FAST = flags.timeouts === 'fast'
const timeouts = FAST
  ? { pingIntervalMs: 1000, pongTimeoutMs: 1000, idleTimeoutMs: 3000, graceMs: 3000 }
  : { pingIntervalMs: DEFAULT_SIGNALING_TIMEOUTS.pingIntervalMs, pongTimeoutMs: DEFAULT_SIGNALING_TIMEOUTS.pongTimeoutMs, idleTimeoutMs: DEFAULT_SIGNALING_TIMEOUTS.idleTimeoutMs, graceMs: DEFAULT_DETACHED_GRACE_MS }

const repo = join(import.meta.dirname, '..')
const secret = makeSecret()
const token = (sub: string, ttlMs = 3_600_000): string => issueAccessToken(secret, { sub, ttlMs })
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

// --- the backend under attack, and what it logs (with arrival times)
const backend = spawn(
  process.execPath,
  ['--import', 'tsx', join(repo, 'src/server/main.ts'), '--listen', '127.0.0.1', '--workers', '1', '--client-providers', 'public-https', '--log-level', 'warn',
    ...(FAST ? ['--ping-interval-ms', '1000', '--pong-timeout-ms', '1000', '--idle-timeout-ms', '3000', '--session-grace-ms', '3000'] : [])],
  { cwd: repo, env: { ...process.env, [TOKEN_SECRET_ENV]: secret }, stdio: ['ignore', 'pipe', 'pipe'] }
)
const logs: Array<{ at: number; line: string }> = []
createInterface({ input: backend.stderr! }).on('line', (line) => {
  logs.push({ at: Date.now(), line })
  if (logs.length > 200_000) logs.splice(0, 100_000)
})
const ready = await new Promise<{ signalingUrl: string; pid: number }>((resolve, reject) => {
  createInterface({ input: backend.stdout! }).once('line', (l) => resolve(JSON.parse(l) as { signalingUrl: string; pid: number }))
  backend.once('exit', (code) => reject(new Error(`backend exited ${code}: ${logs.map((l) => l.line).join('\n')}`)))
})
const baseUrl = ready.signalingUrl
const withToken = (t: string): string => `${baseUrl}?token=${t}`
const backendRssMb = (): number => [ready.pid, ...descendants(ready.pid)].reduce((sum, pid) => sum + (rssMb(pid) ?? 0), 0)
const ws = (localAddress: string, extra: WebSocket.ClientOptions = {}) => (url: string): WebSocketLike => new WebSocket(url, { localAddress, ...extra }) as unknown as WebSocketLike

/** One upgrade attempt: 'open' (then closed at once) or the refusal's HTTP status and body. */
function upgrade(url: string, opts: WebSocket.ClientOptions): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const sock = new WebSocket(url, opts)
    const timer = setTimeout(() => (sock.terminate(), resolve({ status: 0, body: 'no answer in 5 s' })), 5000)
    sock.once('open', () => (clearTimeout(timer), sock.close(), resolve({ status: 101, body: 'open' })))
    sock.once('unexpected-response', (_req, res) => {
      let body = ''
      res.on('data', (c: Buffer) => (body += c.toString()))
      res.on('end', () => (clearTimeout(timer), resolve({ status: res.statusCode ?? 0, body: body.trim() })))
    })
    sock.once('error', (e) => (clearTimeout(timer), resolve({ status: 0, body: e.message })))
  })
}

/** Run `tasks` with at most `width` at a time. */
async function pool<T>(n: number, width: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array<T>(n)
  let next = 0
  await Promise.all(Array.from({ length: Math.min(width, n) }, async () => {
    while (next < n) {
      const i = next++
      out[i] = await task(i)
    }
  }))
  return out
}

const tally = (m: Record<string, number>, key: string): void => void (m[key] = (m[key] ?? 0) + 1)

interface LegitReport { joins: number; failed: number; failures: Record<string, number>; joinMsP50: number; joinMsP95: number }
/** What an attack round reports: refusals by kind, attempts that got through, and anything specific to it. */
type AttackResult = { refused: Record<string, number>; accepted: number; attempts: number } & { [detail: string]: unknown }
type AttackReport = AttackResult & { durationMs: number; rssBaselineMb: number; rssPeakMb: number; legit: LegitReport }

/**
 * Run an attack while the legitimate client keeps joining and RSS is sampled. The legitimate client (its own token
 * and address, 127.0.0.1) opens a fresh connection, joins, leaves and closes every 600 ms.
 */
/** Repeat a bounded round until MIN_ATTACK_MS have passed (at most MAX_ROUNDS), adding up its counts. */
function repeated(round: () => Promise<AttackResult>): () => Promise<AttackResult> {
  return async () => {
    const t0 = performance.now()
    const total: AttackResult & { rounds: number } = { refused: {}, accepted: 0, attempts: 0, rounds: 0 }
    do {
      const r = await round()
      for (const [k, v] of Object.entries(r.refused)) total.refused[k] = (total.refused[k] ?? 0) + v
      total.accepted += r.accepted
      total.attempts += r.attempts
      total.rounds++
      for (const [k, v] of Object.entries(r)) if (!(k in total)) total[k] = v
    } while (performance.now() - t0 < MIN_ATTACK_MS && total.rounds < MAX_ROUNDS)
    return total
  }
}

async function underAttack(name: string, attack: () => Promise<AttackResult>): Promise<AttackReport> {
  const rssBaselineMb = backendRssMb()
  let rssPeakMb = rssBaselineMb
  const sampler = setInterval(() => (rssPeakMb = Math.max(rssPeakMb, backendRssMb())), 200)
  let running = true
  const joinMs: number[] = []
  const failures: Record<string, number> = {}
  const legit = (async () => {
    while (running) {
      const t0 = performance.now()
      let client: SignalingClient | null = null
      try {
        client = await connectSignaling(withToken(token('alice')), ws('127.0.0.1'))
        await client.request('join', { pipeline: 'echo' })
        joinMs.push(performance.now() - t0)
        await client.request('leave', {})
      } catch (error) {
        const e = error as ContractError
        tally(failures, e.code ? `${e.code}:${e.limit ?? '-'}` : e.message.slice(0, 80))
      } finally {
        client?.close()
      }
      await sleep(600)
    }
  })()
  const t0 = performance.now()
  const result = await attack()
  const durationMs = performance.now() - t0
  running = false
  await legit
  clearInterval(sampler)
  const report: AttackReport = {
    ...result,
    durationMs: Math.round(durationMs),
    rssBaselineMb: round(rssBaselineMb),
    rssPeakMb: round(rssPeakMb),
    legit: { joins: joinMs.length, failed: Object.values(failures).reduce((a, b) => a + b, 0), failures, joinMsP50: round(pct(joinMs, 50)), joinMsP95: round(pct(joinMs, 95)) }
  }
  console.log(
    `${name.padEnd(16)} refused ${JSON.stringify(report.refused)}, accepted ${report.accepted}; ${(report.durationMs / 1000).toFixed(1)} s; ` +
      `RSS ${report.rssBaselineMb} → peak ${report.rssPeakMb} MB; legitimate: ${report.legit.joins} joins, ${report.legit.failed} failed, join p50 ${report.legit.joinMsP50} ms p95 ${report.legit.joinMsP95} ms`
  )
  return report
}

// Warm the backend (first session on the worker) so the first attack's legitimate latency is not the cold start.
{
  const c = await connectSignaling(withToken(token('alice')), ws('127.0.0.1'))
  await c.request('join', { pipeline: 'echo' })
  await c.request('leave', {})
  c.close()
}
console.log(`abuse: backend pid ${ready.pid} at ${baseUrl}; timeouts ${JSON.stringify(timeouts)}; limits ${JSON.stringify(DEFAULT_FAIR_LIMITS)}`)
const attacks: Record<string, AttackReport> = {}

attacks.unauthenticated = await underAttack('unauthenticated', repeated(async () => {
  const refused: Record<string, number> = {}
  let accepted = 0
  await pool(ATTEMPTS, 25, async () => {
    const r = await upgrade(baseUrl, { localAddress: '127.0.0.2' })
    if (r.status === 101) accepted++
    else tally(refused, `HTTP ${r.status}`)
  })
  return { refused, accepted, attempts: ATTEMPTS }
}))

attacks.bad_token = await underAttack('bad_token', repeated(async () => {
  const forged = issueAccessToken(makeSecret(), { sub: 'alice', ttlMs: 3_600_000 })
  const expired = issueAccessToken(secret, { sub: 'alice', ttlMs: 1000 }, Date.now() - 60_000)
  const kinds: Array<[string, string, WebSocket.ClientOptions]> = [
    ['forged signature', withToken(forged), {}],
    ['expired', withToken(expired), {}],
    ['malformed', withToken('va1.e30.AAAA'), {}],
    ['foreign origin', withToken(token('mallory')), { origin: 'https://evil.example' }]
  ]
  const refused: Record<string, number> = {}
  const reasons: Record<string, string> = {}
  let accepted = 0
  await pool(ATTEMPTS, 25, async (i) => {
    const [kind, url, opts] = kinds[i % kinds.length]!
    const r = await upgrade(url, { localAddress: '127.0.0.2', ...opts })
    if (r.status === 101) accepted++
    else {
      tally(refused, `${kind}: HTTP ${r.status}`)
      reasons[kind] = r.body
    }
  })
  return { refused, accepted, attempts: ATTEMPTS, reasons }
}))

attacks.ssrf = await underAttack('ssrf', async () => {
  const received: string[] = []
  const service = createServer((req, res) => {
    received.push(`${req.method} ${req.url}`)
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"text":"internal secret"}')
  })
  await new Promise<void>((r) => service.listen(0, '127.0.0.1', r))
  const port = (service.address() as AddressInfo).port
  const targets = [
    `http://127.0.0.1:${port}/v1`,
    `https://127.0.0.1:${port}/v1`,
    `https://[::ffff:127.0.0.1]:${port}/v1`,
    `https://[::1]:${port}/v1`,
    `https://localhost:${port}/v1`,
    `https://2130706433:${port}/v1`,
    'https://169.254.169.254/latest/meta-data',
    'https://10.0.0.1/v1',
    'https://[fd00::1]/v1'
  ]
  const client = await connectSignaling(withToken(token('mallory')), ws('127.0.0.2'))
  const { sessionId, token: sessionToken } = await client.request('join', { pipeline: 'voice' })
  const refused: Record<string, number> = {}
  const reasons: Record<string, string> = {}
  let accepted = 0
  for (const url of targets) {
    try {
      await client.request('observeSession', { sessionId, token: sessionToken, voice: { stt: [{ kind: 'openai-compatible', baseUrl: url, apiKey: null, model: 'whisper-1' }], llm: [], tts: [] } })
      accepted++
    } catch (error) {
      const e = error as ContractError
      tally(refused, e.code)
      reasons[url] = e.message.replace(/^the STT provider \S+ was refused: /, '')
    }
    // A turn after each attempt: a provider that got configured would be called now.
    for (const type of ['speechStart', 'speechEnd', 'endOfUtterance'] as const) await client.request('clientEvent', { type, clientTime: Date.now(), turnId: `t-${url}` })
  }
  await sleep(1000)
  await client.request('leave', {})
  client.close()
  service.close()
  return { refused, accepted, attempts: targets.length, requestsReceivedByTarget: received.length, reasons }
})

attacks.join_flood = await underAttack('join_flood', repeated(async () => {
  const refused: Record<string, number> = {}
  let accepted = 0
  let sent = 0
  const opened: SignalingClient[] = []
  const open = async (): Promise<SignalingClient> => {
    const c = await connectSignaling(withToken(token('mallory')), ws('127.0.0.2'))
    opened.push(c)
    return c
  }
  await Promise.all(Array.from({ length: 40 }, async (_, lane) => {
    let c: SignalingClient | null = null
    while (sent < FLOOD) {
      sent++
      try {
        c ??= await open()
        await c.request('join', { pipeline: 'echo' })
        accepted++
        if (lane % 2 === 0) await c.request('leave', {})
        else c = null // keep the session (it stays, detached, for its grace) and join again on a fresh connection
      } catch (error) {
        const e = error as ContractError
        const upgradeStatus = /Unexpected server response: (\d+)/.exec(e.message)?.[1]
        tally(refused, e.code ? `${e.code}:${e.limit ?? '-'}` : upgradeStatus ? `HTTP ${upgradeStatus} at connect` : e.message.slice(0, 60))
      }
    }
  }))
  for (const c of opened) c.close()
  return { refused, accepted, attempts: sent }
}))

attacks.silent_sockets = await underAttack('silent_sockets', async () => {
  const t0 = Date.now()
  const closedAfter: number[] = []
  const raw = await pool(SILENT, 50, () => new Promise<Socket>((resolve) => {
    const s = connect({ port: Number(new URL(baseUrl).port), host: '127.0.0.1', localAddress: '127.0.0.3' }, () => resolve(s))
    s.on('error', () => undefined)
    s.once('close', () => closedAfter.push(Date.now() - t0))
  }))
  // WebSocket clients that authenticate and then never send a request (100, across two addresses: 50 per address).
  const wsClosedAfter: number[] = []
  const silentWs = await pool(100, 25, (i) => new Promise<WebSocket>((resolve) => {
    const s = new WebSocket(withToken(token(`silent${i}`)), { localAddress: i % 2 ? '127.0.0.4' : '127.0.0.5' })
    s.on('error', () => undefined)
    s.once('open', () => resolve(s))
    s.once('close', () => (wsClosedAfter.push(Date.now() - t0), resolve(s)))
  }))
  const deadline = Date.now() + timeouts.idleTimeoutMs + timeouts.pingIntervalMs + 15_000
  while ((closedAfter.length < raw.length || wsClosedAfter.length < silentWs.length) && Date.now() < deadline) await sleep(200)
  for (const s of raw) s.destroy()
  for (const s of silentWs) s.terminate()
  return {
    refused: { 'raw TCP closed by the handshake timeout': closedAfter.length, 'WebSocket closed as idle': wsClosedAfter.length },
    accepted: raw.length - closedAfter.length + silentWs.length - wsClosedAfter.length,
    attempts: raw.length + silentWs.length,
    rawSockets: raw.length,
    rawClosedWithinMs: Math.max(0, ...closedAfter),
    silentWebSockets: silentWs.length,
    webSocketsClosedWithinMs: Math.max(0, ...wsClosedAfter)
  }
})

attacks.half_open_peers = await underAttack('half_open_peers', async () => {
  const t0 = Date.now()
  const sessionIds: string[] = []
  const peers: SignalingClient[] = []
  await pool(HALF_OPEN, 10, async (i) => {
    // autoPong off: the peer sends requests but never answers a ping, as a peer whose link vanished.
    const c = await connectSignaling(withToken(token(`peer${i}`)), ws(i % 2 ? '127.0.0.6' : '127.0.0.7', { autoPong: false }))
    const joined = await c.request('join', { pipeline: 'echo' })
    await c.request('createTransport', { direction: 'send' })
    sessionIds.push(joined.sessionId)
    peers.push(c)
  })
  const joinedAt = Date.now()
  const closedAt = (id: string): number | undefined => logs.find((l) => l.line.includes(`session ${id} not resumed within`))?.at
  const deadline = joinedAt + timeouts.pingIntervalMs + timeouts.pongTimeoutMs + timeouts.graceMs + 15_000
  while (sessionIds.some((id) => closedAt(id) === undefined) && Date.now() < deadline) await sleep(200)
  const freed = sessionIds.map(closedAt).filter((t): t is number => t !== undefined)
  for (const c of peers) c.close()
  return {
    refused: { 'sessions closed after the dead peer was found and the grace ended': freed.length },
    accepted: sessionIds.length - freed.length,
    attempts: sessionIds.length,
    freedWithinMsOfJoin: freed.length ? Math.max(...freed) - joinedAt : null,
    setupMs: joinedAt - t0
  }
})

backend.kill('SIGTERM')
await new Promise((r) => backend.once('exit', r))
const summary = {
  bench: 'abuse',
  timeouts,
  limits: DEFAULT_FAIR_LIMITS,
  attacks
}
console.log(JSON.stringify(summary))

import { spawn } from 'node:child_process'
import { createServer } from 'node:http'
import { connect, type AddressInfo, type Socket } from 'node:net'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import WebSocket from 'ws'
import { descendants, pct, round, rssMb } from './_proc'
import { pool, repeated, sleep, tally, underAttack, type AttackReport, type AttackResult, type LegitClient } from './_abuseHarness'
import { issueAccessToken, makeSecret } from '../src/server/auth/accessToken'
import { TOKEN_SECRET_ENV } from '../src/server/config'
import { DEFAULT_FAIR_LIMITS } from '../src/server/limits/fairLimits'
import { DEFAULT_SIGNALING_TIMEOUTS } from '../src/server/signalingServer'
import { DEFAULT_DETACHED_GRACE_MS } from '../src/server/sessions/sessionManager'
import type { ContractError } from '../src/shared/contract/errors'
import { connectSignaling, type SignalingClient, type WebSocketLike } from '../src/shared/signalingClient'

/**
 * The signaling attacks of bench abuse: a standalone backend (src/server/main.ts, operator tokens, --client-providers
 * public-https, default limits) under each attack in turn, while a legitimate client (its own token and address,
 * 127.0.0.1) opens a fresh connection, joins, leaves and closes every 600 ms. Attackers use other loopback addresses
 * (127.0.0.2–7): the per-address limits are what they run into.
 */
export const SIGNALING_ATTACKS = ['unauthenticated', 'bad_token', 'ssrf', 'join_flood', 'silent_sockets', 'half_open_peers'] as const
export type SignalingAttack = (typeof SIGNALING_ATTACKS)[number]

export interface SignalingOptions {
  attempts: number
  flood: number
  silent: number
  halfOpen: number
  /** The quick attacks repeat their bounded round until this much time has passed (at most 20 rounds). */
  minAttackMs: number
  fast: boolean
  run: (attack: SignalingAttack) => boolean
  /** Called with the backend's teardown as soon as it runs, so the caller can end it if anything fails. */
  onCleanup: (cleanup: () => Promise<void>) => void
}

export interface LegitJoins { joins: number; failed: number; failures: Record<string, number>; joinMsP50: number; joinMsP95: number }

const repo = join(import.meta.dirname, '..')

/** The backend's dead-peer timeouts: its defaults, or (fast) ping 1 s, pong 1 s, idle 3 s, grace 3 s for a quick run. */
export function signalingTimeouts(fast: boolean) {
  return fast
    ? { pingIntervalMs: 1000, pongTimeoutMs: 1000, idleTimeoutMs: 3000, graceMs: 3000 }
    : { pingIntervalMs: DEFAULT_SIGNALING_TIMEOUTS.pingIntervalMs, pongTimeoutMs: DEFAULT_SIGNALING_TIMEOUTS.pongTimeoutMs, idleTimeoutMs: DEFAULT_SIGNALING_TIMEOUTS.idleTimeoutMs, graceMs: DEFAULT_DETACHED_GRACE_MS }
}

export async function signalingAttacks(o: SignalingOptions) {
  const timeouts = signalingTimeouts(o.fast)
  const secret = makeSecret()
  const token = (sub: string, ttlMs = 3_600_000): string => issueAccessToken(secret, { sub, ttlMs })

  // --- the backend under attack, and what it logs (with arrival times)
  const backend = spawn(
    process.execPath,
    ['--import', 'tsx', join(repo, 'src/server/main.ts'), '--listen', '127.0.0.1', '--workers', '1', '--client-providers', 'public-https', '--log-level', 'info',
      ...(o.fast ? ['--ping-interval-ms', '1000', '--pong-timeout-ms', '1000', '--idle-timeout-ms', '3000', '--session-grace-ms', '3000'] : [])],
    { cwd: repo, env: { ...process.env, [TOKEN_SECRET_ENV]: secret }, stdio: ['ignore', 'pipe', 'pipe'] }
  )
  const stopBackend = async (): Promise<void> => {
    if (backend.exitCode !== null || backend.signalCode !== null) return
    const exited = new Promise((r) => backend.once('exit', r))
    backend.kill('SIGTERM')
    await exited
  }
  o.onCleanup(stopBackend)
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

  /** The legitimate client: a fresh connection + join + leave every 600 ms; join latency is connect → join answered. */
  const legitJoins = (): LegitClient<LegitJoins> => {
    let running = true
    const joinMs: number[] = []
    const failures: Record<string, number> = {}
    const loop = (async () => {
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
    return {
      async stop() {
        running = false
        await loop
        return { joins: joinMs.length, failed: Object.values(failures).reduce((a, b) => a + b, 0), failures, joinMsP50: round(pct(joinMs, 50)), joinMsP95: round(pct(joinMs, 95)) }
      },
      describe: (r) => `${r.joins} joins, ${r.failed} failed, join p50 ${r.joinMsP50} ms p95 ${r.joinMsP95} ms`
    }
  }
  const target = { rssMb: backendRssMb, legit: legitJoins }
  const quick = (round: () => Promise<AttackResult>) => repeated(round, o.minAttackMs)

  // Warm the backend (first session on the worker) so the first attack's legitimate latency is not the cold start.
  {
    const c = await connectSignaling(withToken(token('alice')), ws('127.0.0.1'))
    await c.request('join', { pipeline: 'echo' })
    await c.request('leave', {})
    c.close()
  }
  console.log(`abuse: backend pid ${ready.pid} at ${baseUrl}; timeouts ${JSON.stringify(timeouts)}; limits ${JSON.stringify(DEFAULT_FAIR_LIMITS)}`)
  const attacks: Partial<Record<SignalingAttack, AttackReport<LegitJoins>>> = {}

  if (o.run('unauthenticated')) attacks.unauthenticated = await underAttack('unauthenticated', quick(async () => {
    const refused: Record<string, number> = {}
    let accepted = 0
    await pool(o.attempts, 25, async () => {
      const r = await upgrade(baseUrl, { localAddress: '127.0.0.2' })
      if (r.status === 101) accepted++
      else tally(refused, `HTTP ${r.status}`)
    })
    return { refused, accepted, attempts: o.attempts }
  }), target)

  if (o.run('bad_token')) attacks.bad_token = await underAttack('bad_token', quick(async () => {
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
    await pool(o.attempts, 25, async (i) => {
      const [kind, url, opts] = kinds[i % kinds.length]!
      const r = await upgrade(url, { localAddress: '127.0.0.2', ...opts })
      if (r.status === 101) accepted++
      else {
        tally(refused, `${kind}: HTTP ${r.status}`)
        reasons[kind] = r.body
      }
    })
    return { refused, accepted, attempts: o.attempts, reasons }
  }), target)

  if (o.run('ssrf')) attacks.ssrf = await underAttack('ssrf', async () => {
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
  }, target)

  if (o.run('join_flood')) attacks.join_flood = await underAttack('join_flood', quick(async () => {
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
      while (sent < o.flood) {
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
  }), target)

  if (o.run('silent_sockets')) attacks.silent_sockets = await underAttack('silent_sockets', async () => {
    const t0 = Date.now()
    const closedAfter: number[] = []
    const raw = await pool(o.silent, 50, () => new Promise<Socket>((resolve) => {
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
  }, target)

  if (o.run('half_open_peers')) attacks.half_open_peers = await underAttack('half_open_peers', async () => {
    const t0 = Date.now()
    const sessionIds: string[] = []
    const peers: SignalingClient[] = []
    await pool(o.halfOpen, 10, async (i) => {
      // autoPong off: the peer sends requests but never answers a ping, as a peer whose link vanished.
      const c = await connectSignaling(withToken(token(`peer${i}`)), ws(i % 2 ? '127.0.0.6' : '127.0.0.7', { autoPong: false }))
      const joined = await c.request('join', { pipeline: 'echo' })
      await c.request('createTransport', { direction: 'send' })
      sessionIds.push(joined.sessionId)
      peers.push(c)
    })
    const joinedAt = Date.now()
    const closedAt = (id: string): number | undefined => logs.find((l) => l.line.includes('not resumed within the grace period') && l.line.includes(`"sessionId":"${id}"`))?.at
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
  }, target)

  await stopBackend()
  return { timeouts, limits: DEFAULT_FAIR_LIMITS, attacks }
}

import { randomBytes, timingSafeEqual } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { WebSocketServer, type WebSocket } from 'ws'
import { apiEventNames, wsRequestSchema, type WsServerFrame } from '../shared/contract/api'
import { describeIssues } from '../shared/contract/errors'
import { decodeCaptureAudio } from '../shared/contract/voice'
import { rendererCspFor } from '../shared/security'
import { isViteHmrUpgrade, parseDevServerUrl, proxyHttp, proxyUpgrade } from './devRendererProxy'
import type { AppCore } from './services/appCore'
import { contentTypeFor, resolveStaticPath } from './staticFiles'
import { silentLogger, type Logger } from '../shared/logging/logger'

export const API_WS_PATH = '/api'
const MAX_API_FRAME_BYTES = 1024 * 1024
/** Heartbeat period: a client that has not answered the previous ping by the next one is closed. */
const DEFAULT_PING_INTERVAL_MS = 15_000
/**
 * Backpressure: a client that does not read what it is sent (measured before this: 60k requests from one client that
 * never read left +68 MB queued in this process and starved the other sockets). Its requests are no longer read
 * while its unsent data is above the bound, and it is closed when that lasts `bufferedStallMs`, or at once past four
 * times the bound. A window that reads normally drains a few kB at a time and never comes near either.
 */
const DEFAULT_MAX_BUFFERED_BYTES = 4 * 1024 * 1024
const DEFAULT_BUFFERED_STALL_MS = 10_000
const BACKPRESSURE_CHECK_MS = 250

export interface BrowserModeServer {
  /** The URL to open, with the per-run token. */
  readonly url: string
  readonly port: number
  readonly token: string
  close(): Promise<void>
}

export interface BrowserModeOptions {
  core: AppCore
  /** Built renderer (out/renderer). */
  rendererDir: string
  host?: string
  port?: number
  token?: string
  logger?: Logger
  /** WebSocket ping period (default 15 s); no pong by the next ping closes the client. */
  pingIntervalMs?: number
  /** Unsent bytes a client may hold before its requests are paused (default 4 MiB). */
  maxBufferedBytes?: number
  /** How long a client may stay above maxBufferedBytes before it is closed (default 10 s). */
  bufferedStallMs?: number
  /**
   * `npm run dev`: the renderer comes from this Vite dev server (loopback http), proxied with its HMR socket, under
   * the dev CSP (rendererCspFor). Unset: the built renderer from rendererDir with the strict CSP.
   */
  devServerUrl?: string
}

/**
 * DNS rebinding: a page on another site may resolve its own name to 127.0.0.1 and then read this server as
 * same-origin. The Host header it sends still names that site, so only our own loopback names with the served port
 * are answered.
 */
export function isOwnHost(host: string | undefined, port: number): boolean {
  return host !== undefined && [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`].includes(host.toLowerCase())
}

function tokensMatch(given: string | null, expected: string): boolean {
  if (!given) return false
  const a = Buffer.from(given)
  const b = Buffer.from(expected)
  return a.length === b.length && timingSafeEqual(a, b)
}

/**
 * Browser mode: the renderer bundle over loopback HTTP and the main-process api over a WebSocket at /api, guarded
 * by a random per-run token and a same-origin check, so other local pages and users cannot drive the app, and by a
 * Host check (DNS rebinding). Each api client is pinged (no pong by the next ping closes it) and one that does not
 * read what it is sent is paused, then closed, without slowing the others.
 */
export async function startBrowserMode(opts: BrowserModeOptions): Promise<BrowserModeServer> {
  const host = opts.host ?? '127.0.0.1'
  if (!['127.0.0.1', '::1', 'localhost'].includes(host)) throw new Error(`browser mode listens on loopback only, not ${host}`)
  const token = opts.token ?? randomBytes(18).toString('base64url')
  const logger = opts.logger ?? silentLogger
  const parsedDevServer = opts.devServerUrl === undefined ? null : parseDevServerUrl(opts.devServerUrl)
  if (parsedDevServer instanceof Error) throw parsedDevServer
  const devServer: URL | null = parsedDevServer
  const csp = rendererCspFor({ devServerUrl: devServer?.href ?? null })

  let port = 0
  const server = createServer((req, res) => void serveStatic(req, res))
  async function serveStatic(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const headers = { 'content-security-policy': csp, 'x-content-type-options': 'nosniff', 'cache-control': 'no-store' }
    if (!isOwnHost(req.headers.host, port)) {
      logger.warn('browser mode: refused a request for another host', { host: req.headers.host ?? null })
      res.writeHead(421, { ...headers, 'content-type': 'text/plain' }).end('misdirected request: this server answers only to its own loopback address\n')
      return
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, headers).end()
      return
    }
    if (devServer) return proxyHttp(devServer, req, res, headers)
    let pathname: string
    try {
      pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)
    } catch {
      res.writeHead(400, headers).end('bad url')
      return
    }
    const file = resolveStaticPath(opts.rendererDir, pathname)
    if (!file) {
      res.writeHead(403, headers).end()
      return
    }
    try {
      const info = await stat(file)
      if (!info.isFile()) throw new Error('not a file')
      res.writeHead(200, { ...headers, 'content-type': contentTypeFor(file), 'content-length': info.size })
      if (req.method === 'HEAD') res.end()
      else createReadStream(file).pipe(res)
    } catch {
      res.writeHead(404, { ...headers, 'content-type': 'text/plain' }).end(`not found: ${pathname}`)
    }
  }

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_API_FRAME_BYTES })
  server.on('upgrade', (req, socket, head) => {
    if (!isOwnHost(req.headers.host, port)) {
      logger.warn('browser mode: refused a WebSocket upgrade for another host', { host: req.headers.host ?? null })
      socket.end('HTTP/1.1 421 Misdirected Request\r\nConnection: close\r\n\r\n')
      return
    }
    const url = new URL(req.url ?? '/', 'http://x')
    if (devServer && url.pathname !== API_WS_PATH && isViteHmrUpgrade(req)) return proxyUpgrade(devServer, req, socket, head)
    const origin = req.headers.origin
    const ownOrigins = [`http://${req.headers.host}`]
    if (url.pathname !== API_WS_PATH || !tokensMatch(url.searchParams.get('token'), token) || (origin !== undefined && !ownOrigins.includes(origin))) {
      logger.warn('browser mode: refused a WebSocket upgrade', { path: url.pathname, origin: origin ?? null })
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n')
      return
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req))
  })

  const unsubscribers = apiEventNames.map((event) =>
    opts.core.events.on(event, (payload) => broadcast({ type: 'event', event, payload }))
  )
  const maxBuffered = opts.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES
  const stallMs = opts.bufferedStallMs ?? DEFAULT_BUFFERED_STALL_MS
  /** Per client: answered the last ping; since when its unsent data has been above the bound (null: it is not). */
  const health = new Map<WebSocket, { alive: boolean; overSince: number | null; paused: boolean }>()
  function sendText(ws: WebSocket, text: string): void {
    if (ws.readyState !== ws.OPEN) return
    if (ws.bufferedAmount > 4 * maxBuffered) {
      logger.warn('browser mode: closed an api client that does not read', { unsentBytes: ws.bufferedAmount })
      ws.terminate()
      return
    }
    ws.send(text)
    checkBackpressure(ws)
  }
  function checkBackpressure(ws: WebSocket, now = Date.now()): void {
    const h = health.get(ws)
    if (!h || ws.readyState !== ws.OPEN) return
    if (ws.bufferedAmount > maxBuffered) {
      h.overSince ??= now
      if (!h.paused) {
        h.paused = true
        ws.pause() // read no more of its requests until it reads our answers
      }
      if (now - h.overSince >= stallMs) {
        logger.warn('browser mode: closed an api client that stopped reading', { unsentBytes: ws.bufferedAmount, stalledMs: now - h.overSince })
        ws.terminate()
      }
    } else if (ws.bufferedAmount <= maxBuffered / 2) {
      h.overSince = null
      if (h.paused) {
        h.paused = false
        ws.resume()
      }
    }
  }
  function broadcast(frame: WsServerFrame): void {
    const text = JSON.stringify(frame)
    for (const client of wss.clients) sendText(client, text)
  }
  const backpressureTimer = setInterval(() => {
    const now = Date.now()
    for (const client of wss.clients) checkBackpressure(client, now)
  }, Math.min(BACKPRESSURE_CHECK_MS, stallMs))
  backpressureTimer.unref()
  // Heartbeat: a peer that vanished (sleep, network gone) leaves an open socket that would hold events forever.
  const pingTimer = setInterval(() => {
    for (const client of wss.clients) {
      const h = health.get(client)
      if (!h) continue
      if (!h.alive) {
        logger.info('browser mode: closed an api client that did not answer a ping')
        client.terminate()
        continue
      }
      h.alive = false
      client.ping()
    }
  }, opts.pingIntervalMs ?? DEFAULT_PING_INTERVAL_MS)
  pingTimer.unref()

  wss.on('connection', (ws: WebSocket, req: IncomingMessage) => {
    health.set(ws, { alive: true, overSince: null, paused: false })
    ws.on('pong', () => {
      const h = health.get(ws)
      if (h) h.alive = true
    })
    ws.on('close', () => health.delete(ws))
    const send = (frame: WsServerFrame): void => sendText(ws, JSON.stringify(frame))
    // The talk command line (src/main/talkClient.ts) is not a window: the notices wait for one.
    const talkClient = new URL(req.url ?? '/', 'http://x').searchParams.get('client') === 'talk'
    if (!talkClient) for (const notice of opts.core.drainNotices()) send({ type: 'event', event: 'notice', payload: notice })
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        // Binary frames are capture-tap audio for the local VAD (float32 LE, 16 kHz mono); see contract/voice.ts.
        const audio = decodeCaptureAudio(Array.isArray(data) ? Buffer.concat(data) : data instanceof ArrayBuffer ? new Uint8Array(data) : data)
        if (audio.ok) opts.core.vad.pushAudio(audio.samples)
        else send({ type: 'response', id: null, outcome: { ok: false, error: { code: 'bad_message', message: `audio frame refused: ${audio.reason}` } } })
        return
      }
      let json: unknown
      try {
        json = JSON.parse(data.toString())
      } catch {
        send({ type: 'response', id: null, outcome: { ok: false, error: { code: 'bad_message', message: 'frame is not valid JSON' } } })
        return
      }
      const request = wsRequestSchema.safeParse(json)
      if (!request.success) {
        const rawId = (json as { id?: unknown } | null)?.id
        const id = typeof rawId === 'number' && Number.isSafeInteger(rawId) && rawId >= 0 ? rawId : null
        send({ type: 'response', id, outcome: { ok: false, error: { code: 'bad_message', message: 'malformed api request', issues: describeIssues(request.error) } } })
        return
      }
      void opts.core.dispatch(request.data.method, request.data.params).then((outcome) => send({ type: 'response', id: request.data.id, outcome }))
    })
    ws.on('error', (error) => logger.warn('browser mode api socket error', { error: error.message }))
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port ?? 0, host, () => resolve())
  })
  port = (server.address() as AddressInfo).port
  const shownHost = host.includes(':') ? `[${host}]` : host
  return {
    url: `http://${shownHost}:${port}/?token=${token}`,
    port,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        for (const u of unsubscribers) u()
        clearInterval(pingTimer)
        clearInterval(backpressureTimer)
        for (const client of wss.clients) client.terminate()
        wss.close()
        server.close(() => resolve())
        server.closeAllConnections()
      })
  }
}

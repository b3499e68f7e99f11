import { randomBytes, timingSafeEqual } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { WebSocketServer, type WebSocket } from 'ws'
import { apiEventNames, wsRequestSchema, type WsServerFrame } from '../shared/contract/api'
import { describeIssues } from '../shared/contract/errors'
import { decodeCaptureAudio } from '../shared/contract/voice'
import { RENDERER_CSP } from '../shared/security'
import type { AppCore } from './services/appCore'
import { contentTypeFor, resolveStaticPath } from './staticFiles'

export const API_WS_PATH = '/api'
const MAX_API_FRAME_BYTES = 1024 * 1024

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
  log?: (line: string) => void
}

function tokensMatch(given: string | null, expected: string): boolean {
  if (!given) return false
  const a = Buffer.from(given)
  const b = Buffer.from(expected)
  return a.length === b.length && timingSafeEqual(a, b)
}

/**
 * Browser mode: the renderer bundle over loopback HTTP and the main-process api over a WebSocket at /api, guarded
 * by a random per-run token and a same-origin check, so other local pages and users cannot drive the app.
 */
export async function startBrowserMode(opts: BrowserModeOptions): Promise<BrowserModeServer> {
  const host = opts.host ?? '127.0.0.1'
  if (!['127.0.0.1', '::1', 'localhost'].includes(host)) throw new Error(`browser mode listens on loopback only, not ${host}`)
  const token = opts.token ?? randomBytes(18).toString('base64url')
  const log = opts.log ?? (() => undefined)

  const server = createServer((req, res) => void serveStatic(req, res))
  async function serveStatic(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const headers = { 'content-security-policy': RENDERER_CSP, 'x-content-type-options': 'nosniff', 'cache-control': 'no-store' }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, headers).end()
      return
    }
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
    const url = new URL(req.url ?? '/', 'http://x')
    const origin = req.headers.origin
    const ownOrigins = [`http://${req.headers.host}`]
    if (url.pathname !== API_WS_PATH || !tokensMatch(url.searchParams.get('token'), token) || (origin !== undefined && !ownOrigins.includes(origin))) {
      log(`browser mode: refused a WebSocket upgrade to ${url.pathname} from ${origin ?? 'no origin'}`)
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n')
      return
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req))
  })

  const unsubscribers = apiEventNames.map((event) =>
    opts.core.events.on(event, (payload) => broadcast({ type: 'event', event, payload }))
  )
  function broadcast(frame: WsServerFrame): void {
    const text = JSON.stringify(frame)
    for (const client of wss.clients) if (client.readyState === client.OPEN) client.send(text)
  }

  wss.on('connection', (ws: WebSocket, req: IncomingMessage) => {
    const send = (frame: WsServerFrame): void => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(frame))
    }
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
    ws.on('error', (error) => log(`browser mode api socket error: ${error.message}`))
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port ?? 0, host, () => resolve())
  })
  const { port } = server.address() as AddressInfo
  const shownHost = host.includes(':') ? `[${host}]` : host
  return {
    url: `http://${shownHost}:${port}/?token=${token}`,
    port,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        for (const u of unsubscribers) u()
        for (const client of wss.clients) client.terminate()
        wss.close()
        server.close(() => resolve())
        server.closeAllConnections()
      })
  }
}

import type { Server as HttpServer, IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import type { Socket } from 'node:net'
import { WebSocketServer, type WebSocket, type RawData } from 'ws'
import { createDispatcher, type HandlersFor } from '../shared/contract/dispatch'
import { describeIssues } from '../shared/contract/errors'
import {
  MAX_SIGNALING_FRAME_BYTES,
  signalingMethods,
  signalingRequestEnvelopeSchema,
  type SignalingResponse
} from '../shared/contract/signaling'
import { createConnectionGate, type ConnectionGate } from './auth/connectionGate'
import { APP_ORIGIN } from './auth/originPolicy'
import type { Principal } from './auth/principal'
import { addressKey } from './limits/addressKey'
import { DEFAULT_FAIR_LIMITS } from './limits/fairLimits'
import { silentLogger, type Logger } from '../shared/logging/logger'

/** Per-connection context handed to every signaling handler. */
export interface SignalingConnection {
  readonly id: number
  readonly remoteAddress: string
  /** What per-address limits count this connection under (IPv6: its /64). */
  readonly addressKey: string
  /** Who authenticated this connection at the upgrade. */
  readonly principal: Principal
  /** Push a notification to this client. Dropped silently if the socket is gone. */
  notify(notification: string, data: unknown): void
  /** Called when the socket closes; handlers register per-connection cleanup here. */
  onClose(listener: () => void): void
  /**
   * The connection now holds state that outlives quiet periods (a joined session): the idle timeout no longer
   * applies until the returned release is called. Liveness is still checked by ping/pong.
   */
  hold(): () => void
}

export interface SignalingStats {
  connections: number
  requests: number
  errors: number
  /** Upgrades refused (origin, credential, connections per address, wrong path). */
  refused: number
  /** Connections closed because they stopped answering pings, or stayed idle. */
  deadPeers: number
  idleClosed: number
}

/**
 * Liveness timeouts. A peer whose link vanished (no FIN, no RST) is found by ping/pong within
 * pingIntervalMs + pongTimeoutMs (10 s by default); its session then waits the session grace (15 s, see
 * SessionManager) to be resumed: freed within 25 s in all, inside the 30 s goal.
 */
export interface SignalingTimeouts {
  /** A WebSocket ping every this often on every connection. */
  pingIntervalMs: number
  /** No pong this long after a ping: the peer is gone; the socket is terminated. */
  pongTimeoutMs: number
  /** A connection that holds nothing (no session) and sends no request this long is closed. */
  idleTimeoutMs: number
  /** A TCP connection that has not completed its HTTP upgrade within this is destroyed. */
  handshakeTimeoutMs: number
  /** TCP keepalive probes start after this much silence (the kernel's own half-open detection). */
  keepAliveMs: number
}

export const DEFAULT_SIGNALING_TIMEOUTS: SignalingTimeouts = {
  pingIntervalMs: 5000,
  pongTimeoutMs: 5000,
  idleTimeoutMs: 20_000,
  handshakeTimeoutMs: 10_000,
  keepAliveMs: 10_000
}

/**
 * Without authentication, the origins a browser page may connect from: the desktop app and pages served on this
 * machine's loopback (the tests' harness pages, browser mode). The entry points always pass their own gate.
 */
const LOOPBACK_PAGES = [APP_ORIGIN, 'http://127.0.0.1:*', 'http://localhost:*', 'http://[::1]:*']

export interface SignalingServerOptions {
  server: HttpServer
  path: string
  handlers: HandlersFor<typeof signalingMethods, SignalingConnection>
  logger?: Logger
  /** Who may connect (decided at the upgrade). Default: anyone, as an anonymous principal, from loopback pages. */
  gate?: ConnectionGate
  timeouts?: Partial<SignalingTimeouts>
  /** Open connections per source address (IPv6: per /64); one more is refused at the upgrade with HTTP 429. */
  connectionsPerAddress?: number
}

const REASON_PHRASES: Record<number, string> = { 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 429: 'Too Many Requests' }

/**
 * Signaling over WebSocket. The upgrade is where access is decided: path, connections per address, Origin and
 * credential (the gate), each refusal an HTTP status with the reason in the body, before any handler or session
 * exists. Every frame is validated against the shared contract; a bad frame gets an error response (id null if the
 * id could not be read) and the connection stays up. A handler failure never escapes. Dead peers are found by
 * ping/pong, idle and half-finished connections are closed (SignalingTimeouts).
 */
export function attachSignalingServer(opts: SignalingServerOptions): { close(): Promise<void>; stats: SignalingStats } {
  const stats: SignalingStats = { connections: 0, requests: 0, errors: 0, refused: 0, deadPeers: 0, idleClosed: 0 }
  const logger = opts.logger ?? silentLogger
  const timeouts = { ...DEFAULT_SIGNALING_TIMEOUTS, ...opts.timeouts }
  const gate = opts.gate ?? createConnectionGate({ auth: { kind: 'open' }, origins: { allowed: LOOPBACK_PAGES } })
  const connectionsPerAddress = opts.connectionsPerAddress ?? DEFAULT_FAIR_LIMITS.connectionsPerAddress
  const dispatch = createDispatcher(signalingMethods, opts.handlers, (method, error) => logger.error('signaling handler failed', { method, error }))
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_SIGNALING_FRAME_BYTES })
  const openPerAddress = new Map<string, number>()
  let nextId = 1

  const onTcpConnection = (socket: Socket): void => {
    socket.setKeepAlive(true, timeouts.keepAliveMs)
    // Until the upgrade completes; a socket that never sends a full request would otherwise stay open for good.
    socket.setTimeout(timeouts.handshakeTimeoutMs, () => socket.destroy())
  }
  const refuse = (socket: Duplex, status: number, reason: string, address: string): void => {
    stats.refused++
    logger.info('signaling connection refused', { remoteAddress: address, status, reason })
    const body = `${reason}\n`
    socket.end(`HTTP/1.1 ${status} ${REASON_PHRASES[status] ?? 'Refused'}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`)
  }
  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    // Node's HTTP server drops its own error listener from an upgraded socket: a peer resetting it while we answer
    // would otherwise be an uncaught 'error' (ws adds its own once it takes the socket over).
    socket.on('error', () => socket.destroy())
    const remoteAddress = request.socket.remoteAddress ?? 'unknown'
    const key = addressKey(remoteAddress)
    let pathname: string
    try {
      pathname = new URL(request.url ?? '/', 'http://signaling').pathname
    } catch {
      pathname = ''
    }
    if (pathname !== opts.path) return refuse(socket, 404, `no WebSocket endpoint at ${pathname || request.url}; signaling is at ${opts.path}`, remoteAddress)
    if ((openPerAddress.get(key) ?? 0) >= connectionsPerAddress) {
      return refuse(socket, 429, `too many signaling connections from your address (limit ${connectionsPerAddress}; limit: connections_per_address)`, remoteAddress)
    }
    const decision = gate({ url: request.url ?? '/', headers: request.headers, remoteAddress })
    if (!decision.ok) return refuse(socket, decision.status, decision.reason, remoteAddress)
    request.socket.setTimeout(0)
    wss.handleUpgrade(request, socket, head, (ws) => onConnection(ws, request, decision.principal, key))
  }
  opts.server.on('connection', onTcpConnection)
  opts.server.on('upgrade', onUpgrade)

  function onConnection(socket: WebSocket, request: IncomingMessage, principal: Principal, key: string): void {
    stats.connections++
    openPerAddress.set(key, (openPerAddress.get(key) ?? 0) + 1)
    const closeListeners: Array<() => void> = []
    let holds = 0
    let lastRequestAt = Date.now()
    const conn: SignalingConnection = {
      id: nextId++,
      remoteAddress: request.socket.remoteAddress ?? 'unknown',
      addressKey: key,
      principal,
      notify(notification, data) {
        if (socket.readyState === socket.OPEN) socket.send(JSON.stringify({ notification, data }))
      },
      onClose(listener) {
        // A handler that finishes after the socket closed (e.g. a slow join) still gets its cleanup run.
        if (socket.readyState === socket.CLOSED) queueMicrotask(listener)
        else closeListeners.push(listener)
      },
      hold() {
        holds++
        let released = false
        return () => {
          if (released) return
          released = true
          holds--
          lastRequestAt = Date.now()
        }
      }
    }

    // Liveness: ping every pingIntervalMs; no pong within pongTimeoutMs → the peer is gone (its link may have
    // vanished without a FIN or RST, leaving the socket ESTABLISHED for hours): terminate, which runs the close
    // listeners and detaches its session.
    let pongTimer: ReturnType<typeof setTimeout> | null = null
    const pingTimer = setInterval(() => {
      if (socket.readyState !== socket.OPEN) return
      if (holds === 0 && Date.now() - lastRequestAt >= timeouts.idleTimeoutMs) {
        stats.idleClosed++
        logger.info('signaling connection idle without a session: closing', { connection: conn.id, remoteAddress: conn.remoteAddress, idleTimeoutMs: timeouts.idleTimeoutMs })
        socket.close(4408, 'idle: no request and no session')
        return
      }
      if (pongTimer) return
      socket.ping()
      pongTimer = setTimeout(() => {
        stats.deadPeers++
        logger.info('signaling peer did not answer a ping: closing', { connection: conn.id, remoteAddress: conn.remoteAddress, pongTimeoutMs: timeouts.pongTimeoutMs })
        socket.terminate()
      }, timeouts.pongTimeoutMs)
    }, Math.min(timeouts.pingIntervalMs, timeouts.idleTimeoutMs))
    socket.on('pong', () => {
      if (pongTimer) clearTimeout(pongTimer)
      pongTimer = null
    })

    const send = (response: SignalingResponse): void => {
      if (!response.ok) stats.errors++
      if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(response))
    }
    socket.on('message', (data: RawData, isBinary: boolean) => {
      stats.requests++
      lastRequestAt = Date.now()
      void handleFrame(data, isBinary).catch((error: unknown) => {
        logger.error('signaling frame failed', { connection: conn.id, error })
        send({ id: null, ok: false, error: { code: 'internal', message: 'internal error' } })
      })
    })
    socket.on('error', (error) => logger.warn('signaling socket error', { connection: conn.id, error: error.message }))
    socket.on('close', () => {
      clearInterval(pingTimer)
      if (pongTimer) clearTimeout(pongTimer)
      stats.connections--
      const open = (openPerAddress.get(key) ?? 1) - 1
      if (open > 0) openPerAddress.set(key, open)
      else openPerAddress.delete(key)
      for (const listener of closeListeners.splice(0)) {
        try {
          listener()
        } catch (error) {
          logger.error('signaling close listener failed', { connection: conn.id, error })
        }
      }
    })

    async function handleFrame(data: RawData, isBinary: boolean): Promise<void> {
      if (isBinary) return send({ id: null, ok: false, error: { code: 'bad_message', message: 'binary frames are not accepted on signaling' } })
      let json: unknown
      try {
        json = JSON.parse(data.toString())
      } catch {
        return send({ id: null, ok: false, error: { code: 'bad_message', message: 'frame is not valid JSON' } })
      }
      const envelope = signalingRequestEnvelopeSchema.safeParse(json)
      if (!envelope.success) {
        const id = typeof (json as { id?: unknown })?.id === 'number' && Number.isSafeInteger((json as { id: number }).id) ? (json as { id: number }).id : null
        return send({ id, ok: false, error: { code: 'bad_message', message: 'malformed request', issues: describeIssues(envelope.error) } })
      }
      const { id, method, params } = envelope.data
      const outcome = await dispatch(method, params, conn)
      // The method and its outcome only: params carry session tokens and provider keys.
      if (method !== 'ping') logger.debug('signaling request', { connection: conn.id, method, ok: outcome.ok, ...(outcome.ok ? {} : { code: outcome.error.code }) })
      send({ id, ...outcome })
    }
  }

  return {
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        opts.server.off('upgrade', onUpgrade)
        opts.server.off('connection', onTcpConnection)
        for (const client of wss.clients) client.terminate()
        wss.close(() => resolve())
      })
  }
}

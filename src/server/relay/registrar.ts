import WebSocket from 'ws'
import { backoffDelayMs, type BackoffPolicy } from '../../shared/backoff'
import { ContractError } from '../../shared/contract/errors'
import {
  RELAY_PROTOCOL_VERSION,
  relayResponseSchema,
  type RelayMethodName,
  type RelayParams,
  type RelayResult,
  type RelayRoute
} from '../../shared/contract/relay'
import { silentLogger, type Logger } from '../../shared/logging/logger'

export interface RelayRegistrarOptions {
  /** ws://host:port/relay-control */
  controlUrl: string
  token: string
  backendId: string
  logger?: Logger
  backoff?: BackoffPolicy
  requestTimeoutMs?: number
}

export type RelayInfo = RelayResult<'hello'>

/**
 * The backend's side of the relay control channel. It owns the backend's set of live routes (the truth), and keeps
 * the relay in sync: every (re)connection says hello and sends the whole set with replaceAll, so a restarted relay
 * relearns every route within one control round trip of coming back. Reconnects use exponential backoff with jitter.
 */
export class RelayRegistrar {
  private readonly routes = new Map<string, RelayRoute>()
  private socket: WebSocket | null = null
  private info: RelayInfo | null = null
  private connected = false
  private stopped = false
  private attempt = 0
  private nextId = 1
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: ReturnType<typeof setTimeout> }>()
  private readyWaiters: Array<(info: RelayInfo) => void> = []
  private readonly logger: Logger
  /** How many times a hello + full re-registration succeeded (1 after the first connect). */
  registrations = 0

  constructor(private readonly opts: RelayRegistrarOptions) {
    this.logger = opts.logger ?? silentLogger
  }

  start(): void {
    this.connect()
  }

  get relayInfo(): RelayInfo | null {
    return this.info
  }

  get isConnected(): boolean {
    return this.connected
  }

  /** Resolves with the relay's public address once known (at most `timeoutMs`). */
  ready(timeoutMs = 3000): Promise<RelayInfo> {
    if (this.info) return Promise.resolve(this.info)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new ContractError('unavailable', `relay ${this.opts.controlUrl} not reachable`)), timeoutMs)
      this.readyWaiters.push((info) => {
        clearTimeout(timer)
        resolve(info)
      })
    })
  }

  /** Add or update a route; resolves when the relay acknowledged it (or at once if the relay is away: it gets it on reconnect). */
  async upsert(route: RelayRoute): Promise<void> {
    this.routes.set(route.ufrag, route)
    if (!this.connected) return
    await this.request('addRoutes', { routes: [route] }).catch((e: Error) => this.logger.warn('relay addRoutes failed', { error: e.message }))
  }

  /** Add or update many routes in one request (a backend coming up with live transports, benches). */
  async upsertMany(routes: readonly RelayRoute[]): Promise<void> {
    for (const route of routes) this.routes.set(route.ufrag, route)
    if (!this.connected || routes.length === 0) return
    await this.request('addRoutes', { routes: [...routes] }).catch((e: Error) => this.logger.warn('relay addRoutes failed', { error: e.message }))
  }

  async remove(ufrag: string): Promise<void> {
    if (!this.routes.delete(ufrag) || !this.connected) return
    await this.request('removeRoutes', { ufrags: [ufrag] }).catch((e: Error) => this.logger.warn('relay removeRoutes failed', { error: e.message }))
  }

  route(ufrag: string): RelayRoute | undefined {
    return this.routes.get(ufrag)
  }

  async request<M extends RelayMethodName>(method: M, params: RelayParams<M>): Promise<RelayResult<M>> {
    const socket = this.socket
    if (!socket || socket.readyState !== WebSocket.OPEN) throw new ContractError('unavailable', 'relay control channel is not open')
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id)
        reject(new ContractError('unavailable', `relay ${method} timed out`))
      }, this.opts.requestTimeoutMs ?? 3000)
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer })
      socket.send(JSON.stringify({ id, method, params }))
    })
  }

  close(): void {
    this.stopped = true
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer)
    this.socket?.terminate()
    this.failPending('registrar closed')
  }

  private connect(): void {
    if (this.stopped) return
    const socket = new WebSocket(this.opts.controlUrl, { handshakeTimeout: 3000 })
    this.socket = socket
    socket.on('message', (data) => this.onMessage(data.toString()))
    socket.on('error', () => undefined) // 'close' follows
    socket.on('open', () => void this.register(socket))
    socket.on('close', () => {
      if (this.socket !== socket) return
      if (this.connected) this.logger.warn('relay control channel closed; reconnecting', { controlUrl: this.opts.controlUrl })
      this.connected = false
      this.socket = null
      this.failPending('relay control channel closed')
      if (this.stopped) return
      const delay = backoffDelayMs(this.attempt++, this.opts.backoff ?? { baseMs: 100, maxMs: 2000, jitter: 0.3 })
      this.reconnectTimer = setTimeout(() => this.connect(), delay)
    })
  }

  private async register(socket: WebSocket): Promise<void> {
    try {
      const info = await this.request('hello', { protocolVersion: RELAY_PROTOCOL_VERSION, backendId: this.opts.backendId, token: this.opts.token })
      const result = await this.request('addRoutes', { routes: [...this.routes.values()], replaceAll: true })
      if (result.conflicts.length) this.logger.warn('relay refused routes owned by another backend', { conflicts: result.conflicts.length })
      this.info = info
      this.connected = true
      this.attempt = 0
      this.registrations++
      this.logger.info('registered with the relay', { relayId: info.relayId, routes: this.routes.size, publicUdp: `${info.publicUdp.ip}:${info.publicUdp.port}` })
      for (const w of this.readyWaiters.splice(0)) w(info)
    } catch (error) {
      this.logger.warn('relay registration failed', { error: (error as Error).message })
      socket.terminate()
    }
  }

  private onMessage(text: string): void {
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      return
    }
    const parsed = relayResponseSchema.safeParse(json)
    if (!parsed.success || parsed.data.id === null) return
    const p = this.pending.get(parsed.data.id)
    if (!p) return
    this.pending.delete(parsed.data.id)
    clearTimeout(p.timer)
    if (parsed.data.ok) p.resolve(parsed.data.result)
    else p.reject(ContractError.fromBody(parsed.data.error))
  }

  private failPending(why: string): void {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer)
      p.reject(new ContractError('unavailable', why))
    }
    this.pending.clear()
  }
}

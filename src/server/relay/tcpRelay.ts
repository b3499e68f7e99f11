import { createConnection, createServer, type Server, type Socket } from 'node:net'
import type { RelayAddress } from '../../shared/contract/relay'
import type { RoutingTable } from './routingTable'
import { parseIceBindingRequest } from './stun'
import { verifyIntegrity, type UdpFlowHandle } from './udpRelay'
import { silentLogger, type Logger } from '../../shared/logging/logger'

export interface TcpRelayCounters {
  connections: number
  accepted: number
  rejected: Record<'first_frame_timeout' | 'first_frame_too_big' | 'stun_malformed' | 'stun_unknown_ufrag' | 'stun_bad_integrity' | 'upstream_error' | 'connection_limit' | 'address_limit', number>
}

export interface TcpRelayOptions {
  bindIp: string
  /** Usually the same number as the UDP port (one public port, both protocols). */
  port: number
  table: RoutingTable<UdpFlowHandle>
  logger?: Logger
  /** The first framed packet must arrive within this time. */
  firstFrameTimeoutMs?: number
  /** Client connections in all (each costs two descriptors once piped); see flowBudget.ts. Default unlimited. */
  maxConnections?: number
  /** Client connections from one IP address. Default unlimited. */
  maxConnectionsPerAddress?: number
}

/** An ICE-TCP frame (RFC 4571) carrying a STUN binding request is far smaller than this. */
const MAX_FIRST_FRAME = 2048

/**
 * ICE-TCP (RFC 6544, passive candidate) through the same public port: a client connects, its first RFC 4571 frame
 * (2-byte length + STUN binding request) names the server ufrag; the relay connects to that worker's WebRtcServer
 * TCP port, replays the bytes it read, then pipes both directions (the kernel does the copying). The TCP connection
 * itself is the flow; it ends when either side closes.
 */
export class TcpRelay {
  readonly counters: TcpRelayCounters = {
    connections: 0,
    accepted: 0,
    rejected: { first_frame_timeout: 0, first_frame_too_big: 0, stun_malformed: 0, stun_unknown_ufrag: 0, stun_bad_integrity: 0, upstream_error: 0, connection_limit: 0, address_limit: 0 }
  }
  private readonly sockets = new Set<Socket>()
  /** Open client connections (accepted, not yet closed), in all and per client address. */
  private clients = 0
  private readonly clientsByAddress = new Map<string, number>()
  private readonly logger: Logger

  private constructor(private readonly opts: TcpRelayOptions, private readonly server: Server) {
    this.logger = opts.logger ?? silentLogger
    server.on('connection', (socket) => this.onConnection(socket))
    server.on('error', (error) => this.logger.warn('relay TCP server error', { error: error.message }))
  }

  static async start(opts: TcpRelayOptions): Promise<TcpRelay> {
    const server = createServer({ noDelay: true })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(opts.port, opts.bindIp, () => {
        server.off('error', reject)
        resolve()
      })
    })
    return new TcpRelay(opts, server)
  }

  get address(): RelayAddress {
    const a = this.server.address()
    if (!a || typeof a === 'string') throw new Error('TCP relay is not listening')
    return { ip: a.address, port: a.port }
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  private track(socket: Socket): void {
    this.sockets.add(socket)
    socket.once('close', () => this.sockets.delete(socket))
  }

  private onConnection(client: Socket): void {
    const address = client.remoteAddress ?? ''
    const fromAddress = this.clientsByAddress.get(address) ?? 0
    if (this.clients >= (this.opts.maxConnections ?? Infinity) || fromAddress >= (this.opts.maxConnectionsPerAddress ?? Infinity)) {
      this.counters.rejected[this.clients >= (this.opts.maxConnections ?? Infinity) ? 'connection_limit' : 'address_limit']++
      client.on('error', () => undefined)
      client.destroy()
      return
    }
    this.clients++
    this.clientsByAddress.set(address, fromAddress + 1)
    client.once('close', () => {
      this.clients--
      const left = (this.clientsByAddress.get(address) ?? 1) - 1
      if (left > 0) this.clientsByAddress.set(address, left)
      else this.clientsByAddress.delete(address)
    })
    this.track(client)
    let buffered = Buffer.alloc(0)
    const timer = setTimeout(() => reject('first_frame_timeout'), this.opts.firstFrameTimeoutMs ?? 5000)
    const reject = (reason: keyof TcpRelayCounters['rejected']): void => {
      clearTimeout(timer)
      this.counters.rejected[reason]++
      client.destroy()
    }
    client.on('error', () => undefined)
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk])
      if (buffered.length < 2) return
      const frameLength = buffered.readUInt16BE(0)
      if (frameLength > MAX_FIRST_FRAME) return reject('first_frame_too_big')
      if (buffered.length < 2 + frameLength) {
        if (buffered.length > 2 + MAX_FIRST_FRAME) reject('first_frame_too_big')
        return
      }
      client.off('data', onData)
      client.pause()
      clearTimeout(timer)
      const parsed = parseIceBindingRequest(buffered.subarray(2, 2 + frameLength))
      if (!parsed.ok) return reject('stun_malformed')
      const route = this.opts.table.route(parsed.request.serverUfrag)
      if (!route) return reject('stun_unknown_ufrag')
      if (route.password !== null && !verifyIntegrity(buffered.subarray(2, 2 + frameLength), parsed.request.message, route.password)) {
        return reject('stun_bad_integrity')
      }
      const upstream = createConnection({ host: route.target.host, port: route.target.port, noDelay: true })
      this.track(upstream)
      const firstBytes = buffered
      upstream.once('connect', () => {
        this.counters.accepted++
        this.counters.connections++
        upstream.once('close', () => this.counters.connections--)
        upstream.write(firstBytes)
        client.pipe(upstream)
        upstream.pipe(client)
        client.resume()
      })
      upstream.on('error', (error) => {
        if (!upstream.readyState || upstream.connecting) this.counters.rejected.upstream_error++
        this.logger.warn('relay TCP upstream failed', { target: `${route.target.host}:${route.target.port}`, error: error.message })
        client.destroy()
      })
      client.once('close', () => upstream.destroy())
      upstream.once('close', () => client.destroy())
    }
    client.on('data', onData)
  }
}

import { createHmac, timingSafeEqual } from 'node:crypto'
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram'
import { isIPv6 } from 'node:net'
import type { RelayAddress } from '../../shared/contract/relay'
import type { ForwardTimers } from './forwardTimer'
import { RoutingTable, type Flow, type Route } from './routingTable'
import { messageIntegrityInput, parseIceBindingRequest, type StunMessage } from './stun'
import { silentLogger, type Logger } from '../../shared/logging/logger'

/** Per-flow state: one upstream socket, connected to the owning worker. mediasoup sees it as the client's tuple. */
export interface UdpFlowHandle {
  readonly clientAddress: string
  readonly clientPort: number
  socket: Socket
  /** Datagrams that arrived before the upstream socket finished bind+connect (the first STUN, retransmits). */
  pending: Buffer[] | null
  closed: boolean
}

export type DropReason =
  | 'unknown_flow_not_stun'
  | 'stun_malformed'
  | 'stun_not_binding_request'
  | 'stun_unknown_ufrag'
  | 'stun_bad_integrity'
  | 'flow_limit_address'
  | 'flow_limit_table'
  | 'upstream_not_ready'
  | 'upstream_error'

export interface UdpRelayCounters {
  packetsIn: number
  packetsOut: number
  flowsOpened: number
  flowsExpired: number
  /** Flows closed to make room for a new one (a ufrag at its limit, or a full table; see RoutingTable.addFlow). */
  flowsEvicted: number
  dropped: Record<DropReason, number>
}

export interface UdpRelayOptions {
  /** Bind address and port of the one public socket. Port 0 = pick one. */
  bindIp: string
  port: number
  /** Local address for upstream (relay → worker) sockets; must be reachable from the workers. */
  upstreamIp: string
  table: RoutingTable<UdpFlowHandle>
  logger?: Logger
  /** Called when a flow is created (tests and the restart-recovery measurement). */
  onFlowOpened?: (flow: Flow<UdpFlowHandle>, route: Route) => void
  /**
   * Measure the relay's own forwarding time of media on known flows (handler start → send completed), per direction.
   * Off by default: it adds a clock read and a send callback per packet.
   */
  forwardTimers?: ForwardTimers
}

/** The largest datagram held while an upstream socket connects, and how many per flow. */
const MAX_PENDING = 16

/**
 * The UDP half of the edge relay: ONE public socket for every session of every worker.
 *
 * Client → worker: a datagram from a known 5-tuple is sent as-is (same Buffer, no copy) on that flow's connected
 * upstream socket. A datagram from an unknown 5-tuple must be an ICE binding request whose USERNAME names a
 * registered server ufrag (and, if the backend shared the password, whose MESSAGE-INTEGRITY verifies); that opens
 * the flow. Anything else from an unknown 5-tuple is dropped and counted by reason; malformed STUN never throws.
 *
 * Worker → client: each flow's upstream socket receives only that worker's packets for that client and sends them
 * from the public socket to the client's address.
 */
export class UdpRelay {
  readonly counters: UdpRelayCounters = {
    packetsIn: 0,
    packetsOut: 0,
    flowsOpened: 0,
    flowsExpired: 0,
    flowsEvicted: 0,
    dropped: {
      unknown_flow_not_stun: 0,
      stun_malformed: 0,
      stun_not_binding_request: 0,
      stun_unknown_ufrag: 0,
      stun_bad_integrity: 0,
      flow_limit_address: 0,
      flow_limit_table: 0,
      upstream_not_ready: 0,
      upstream_error: 0
    }
  }
  private readonly socket: Socket
  private readonly logger: Logger
  /** A coarse clock for lastSeen (updated by the sweep timer): the hot path reads a variable, not a clock. */
  private now = Date.now()
  private sweepTimer: ReturnType<typeof setInterval> | null = null
  private closed = false

  private constructor(private readonly opts: UdpRelayOptions, socket: Socket) {
    this.socket = socket
    this.logger = opts.logger ?? silentLogger
    socket.on('message', (msg, rinfo) => this.onPublicPacket(msg, rinfo))
    socket.on('error', (error) => this.logger.warn('relay public UDP socket error', { error: error.message }))
  }

  static async start(opts: UdpRelayOptions): Promise<UdpRelay> {
    const socket = createSocket({ type: isIPv6(opts.bindIp) ? 'udp6' : 'udp4', recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 })
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject)
      socket.bind(opts.port, opts.bindIp, () => {
        socket.off('error', reject)
        resolve()
      })
    })
    const relay = new UdpRelay(opts, socket)
    const tick = Math.max(50, Math.min(1000, Math.floor(opts.table.opts.flowIdleMs / 4)))
    relay.sweepTimer = setInterval(() => relay.sweep(), tick)
    relay.sweepTimer.unref()
    return relay
  }

  get address(): RelayAddress {
    const a = this.socket.address()
    return { ip: a.address, port: a.port }
  }

  /** Drop idle flows / orphaned routes now (the timer does this every flowIdleMs/4). */
  sweep(now = Date.now()): void {
    this.now = now
    const expired = this.opts.table.expire(now)
    for (const flow of expired.flows) {
      this.counters.flowsExpired++
      this.closeFlowSocket(flow)
    }
  }

  /** Close the flows of removed routes (the control server calls this). */
  closeFlows(flows: Flow<UdpFlowHandle>[]): void {
    for (const flow of flows) this.closeFlowSocket(flow)
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    if (this.sweepTimer) clearInterval(this.sweepTimer)
    for (const flow of this.opts.table.allFlows()) {
      this.opts.table.removeFlow(flow.key)
      this.closeFlowSocket(flow)
    }
    await new Promise<void>((resolve) => this.socket.close(() => resolve()))
  }

  private onPublicPacket(msg: Buffer, rinfo: RemoteInfo): void {
    this.counters.packetsIn++
    const key = `${rinfo.address}|${rinfo.port}`
    const flow = this.opts.table.flow(key)
    if (flow !== undefined && (msg.length === 0 || msg[0]! > 3)) {
      // Hot path: media (RTP/RTCP/DTLS) of a known flow.
      flow.lastSeen = this.now
      if (this.opts.forwardTimers && flow.handle.pending === null) {
        const up = this.opts.forwardTimers.up
        const t0 = performance.now()
        flow.handle.socket.send(msg, () => up.record((performance.now() - t0) * 1000))
      } else this.sendUpstream(flow, msg)
      return
    }
    if (msg.length === 0 || msg[0]! > 3) {
      this.counters.dropped.unknown_flow_not_stun++
      return
    }
    // STUN: a new flow, a consent check on a known flow, or an ICE restart (new ufrag on the same 5-tuple).
    const parsed = parseIceBindingRequest(msg)
    if (!parsed.ok) {
      if (flow) {
        // Not a binding request (e.g. an indication or response): pass it along on the known flow.
        flow.lastSeen = this.now
        this.sendUpstream(flow, msg)
      } else this.counters.dropped[parsed.reason === 'not_binding_request' ? 'stun_not_binding_request' : 'stun_malformed']++
      return
    }
    const { serverUfrag } = parsed.request
    if (flow && flow.ufrag === serverUfrag) {
      flow.lastSeen = this.now
      this.sendUpstream(flow, msg)
      return
    }
    const route = this.opts.table.route(serverUfrag)
    if (!route) {
      if (flow) {
        flow.lastSeen = this.now
        this.sendUpstream(flow, msg)
      } else this.counters.dropped.stun_unknown_ufrag++
      return
    }
    if (route.password !== null && !verifyIntegrity(msg, parsed.request.message, route.password)) {
      this.counters.dropped.stun_bad_integrity++
      return
    }
    if (flow) {
      // Same client 5-tuple, new ufrag (ICE restart): re-open the flow towards the route's worker.
      this.opts.table.removeFlow(flow.key)
      this.closeFlowSocket(flow)
    }
    this.openFlow(key, rinfo, route, msg)
  }

  private openFlow(key: string, rinfo: RemoteInfo, route: Route, first: Buffer): void {
    const family = isIPv6(route.target.host) ? 'udp6' : 'udp4'
    const socket = createSocket(family)
    const handle: UdpFlowHandle = { clientAddress: rinfo.address, clientPort: rinfo.port, socket, pending: [first], closed: false }
    const added = this.opts.table.addFlow(key, rinfo.address, route.ufrag, route.target, handle, this.now)
    if (!added.ok) {
      socket.close()
      this.counters.dropped[added.reason === 'address_limit' ? 'flow_limit_address' : 'flow_limit_table']++
      return
    }
    const flow = added.flow
    for (const evicted of added.evicted) {
      this.counters.flowsEvicted++
      this.closeFlowSocket(evicted)
    }
    this.counters.flowsOpened++
    socket.on('message', (msg) => this.sendDownstream(flow, msg))
    // Only the first flow of a ufrag can reclaim the port the worker knew (others could not share it anyway).
    const sticky = route.stickyPort !== null && this.opts.table.flowsOf(route.ufrag).length === 1 ? route.stickyPort : 0
    const connect = (): void => {
      socket.connect(route.target.port, route.target.host, () => {
        if (handle.closed) return
        const pending = handle.pending ?? []
        handle.pending = null
        for (const m of pending) socket.send(m)
      })
    }
    let triedSticky = sticky !== 0
    socket.on('error', (error) => {
      if (handle.closed) return
      if (triedSticky && (error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
        // The sticky port is taken: fall back to any port (mediasoup then sees a new tuple, and the client's
        // next USE-CANDIDATE check selects it).
        triedSticky = false
        const fresh = createSocket(family)
        handle.socket = fresh
        fresh.on('message', (msg) => this.sendDownstream(flow, msg))
        fresh.on('error', (e) => this.upstreamFailed(flow, e))
        fresh.bind(0, this.opts.upstreamIp, () => {
          fresh.connect(route.target.port, route.target.host, () => {
            const pending = handle.pending ?? []
            handle.pending = null
            for (const m of pending) fresh.send(m)
          })
        })
        socket.close()
        return
      }
      this.upstreamFailed(flow, error)
    })
    socket.bind(sticky, this.opts.upstreamIp, connect)
    this.opts.onFlowOpened?.(flow, route)
  }

  /** Worker → client: from the public socket, so the client sees the one address it knows. */
  private sendDownstream(flow: Flow<UdpFlowHandle>, msg: Buffer): void {
    flow.lastSeen = this.now
    this.counters.packetsOut++
    const handle = flow.handle
    const timers = this.opts.forwardTimers
    if (timers) {
      const t0 = performance.now()
      this.socket.send(msg, handle.clientPort, handle.clientAddress, () => timers.down.record((performance.now() - t0) * 1000))
    } else this.socket.send(msg, handle.clientPort, handle.clientAddress)
  }

  private sendUpstream(flow: Flow<UdpFlowHandle>, msg: Buffer): void {
    const handle = flow.handle
    if (handle.pending !== null) {
      if (handle.pending.length < MAX_PENDING) handle.pending.push(msg)
      else this.counters.dropped.upstream_not_ready++
      return
    }
    handle.socket.send(msg)
  }

  private upstreamFailed(flow: Flow<UdpFlowHandle>, error: Error): void {
    this.counters.dropped.upstream_error++
    this.logger.warn('relay flow failed', { flow: flow.key, target: `${flow.target.host}:${flow.target.port}`, error: error.message })
    this.opts.table.removeFlow(flow.key)
    this.closeFlowSocket(flow)
  }

  private closeFlowSocket(flow: Flow<UdpFlowHandle>): void {
    const handle = flow.handle
    if (handle.closed) return
    handle.closed = true
    handle.pending = null
    try {
      handle.socket.close()
    } catch {
      // already closed
    }
  }
}

/** RFC 5389 short-term credentials: HMAC-SHA1 keyed with the ICE password over the message up to MESSAGE-INTEGRITY. */
export function verifyIntegrity(buf: Uint8Array, message: StunMessage, password: string): boolean {
  const input = messageIntegrityInput(buf, message)
  if (!input) return false
  const mac = createHmac('sha1', password).update(input.covered).digest()
  return timingSafeEqual(mac, input.integrityValue)
}

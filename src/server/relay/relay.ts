import { createHash, randomUUID, timingSafeEqual } from 'node:crypto'
import { createServer, type Server as HttpServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { WebSocketServer, type RawData, type WebSocket } from 'ws'
import { createDispatcher, type HandlersFor } from '../../shared/contract/dispatch'
import { ContractError, describeIssues } from '../../shared/contract/errors'
import {
  MAX_RELAY_CONTROL_FRAME_BYTES,
  RELAY_CONTROL_PATH,
  RELAY_PROTOCOL_VERSION,
  relayControlMethods,
  relayRequestEnvelopeSchema,
  type RelayAddress,
  type RelayResponse,
  type RelayStats
} from '../../shared/contract/relay'
import type { ForwardTimers } from './forwardTimer'
import { flowBudget, readDescriptorLimit } from './flowBudget'
import { DEFAULT_MAX_FLOWS_PER_ADDRESS, DEFAULT_MAX_FLOWS_PER_UFRAG, RoutingTable } from './routingTable'
import { TcpRelay } from './tcpRelay'
import { UdpRelay, type UdpFlowHandle } from './udpRelay'
import { silentLogger, type Logger } from '../../shared/logging/logger'

export interface RelayOptions {
  /** Where the public UDP (and TCP) port is bound. */
  bindIp: string
  /** The one public port; 0 = pick a free one (tests). */
  port: number
  /** The address clients are told (ICE candidate); defaults to bindIp (must then not be 0.0.0.0). */
  announcedIp?: string | null
  /** Local address of relay → worker sockets; defaults to bindIp, or 127.0.0.1 if that is a wildcard. */
  upstreamIp?: string | null
  /** Control channel (WebSocket) bind address and port; keep it private (loopback / internal network). */
  controlIp: string
  controlPort: number
  /** Shared secret backends present in hello (≥16 chars). */
  token: string
  tcp?: boolean
  flowIdleMs?: number
  /** UDP flows in all; default derived from the descriptor limit (flowBudget.ts). */
  maxFlows?: number
  /** Flows per server ufrag (one ICE transport); a new one replaces the least recently seen. Default 8. */
  maxFlowsPerUfrag?: number
  /** Flows (and, separately, ICE-TCP connections) per client IP address; more are refused. Default 32. */
  maxFlowsPerAddress?: number
  /** ICE-TCP connections in all; default derived from the descriptor limit. */
  maxTcpConnections?: number
  orphanRouteMs?: number
  logger?: Logger
  /** Measure the relay's own per-packet forwarding time (bench); see forwardTimer.ts. */
  forwardTimers?: ForwardTimers
}

export interface RunningRelay {
  readonly relayId: string
  readonly publicUdp: RelayAddress
  readonly publicTcp: RelayAddress | null
  readonly controlUrl: string
  readonly table: RoutingTable<UdpFlowHandle>
  readonly udp: UdpRelay
  stats(): RelayStats
  close(): Promise<void>
}

interface ControlConnection {
  backendId: string | null
}

/** Upper bound whatever the descriptor limit says (memory: a flow and its socket are a few kB). */
const MAX_FLOWS = 100_000

const digest = (s: string): Buffer => createHash('sha256').update(s).digest()

/**
 * The edge relay process: the UDP relay and the ICE-TCP relay on one public port, and the authenticated control
 * channel where backends register ufrag → worker routes. All state is soft (see RoutingTable).
 */
export async function startRelay(opts: RelayOptions): Promise<RunningRelay> {
  if (opts.token.length < 16) throw new Error('relay control token must be at least 16 characters')
  const logger = opts.logger ?? silentLogger
  const wildcard = opts.bindIp === '0.0.0.0' || opts.bindIp === '::'
  const announcedIp = opts.announcedIp ?? (wildcard ? null : opts.bindIp)
  if (!announcedIp) throw new Error('relay bound to a wildcard address needs an announced IP (the address clients reach)')
  const upstreamIp = opts.upstreamIp ?? (wildcard ? '127.0.0.1' : opts.bindIp)
  const relayId = randomUUID()
  const budget = flowBudget(readDescriptorLimit())
  const limits = {
    maxFlows: opts.maxFlows ?? Math.min(MAX_FLOWS, budget.maxFlows),
    maxFlowsPerUfrag: opts.maxFlowsPerUfrag ?? DEFAULT_MAX_FLOWS_PER_UFRAG,
    maxFlowsPerAddress: opts.maxFlowsPerAddress ?? DEFAULT_MAX_FLOWS_PER_ADDRESS,
    maxTcpConnections: opts.maxTcpConnections ?? Math.min(MAX_FLOWS, budget.maxTcpConnections)
  }
  const table = new RoutingTable<UdpFlowHandle>({ flowIdleMs: opts.flowIdleMs ?? 30_000, orphanRouteMs: opts.orphanRouteMs ?? 60_000, ...limits })
  const udp = await UdpRelay.start({ bindIp: opts.bindIp, port: opts.port, upstreamIp, table, logger, forwardTimers: opts.forwardTimers })
  let tcp: TcpRelay | null = null
  let http: HttpServer | null = null
  let wss: WebSocketServer | null = null
  try {
    if (opts.tcp !== false) tcp = await TcpRelay.start({ bindIp: opts.bindIp, port: udp.address.port, table, logger, maxConnections: limits.maxTcpConnections, maxConnectionsPerAddress: limits.maxFlowsPerAddress })
    const publicUdp = { ip: announcedIp, port: udp.address.port }
    const publicTcp = tcp ? { ip: announcedIp, port: tcp.address.port } : null
    const expectedToken = digest(opts.token)
    const connectionsPerOwner = new Map<string, number>()

    const stats = (): RelayStats => ({
      routes: table.routeCount,
      flows: table.flowCount,
      tcpConnections: tcp?.counters.connections ?? 0,
      packetsIn: udp.counters.packetsIn,
      packetsOut: udp.counters.packetsOut,
      flowsOpened: udp.counters.flowsOpened,
      flowsExpired: udp.counters.flowsExpired,
      flowsEvicted: udp.counters.flowsEvicted,
      limits,
      dropped: { ...udp.counters.dropped, ...Object.fromEntries(Object.entries(tcp?.counters.rejected ?? {}).map(([k, v]) => [`tcp_${k}`, v])) }
    })

    const owner = (conn: ControlConnection): string => {
      if (!conn.backendId) throw new ContractError('unauthorized', 'say hello with the relay token first')
      return conn.backendId
    }
    const handlers: HandlersFor<typeof relayControlMethods, ControlConnection> = {
      hello({ protocolVersion, backendId, token }, conn) {
        if (!timingSafeEqual(digest(token), expectedToken)) throw new ContractError('unauthorized', 'wrong relay token')
        if (protocolVersion !== RELAY_PROTOCOL_VERSION) throw new ContractError('conflict', `relay speaks protocol ${RELAY_PROTOCOL_VERSION}, not ${protocolVersion}`)
        if (conn.backendId && conn.backendId !== backendId) throw new ContractError('conflict', 'this connection already said hello as another backend')
        if (!conn.backendId) connectionsPerOwner.set(backendId, (connectionsPerOwner.get(backendId) ?? 0) + 1)
        conn.backendId = backendId
        table.ownerConnected(backendId)
        logger.info('backend registered', { backendId })
        return { protocolVersion: RELAY_PROTOCOL_VERSION, relayId, publicUdp, publicTcp, upstreamIp }
      },
      addRoutes({ routes, replaceAll }, conn) {
        const backendId = owner(conn)
        let added = 0
        let updated = 0
        const conflicts: string[] = []
        for (const r of routes) {
          const outcome = table.addRoute({ ufrag: r.ufrag, password: r.password ?? null, target: r.target, owner: backendId, stickyPort: r.stickyPort ?? null })
          if (outcome === 'added') added++
          else if (outcome === 'updated') updated++
          else conflicts.push(r.ufrag)
        }
        if (replaceAll) udp.closeFlows(table.retainOnly(backendId, new Set(routes.map((r) => r.ufrag))))
        return { added, updated, conflicts }
      },
      removeRoutes({ ufrags }, conn) {
        const flows = table.removeRoutes(owner(conn), ufrags)
        udp.closeFlows(flows)
        return { removed: ufrags.length }
      },
      stats(_params, conn) {
        owner(conn)
        return stats()
      }
    }
    const dispatch = createDispatcher(relayControlMethods, handlers, (method, error) => logger.error('relay control handler failed', { method, error }))

    http = createServer((_req, res) => res.writeHead(404).end())
    wss = new WebSocketServer({ server: http, path: RELAY_CONTROL_PATH, maxPayload: MAX_RELAY_CONTROL_FRAME_BYTES })
    wss.on('connection', (socket: WebSocket) => {
      const conn: ControlConnection = { backendId: null }
      const send = (r: RelayResponse): void => {
        if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(r))
      }
      socket.on('error', (error) => logger.warn('relay control socket error', { error: error.message }))
      socket.on('close', () => {
        if (!conn.backendId) return
        const left = (connectionsPerOwner.get(conn.backendId) ?? 1) - 1
        if (left > 0) connectionsPerOwner.set(conn.backendId, left)
        else {
          connectionsPerOwner.delete(conn.backendId)
          table.ownerDisconnected(conn.backendId, Date.now())
          logger.warn('backend control channel closed; its routes are kept for a while', { backendId: conn.backendId, keptMs: table.opts.orphanRouteMs })
        }
      })
      socket.on('message', (data: RawData, isBinary: boolean) => {
        void (async () => {
          if (isBinary) return send({ id: null, ok: false, error: { code: 'bad_message', message: 'binary frames are not accepted' } })
          let json: unknown
          try {
            json = JSON.parse(data.toString())
          } catch {
            return send({ id: null, ok: false, error: { code: 'bad_message', message: 'frame is not valid JSON' } })
          }
          const envelope = relayRequestEnvelopeSchema.safeParse(json)
          if (!envelope.success) return send({ id: null, ok: false, error: { code: 'bad_message', message: 'malformed request', issues: describeIssues(envelope.error) } })
          const { id, method, params } = envelope.data
          if (method !== 'hello' && !conn.backendId) {
            return send({ id, ok: false, error: { code: 'unauthorized', message: 'say hello with the relay token first' } })
          }
          const outcome = await dispatch(method, params, conn)
          send({ id, ...outcome })
          if (method === 'hello' && !outcome.ok && outcome.error.code === 'unauthorized') socket.close(4001, 'unauthorized')
        })().catch((error: unknown) => logger.error('relay control frame failed', { error }))
      })
    })
    await new Promise<void>((resolve, reject) => {
      http!.once('error', reject)
      http!.listen(opts.controlPort, opts.controlIp, () => resolve())
    })
    const control = http.address() as AddressInfo
    const controlHost = control.address.includes(':') ? `[${control.address}]` : control.address
    const controlUrl = `ws://${controlHost}:${control.port}${RELAY_CONTROL_PATH}`
    logger.info('relay ready', { relayId, publicUdp: `${publicUdp.ip}:${publicUdp.port}`, publicTcpPort: publicTcp?.port ?? null, upstreamIp, controlUrl })
    logger.info('relay limits', { ...limits, descriptorLimit: budget.descriptorLimit, reservedDescriptors: budget.reserved })
    const httpServer = http
    const wsServer = wss
    return {
      relayId,
      publicUdp,
      publicTcp,
      controlUrl,
      table,
      udp,
      stats,
      close: async () => {
        for (const c of wsServer.clients) c.terminate()
        await new Promise<void>((r) => wsServer.close(() => r()))
        await new Promise<void>((r) => httpServer.close(() => r()))
        await tcp?.close()
        await udp.close()
      }
    }
  } catch (error) {
    wss?.close()
    http?.close()
    await tcp?.close().catch(() => undefined)
    await udp.close()
    throw error
  }
}

import { hostname } from 'node:os'
import type { types as ms } from 'mediasoup'
import type { HandlersFor } from '../../shared/contract/dispatch'
import type { RelayRoute } from '../../shared/contract/relay'
import type { signalingMethods } from '../../shared/contract/signaling'
import type { SignalingConnection } from '../signalingServer'
import { RelayRegistrar, type RelayInfo } from './registrar'
import { silentLogger, type Logger } from '../../shared/logging/logger'

/** The backend's `relay` option: put this backend's workers behind an edge relay. */
export interface BackendRelayOptions {
  /** The relay's control channel, e.g. ws://10.0.0.1:7010/relay-control. */
  controlUrl: string
  token: string
  /** Stable name of this backend at the relay; defaults to host:pid. */
  backendId?: string
  /** The address the relay reaches this backend's WebRtcServers on; defaults to the backend's listen IP. */
  workerHost?: string
  /** Share each transport's ICE password so the relay opens flows only for signed checks (default true). */
  shareIcePassword?: boolean
  /** How long createTransport waits for the relay to be reachable before answering `unavailable`. */
  readyTimeoutMs?: number
}

interface WorkerLike {
  readonly index: number
  readonly webRtcServer: ms.WebRtcServer
  readonly rtcPort: number
}

type Handlers = HandlersFor<typeof signalingMethods, SignalingConnection>

export interface RelayAttachment {
  readonly registrar: RelayRegistrar
  /** Start registering the transports of another worker (a dead worker's replacement). */
  addWorker(worker: WorkerLike): void
  /** createTransport answers with the relay's public candidates; restartIce re-registers the new ufrag. */
  wrapHandlers<H extends Pick<Handlers, 'createTransport' | 'restartIce'>>(handlers: H): H
  close(): void
}

type IceCandidate = { foundation: string; priority: number; ip: string; port: number; protocol: 'udp' | 'tcp'; type: string; tcpType?: string }

/** Replace each candidate's address with the relay's public address for that protocol (drop TCP if the relay has none). */
export function relayCandidates<C extends IceCandidate>(candidates: readonly C[], info: Pick<RelayInfo, 'publicUdp' | 'publicTcp'>): C[] {
  const out: C[] = []
  const seen = new Set<string>()
  for (const c of candidates) {
    const pub = c.protocol === 'udp' ? info.publicUdp : info.publicTcp
    if (!pub) continue
    const key = `${c.protocol}|${pub.ip}|${pub.port}`
    if (seen.has(key)) continue
    seen.add(key)
    out.push({ ...c, ip: pub.ip, port: pub.port })
  }
  return out
}

/**
 * Connect a backend's workers to an edge relay. Every WebRtcTransport created on one of the workers' WebRtcServers
 * is registered (server ufrag → that worker's address) before the client learns its candidates; a closed transport
 * is unregistered; the worker's selected UDP tuple is reported as a sticky port so a restarted relay can reuse it.
 */
export function attachRelay(workers: readonly WorkerLike[], listenIp: string, opts: BackendRelayOptions, logger: Logger = silentLogger): RelayAttachment {
  const workerHost = opts.workerHost ?? listenIp
  if (workerHost === '0.0.0.0' || workerHost === '::') throw new Error('relay: the backend listens on a wildcard address; set relay.workerHost to the address the relay reaches it on')
  const registrar = new RelayRegistrar({ controlUrl: opts.controlUrl, token: opts.token, backendId: opts.backendId ?? `${hostname()}:${process.pid}`, logger })
  const byTransport = new Map<string, { transport: ms.WebRtcTransport; rtcPort: number; ufrag: string; registered: Promise<void> }>()
  const share = opts.shareIcePassword !== false

  const routeFor = (t: ms.WebRtcTransport, rtcPort: number, stickyPort?: number): RelayRoute => ({
    ufrag: t.iceParameters.usernameFragment,
    ...(share ? { password: t.iceParameters.password } : {}),
    target: { host: workerHost, port: rtcPort },
    ...(stickyPort ? { stickyPort } : {})
  })

  /** Register every transport a worker's WebRtcServer handles (its initial workers, and a dead one's replacement). */
  const addWorker = (worker: WorkerLike): void => {
    worker.webRtcServer.observer.on('webrtctransporthandled', (t: ms.WebRtcTransport) => {
      const entry = { transport: t, rtcPort: worker.rtcPort, ufrag: t.iceParameters.usernameFragment, registered: registrar.upsert(routeFor(t, worker.rtcPort)) }
      byTransport.set(t.id, entry)
      t.observer.on('iceselectedtuplechange', (tuple: ms.TransportTuple) => {
        const info = registrar.relayInfo
        const current = byTransport.get(t.id)
        if (!current || tuple.protocol !== 'udp' || !info || tuple.remoteIp !== info.upstreamIp || !tuple.remotePort) return
        if (registrar.route(current.ufrag)?.stickyPort === tuple.remotePort) return
        void registrar.upsert(routeFor(t, worker.rtcPort, tuple.remotePort))
      })
      t.observer.once('close', () => {
        const current = byTransport.get(t.id)
        byTransport.delete(t.id)
        if (current) void registrar.remove(current.ufrag)
      })
    })
  }
  for (const worker of workers) addWorker(worker)
  registrar.start()

  return {
    registrar,
    addWorker,
    wrapHandlers(handlers) {
      return {
        ...handlers,
        async createTransport(params, conn) {
          const info = await registrar.ready(opts.readyTimeoutMs ?? 3000)
          const result = await handlers.createTransport(params, conn)
          await byTransport.get(result.id)?.registered
          return { ...result, iceCandidates: relayCandidates(result.iceCandidates as IceCandidate[], info) as typeof result.iceCandidates }
        },
        async restartIce(params, conn) {
          const result = await handlers.restartIce(params, conn)
          // restartIce gave the transport a new ufrag: register it before the client's checks with it arrive.
          const entry = byTransport.get(params.transportId)
          if (entry && entry.ufrag !== result.iceParameters.usernameFragment) {
            const old = entry.ufrag
            entry.ufrag = result.iceParameters.usernameFragment
            entry.registered = registrar.upsert(routeFor(entry.transport, entry.rtcPort))
            await entry.registered
            void registrar.remove(old)
          }
          return result
        }
      }
    },
    close: () => registrar.close()
  }
}

/**
 * The standalone server's relay option from the environment (a token does not belong on a command line):
 * VOICE_RELAY_CONTROL_URL, VOICE_RELAY_TOKEN, optional VOICE_RELAY_WORKER_HOST and VOICE_RELAY_BACKEND_ID.
 * Returns undefined when no relay is configured; throws a clear Error when it is configured only in part.
 */
export function relayOptionsFromEnv(env: Record<string, string | undefined>): BackendRelayOptions | undefined {
  const controlUrl = env.VOICE_RELAY_CONTROL_URL
  if (!controlUrl) return undefined
  const token = env.VOICE_RELAY_TOKEN
  if (!token || token.length < 16) throw new Error('VOICE_RELAY_CONTROL_URL is set but VOICE_RELAY_TOKEN is missing or shorter than 16 characters')
  if (!/^wss?:\/\//.test(controlUrl)) throw new Error(`VOICE_RELAY_CONTROL_URL must be a ws:// URL, got ${JSON.stringify(controlUrl)}`)
  return {
    controlUrl,
    token,
    ...(env.VOICE_RELAY_WORKER_HOST ? { workerHost: env.VOICE_RELAY_WORKER_HOST } : {}),
    ...(env.VOICE_RELAY_BACKEND_ID ? { backendId: env.VOICE_RELAY_BACKEND_ID } : {})
  }
}

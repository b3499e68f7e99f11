import { createServer, type Server as HttpServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { SIGNALING_PROTOCOL_VERSION } from '../shared/contract/signaling'
import type { BackendConfig } from './config'
import { ensureWorkerBinEnv } from '../node/mediasoupWorkerBinary'
import { findFreeRtcPort } from './net'
import { attachSignalingServer, type SignalingTimeouts } from './signalingServer'
import { SessionManager, type SessionManagerOptions } from './sessions/sessionManager'
import type { WorkerSlot } from './sessions/workerSlot'
import { createSessionHandlers } from './sessions/signalingHandlers'
import { createObserveSessionHandler } from './voice/voiceSignaling'
import { attachRelay, type BackendRelayOptions, type RelayAttachment } from './relay/backendRelay'
import type { ConnectionGate } from './auth/connectionGate'
import { ProviderAuthority } from './auth/providerAuthority'
import type { FairLimits } from './limits/fairLimits'

export const SERVER_VERSION = '0.1.0'
export const SIGNALING_PATH = '/signaling'
export type { WorkerSlot } from './sessions/workerSlot'

export interface RunningBackend {
  readonly config: BackendConfig
  readonly signalingUrl: string
  readonly workers: readonly WorkerSlot[]
  readonly httpServer: HttpServer
  /** Media sessions (one per user conversation), spread across the workers. */
  readonly sessions: SessionManager
  close(): Promise<void>
}

export interface StartBackendOptions {
  log?: (line: string) => void
  /** Called if a worker dies; the backend is then unusable and should be restarted by its owner. */
  onFatal?: (error: Error) => void
  /** Session policy: grace period for resume, default pipeline, pipeline overrides. */
  sessions?: SessionManagerOptions
  /** Put the workers behind an edge relay (src/server/relay): ICE candidates become the relay's one public port. */
  relay?: BackendRelayOptions
  /** Who may connect and what they may do. The entry (main.ts) always sets it; tests may leave it out. */
  access?: BackendAccess
}

export interface BackendAccess {
  /** Decided at the WebSocket upgrade (auth/connectionGate.ts). Default: open, loopback pages only. */
  gate?: ConnectionGate
  /** Who decides the voice providers. Default: only the operator's (none configured): client providers refused. */
  providers?: ProviderAuthority
  /** Fairness limits (limits/fairLimits.ts); unset fields keep their defaults. */
  limits?: Partial<FairLimits>
  /** Signaling liveness timeouts (ping/pong, idle, handshake). */
  timeouts?: Partial<SignalingTimeouts>
}

/**
 * Start the backend: N mediasoup workers, each with one WebRtcServer (UDP + TCP on one port), and the signaling
 * WebSocket on an HTTP server. Everything started is closed again if any step fails.
 */
export async function startBackend(config: BackendConfig, opts: StartBackendOptions = {}): Promise<RunningBackend> {
  const log = opts.log ?? (() => undefined)
  ensureWorkerBinEnv()
  // mediasoup reads MEDIASOUP_WORKER_BIN when its module loads, so it is imported only after the env is set.
  const mediasoup = await import('mediasoup')
  const slots: WorkerSlot[] = []
  const httpServer = createServer((_req, res) => {
    res.writeHead(404, { 'content-type': 'text/plain' })
    res.end('voice-assistant backend: signaling is at ' + SIGNALING_PATH + '\n')
  })
  let signaling: ReturnType<typeof attachSignalingServer> | null = null
  let relay: RelayAttachment | null = null
  const access = opts.access ?? {}
  const providers = access.providers ?? new ProviderAuthority({ clientProviders: 'none' })
  const sessions = new SessionManager(slots, { log, ...(config.defaultPipeline ? { defaultPipeline: config.defaultPipeline } : {}), limits: access.limits, ...opts.sessions })
  const closeAll = async (): Promise<void> => {
    await sessions.closeAll()
    await signaling?.close()
    await new Promise<void>((resolve) => httpServer.close(() => resolve()))
    relay?.close()
    for (const slot of slots) slot.worker.close()
  }
  try {
    for (let i = 0; i < config.workers; i++) {
      const worker = await mediasoup.createWorker({ logLevel: config.logLevel, appData: { index: i } })
      worker.on('died', (error: Error) => {
        log(`mediasoup worker ${i} (pid ${worker.pid}) died: ${error.message}`)
        opts.onFatal?.(new Error(`mediasoup worker ${i} died: ${error.message}`))
      })
      const rtcPort = config.rtcPort === 0 ? await findFreeRtcPort(config.listenIp) : config.rtcPort + i
      const announcedIp = config.announcedIp ?? undefined
      const webRtcServer = await worker.createWebRtcServer({
        listenInfos: [
          { protocol: 'udp', ip: config.listenIp, announcedIp, port: rtcPort },
          { protocol: 'tcp', ip: config.listenIp, announcedIp, port: rtcPort }
        ]
      })
      slots.push({ index: i, worker, webRtcServer, rtcPort })
    }
    if (opts.relay) relay = attachRelay(slots, config.listenIp, opts.relay, log)
    signaling = attachSignalingServer({
      server: httpServer,
      path: SIGNALING_PATH,
      log,
      gate: access.gate,
      timeouts: access.timeouts,
      connectionsPerAddress: access.limits?.connectionsPerAddress,
      handlers: {
        hello: () => ({ protocolVersion: SIGNALING_PROTOCOL_VERSION, serverVersion: SERVER_VERSION, workers: slots.length, providers: providers.summary }),
        ping: ({ clientTime }) => ({ clientTime, serverTime: Date.now() }),
        ...(relay ? relay.wrapHandlers(createSessionHandlers(sessions)) : createSessionHandlers(sessions)),
        observeSession: createObserveSessionHandler(sessions, providers)
      }
    })
    await new Promise<void>((resolve, reject) => {
      httpServer.once('error', reject)
      httpServer.listen(config.signalingPort, config.listenIp, () => resolve())
    })
  } catch (error) {
    await closeAll().catch(() => undefined)
    throw error
  }
  const { port } = httpServer.address() as AddressInfo
  const host = config.listenIp.includes(':') ? `[${config.listenIp}]` : config.listenIp
  const signalingUrl = `ws://${host}:${port}${SIGNALING_PATH}`
  log(`backend ready: ${slots.length} worker(s), RTC ports ${slots.map((s) => s.rtcPort).join(',')}, signaling ${signalingUrl}`)
  return { config, signalingUrl, workers: slots, httpServer, sessions, close: closeAll }
}

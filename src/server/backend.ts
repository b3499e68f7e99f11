import { createServer, type Server as HttpServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { SIGNALING_PROTOCOL_VERSION } from '../shared/contract/signaling'
import { mediasoupLogLevel, type BackendConfig } from './config'
import { silentLogger, type Logger } from '../shared/logging/logger'
import { ensureWorkerBinEnv } from '../node/mediasoupWorkerBinary'
import { findFreeRtcPort } from './net'
import { attachSignalingServer, type SignalingTimeouts } from './signalingServer'
import { SessionManager, type SessionManagerOptions } from './sessions/sessionManager'
import type { WorkerSlot } from './sessions/workerSlot'
import { createSessionHandlers } from './sessions/signalingHandlers'
import { createObserveSessionHandler, createTypedTurnHandler } from './voice/voiceSignaling'
import { VoiceRuntime } from './voice/voiceRuntime'
import { pipelineFactories } from './pipelines'
import { attachRelay, type BackendRelayOptions, type RelayAttachment } from './relay/backendRelay'
import { WorkerRecovery } from './workerRecovery'
import type { ConnectionGate } from './auth/connectionGate'
import { ProviderAuthority } from './auth/providerAuthority'
import type { FairLimits } from './limits/fairLimits'
import type { ServerMetrics } from './metrics/serverMetrics'

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
  /** The backend's logger (pino JSON lines in the entry); each part gets a child naming it. Default: silent. */
  logger?: Logger
  /**
   * Called when workers keep dying (a crash loop) or a dead one cannot be started again; the backend is then unusable
   * and should be restarted by its owner. A single worker death is handled here (see WorkerRecovery).
   */
  onFatal?: (error: Error) => void
  /** Session policy: grace period for resume, default pipeline, pipeline overrides. */
  sessions?: SessionManagerOptions
  /** Put the workers behind an edge relay (src/server/relay): ICE candidates become the relay's one public port. */
  relay?: BackendRelayOptions
  /** Who may connect and what they may do. The entry (main.ts) always sets it; tests may leave it out. */
  access?: BackendAccess
  /** Operator metrics (src/server/metrics): fed by the voice runtime's hooks and the session manager's events. */
  metrics?: ServerMetrics
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
  const logger = opts.logger ?? silentLogger
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
  // What every voice session of this process shares (ticker, batched server VAD, TTS pool, on-device STT thread,
  // observer registry).
  const voice = new VoiceRuntime({ logger, onDeviceStt: config.modelsDir ? { modelsDir: config.modelsDir } : null, hooks: opts.metrics })
  const pipelines = { ...pipelineFactories(voice), ...opts.sessions?.pipelines }
  const access = opts.access ?? {}
  const providers = access.providers ?? new ProviderAuthority({ clientProviders: 'none' })
  const sessions = new SessionManager(slots, { logger, ...(config.defaultPipeline ? { defaultPipeline: config.defaultPipeline } : {}), limits: access.limits, ...opts.sessions, pipelines })
  const stopMetrics = opts.metrics?.observeSessions(sessions)
  const closeAll = async (): Promise<void> => {
    stopMetrics?.()
    recovery.close()
    await sessions.closeAll()
    await voice.close()
    await signaling?.close()
    await new Promise<void>((resolve) => httpServer.close(() => resolve()))
    relay?.close()
    for (const slot of slots) slot.worker.close()
  }
  // One worker + WebRtcServer per slot; a dead worker's replacement asks for the same port again (free once the
  // worker is gone, so clients and the relay keep the address they know) and falls back to a free one.
  const createSlot = async (i: number, port: number): Promise<WorkerSlot> => {
    const worker = await mediasoup.createWorker({ logLevel: mediasoupLogLevel(config.logLevel), appData: { index: i } })
    const announcedIp = config.announcedIp ?? undefined
    const listen = (rtcPort: number) =>
      worker.createWebRtcServer({
        listenInfos: [
          { protocol: 'udp', ip: config.listenIp, announcedIp, port: rtcPort },
          { protocol: 'tcp', ip: config.listenIp, announcedIp, port: rtcPort }
        ]
      })
    try {
      let rtcPort = port || (await findFreeRtcPort(config.listenIp))
      const webRtcServer = await listen(rtcPort).catch(async (error: unknown) => {
        if (config.rtcPort !== 0 || port === 0) throw error
        rtcPort = await findFreeRtcPort(config.listenIp)
        return listen(rtcPort)
      })
      return { index: i, worker, webRtcServer, rtcPort }
    } catch (error) {
      worker.close()
      throw error
    }
  }
  const recovery = new WorkerRecovery({
    slots,
    createSlot,
    sessions,
    onReplaced: (slot) => relay?.addWorker(slot),
    onFatal: (error) => opts.onFatal?.(error),
    logger
  })
  try {
    for (let i = 0; i < config.workers; i++) {
      const slot = await createSlot(i, config.rtcPort === 0 ? 0 : config.rtcPort + i)
      recovery.watch(slot)
      slots.push(slot)
    }
    if (opts.relay) relay = attachRelay(slots, config.listenIp, opts.relay, logger.child({ part: 'relay' }))
    signaling = attachSignalingServer({
      server: httpServer,
      path: SIGNALING_PATH,
      logger,
      gate: access.gate,
      timeouts: access.timeouts,
      connectionsPerAddress: access.limits?.connectionsPerAddress,
      handlers: {
        hello: () => ({ protocolVersion: SIGNALING_PROTOCOL_VERSION, serverVersion: SERVER_VERSION, workers: slots.length, providers: providers.summary }),
        ping: ({ clientTime }) => ({ clientTime, serverTime: Date.now() }),
        ...recovery.wrapHandlers(relay ? relay.wrapHandlers(createSessionHandlers(sessions)) : createSessionHandlers(sessions)),
        observeSession: createObserveSessionHandler(sessions, voice, providers),
        typedTurn: createTypedTurnHandler(sessions, voice)
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
  logger.info('backend ready', { workers: slots.length, rtcPorts: slots.map((s) => s.rtcPort), signalingUrl })
  return { config, signalingUrl, workers: slots, httpServer, sessions, close: closeAll }
}

import { realClock, type Clock } from '../../shared/clock'
import { EspeakProcessPool } from '../providers/espeakTts'
import { OnDeviceStt, type OnDeviceResult, type OnDeviceSttOptions } from '../providers/onDeviceStt'
import type { PipelineContext } from '../pipelines/types'
import type { FrameBatch } from '../vad/frameBatch'
import { BatchedServerVad } from '../vad/serverVad'
import { WorkerFrameBatch } from '../vad/workerFrameBatch'
import { SessionTicker } from './sessionTicker'
import { VoiceSession, type VoiceSessionOptions, type VoiceSessionShared } from './voiceSession'
import { silentLogger, type Logger } from '../../shared/logging/logger'

/**
 * What the runtime tells an observer (the operator metrics, src/server/metrics/serverMetrics.ts). Each hook is
 * optional and called synchronously where the moment happens; none is called per audio frame.
 */
export interface VoiceRuntimeHooks {
  /** A voice session started: subscribe to its turnTrace / failover events here. */
  sessionStarted?(session: VoiceSession): void
  /** One server VAD inference answered: the frames it classified (one per stream) and its time, ms. */
  vadBatch?(frames: number, ms: number): void
  /** One on-device transcription finished (its queue wait and compute). Not called for an OnDeviceStt passed in ready-made. */
  sttResult?(result: OnDeviceResult): void
}

export interface VoiceRuntimeOptions {
  clock?: Clock
  /**
   * Starts the server VAD's batch when the first session opens: by default Silero on its own thread
   * (WorkerFrameBatch over the bundled model); null = no server VAD backstop.
   */
  loadVadBatch?: (() => Promise<FrameBatch>) | null
  /**
   * On-device speech recognition for every session of the process: the models folder it looks in (with options for
   * tests and benches), or an OnDeviceStt made by the caller; null/absent = none (the STT chain is only what sessions
   * configure).
   */
  onDeviceStt?: OnDeviceStt | Omit<OnDeviceSttOptions, 'logger'> | null
  /** The backend's logger; the VAD, the STT and every voice session log on children of it. Default: silent. */
  logger?: Logger
  hooks?: VoiceRuntimeHooks
}

/**
 * What every voice session of one backend process shares, made once by startBackend and closed with it: the clock,
 * the 20 ms turn ticker (one timer for all sessions), the batched server VAD (one inference per 32 ms for every
 * session, on its own thread), the espeak-ng warm-process pool, the on-device STT (one worker thread that every
 * session's utterances queue for, started at the first utterance), and the registry of open sessions (observeSession
 * finds a session's voice pipeline here). Tests and benches make their own, with fakes where they want them.
 */
export class VoiceRuntime implements VoiceSessionShared {
  readonly clock: Clock
  readonly logger: Logger
  readonly ticker: SessionTicker
  readonly vad: BatchedServerVad | null
  readonly ttsPool: EspeakProcessPool
  readonly onDeviceStt: OnDeviceStt | null
  private readonly sessions = new Map<string, VoiceSession>()
  private readonly hooks: VoiceRuntimeHooks
  private closed = false

  constructor(opts: VoiceRuntimeOptions = {}) {
    this.clock = opts.clock ?? realClock
    this.logger = opts.logger ?? silentLogger
    const hooks = (this.hooks = opts.hooks ?? {})
    this.ticker = new SessionTicker(this.clock)
    const loadBatch = opts.loadVadBatch === undefined ? () => WorkerFrameBatch.start({ logger: this.logger.child({ part: 'server-vad' }) }) : opts.loadVadBatch
    this.vad = loadBatch ? new BatchedServerVad({ loadBatch, clock: this.clock, logger: this.logger.child({ part: 'server-vad' }), onBatch: hooks.vadBatch && ((frames, ms) => hooks.vadBatch?.(frames, ms)) }) : null
    this.ttsPool = new EspeakProcessPool(this.clock)
    const stt = opts.onDeviceStt ?? null
    this.onDeviceStt = stt === null || stt instanceof OnDeviceStt ? stt : new OnDeviceStt({ ...stt, logger: this.logger.child({ part: 'on-device-stt' }), onResult: withSttHook(stt.onResult, hooks) })
    // Look at the models folder once now, so the first session's labels and notices know what is installed.
    void this.onDeviceStt?.refresh()
  }

  /** Open sessions. */
  get size(): number {
    return this.sessions.size
  }

  /** A voice session for a media session (the `voice` pipeline); it leaves the registry when it closes. */
  startSession(ctx: PipelineContext, opts?: VoiceSessionOptions): VoiceSession {
    if (this.closed) throw new Error('the voice runtime is closed')
    if (this.sessions.has(ctx.sessionId)) throw new Error(`session ${ctx.sessionId} already runs a voice pipeline`)
    const session = new VoiceSession(ctx, this, opts)
    this.sessions.set(ctx.sessionId, session)
    session.on('close', () => {
      if (this.sessions.get(ctx.sessionId) === session) this.sessions.delete(ctx.sessionId)
    })
    this.hooks.sessionStarted?.(session)
    return session
  }

  /** The voice pipeline of a session, if it runs one. */
  session(sessionId: string): VoiceSession | undefined {
    return this.sessions.get(sessionId)
  }

  /** Close what is left open (sessions close with their media sessions first), stop the ticker, end the VAD and
   *  STT threads and the warm processes. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    for (const session of [...this.sessions.values()]) session.close()
    this.ticker.close()
    this.ttsPool.close()
    await Promise.all([this.vad?.close(), this.onDeviceStt?.close()])
  }
}

/** The caller's own onResult (benches) and the runtime's sttResult hook, both. */
function withSttHook(own: OnDeviceSttOptions['onResult'], hooks: VoiceRuntimeHooks): OnDeviceSttOptions['onResult'] {
  if (!hooks.sttResult) return own
  return (result) => {
    own?.(result)
    hooks.sttResult?.(result)
  }
}

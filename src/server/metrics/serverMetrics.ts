import { collectDefaultMetrics, Counter, Gauge, Histogram, type Registry } from 'prom-client'
import { silentLogger, type Logger } from '../../shared/logging/logger'
import type { TurnTrace } from '../../shared/latency/trace'
import type { AudioFrame } from '../audio/audioReceiver'
import type { UplinkTotals } from '../audio/uplink'
import type { FallbackSwitch } from '../providers/fallbackChain'
import type { OnDeviceResult } from '../providers/onDeviceStt'
import type { SessionTap } from '../sessions/session'
import type { VoiceRuntimeHooks } from '../voice/voiceRuntime'
import { serverTurnStages, turnStageNames, type TurnStageName } from './turnStages'

/** What the metrics need of a media session (sessions/session.ts; fakes in tests). */
export interface MeteredSession {
  readonly uplinkTotals: UplinkTotals
  readonly taps: Set<SessionTap>
  onClose(listener: () => void): void
}

/** What the metrics need of the session registry (sessions/sessionManager.ts). */
export interface MeteredSessions {
  readonly size: number
  onSessionCreated(listener: (session: MeteredSession) => void): () => void
}

/** What the metrics need of a voice session (voice/voiceSession.ts): its typed events. */
export interface MeteredVoiceSession {
  on(event: 'turnTrace', listener: (trace: TurnTrace) => void): () => void
  on(event: 'failover', listener: (s: FallbackSwitch) => void): () => void
  on(event: 'close', listener: () => void): () => void
}

export interface ServerMetricsOptions {
  /** The registry to fill: one per backend (never prom-client's global one), so two backends in a process stay apart. */
  registry: Registry
  /** Also collect Node's default process metrics (CPU, memory, event loop lag, GC) into it. Default true. */
  defaultMetrics?: boolean
  /** Metric name prefix. Default 'voice_assistant_'. */
  prefix?: string
  logger?: Logger
  /** performance.now() by default (the uplink stamps frames with it). */
  now?: () => number
}

/** Turn stage buckets, seconds: 50 ms steps where the 800 ms budget is decided, then out to a slow cloud turn. */
const STAGE_BUCKETS = [0.025, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1, 1.5, 2, 3, 5, 10]
/** STT buckets, seconds: a 3 s utterance costs Moonshine Tiny ≈ 150 ms here (bench stt); the queue holds 8. */
const STT_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1, 2, 5]
/** One Silero batch: ≈1 ms per frame on this 2-core machine; the tick is 32 ms. */
const VAD_TIME_BUCKETS = [0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128]
const VAD_SIZE_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256]

/**
 * Prometheus metrics of one backend, for the operator of `npm run server -- --metrics-port <n>`. It observes what the
 * backend already reports instead of counting on the hot path:
 *  - sessions: the session manager's size at scrape time; new sessions through onSessionCreated;
 *  - uplink packets in / lost and decode time: each session's Uplink counters, read at scrape time (a closed
 *    session's last counts are folded into a total when it closes, so the counters never go back);
 *  - decode lag: a session tap sees every decoded frame; it keeps only the largest lag (packet arrival → frame handed
 *    to the pipeline) since the last scrape: one subtraction and one comparison per 20 ms frame, nothing allocated;
 *  - server VAD batch size and time, on-device STT queue wait and compute: VoiceRuntime's hooks (this class is one);
 *  - turn stages (LiveKit's names, seconds) and provider failovers: each voice session's turnTrace / failover events.
 * Everything is registered in the registry passed in.
 */
export class ServerMetrics implements VoiceRuntimeHooks {
  private readonly logger: Logger
  private readonly now: () => number
  private readonly stopListening: Array<() => void> = []
  /** Open media sessions (their counts are read at each scrape). */
  private readonly open = new Set<MeteredSession>()
  /** What closed sessions counted. */
  private readonly closedTotals: UplinkTotals = { packets: 0, lost: 0, decodeMs: 0 }
  private lagMaxMs = 0
  private sessionSource: MeteredSessions | null = null
  /** Turns already counted, per voice session (a turn's trace is sent again at every new mark; its end counts once). */
  private readonly finishedTurnIds = new Map<MeteredVoiceSession, Set<string>>()
  private readonly frameTap: SessionTap
  private readonly sessionsCreated: Counter
  private readonly vadBatchSize: Histogram
  private readonly vadBatchTime: Histogram
  private readonly sttQueueWait: Histogram
  private readonly sttCompute: Histogram
  private readonly stages: Record<TurnStageName, Histogram>
  private readonly turns: Counter<'status'>
  private readonly failovers: Counter<'stage' | 'outcome'>

  constructor(opts: ServerMetricsOptions) {
    const registers = [opts.registry]
    const p = opts.prefix ?? 'voice_assistant_'
    this.logger = opts.logger ?? silentLogger
    this.now = opts.now ?? (() => performance.now())
    if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: opts.registry, prefix: p })
    // Scrape-time readers: they run only when Prometheus asks.
    const sessionsOpen = (): number => this.sessionSource?.size ?? 0
    new Gauge({ name: `${p}sessions_open`, help: 'Media sessions open now (one per connected conversation).', registers, collect() { this.set(sessionsOpen()) } })
    this.sessionsCreated = new Counter({ name: `${p}sessions_created_total`, help: 'Media sessions created.', registers })
    const totals = (): UplinkTotals => this.uplinkTotals()
    new Counter({ name: `${p}uplink_packets_total`, help: 'Mic RTP packets received from clients.', registers, collect() { setCounter(this, totals().packets) } })
    new Counter({ name: `${p}uplink_packets_lost_total`, help: 'Mic RTP packets never received (sequence gaps the reorder buffer gave up on).', registers, collect() { setCounter(this, totals().lost) } })
    new Counter({ name: `${p}uplink_decode_seconds_total`, help: 'Time spent decoding mic Opus packets.', registers, collect() { setCounter(this, totals().decodeMs / 1000) } })
    const takeLag = (): number => {
      const max = this.lagMaxMs
      this.lagMaxMs = 0
      return max / 1000
    }
    new Gauge({
      name: `${p}uplink_decode_lag_seconds`,
      help: 'Largest delay since the previous scrape from a mic packet arriving to its decoded frame reaching the session pipeline (reordering and outage backfill included).',
      registers,
      collect() { this.set(takeLag()) }
    })
    this.frameTap = { onFrame: (frame: AudioFrame) => this.frameDecoded(frame) }
    this.vadBatchSize = new Histogram({ name: `${p}server_vad_batch_frames`, help: 'Frames (one per voice session with audio ready) in one server VAD inference.', buckets: VAD_SIZE_BUCKETS, registers })
    this.vadBatchTime = new Histogram({ name: `${p}server_vad_batch_seconds`, help: 'Time of one batched server VAD inference.', buckets: VAD_TIME_BUCKETS, registers })
    this.sttQueueWait = new Histogram({ name: `${p}stt_queue_wait_seconds`, help: 'On-device STT: time an utterance waited behind others for the recognizer thread.', buckets: STT_BUCKETS, registers })
    this.sttCompute = new Histogram({ name: `${p}stt_compute_seconds`, help: 'On-device STT: time the recognizer took for one utterance (model load included when it was not loaded).', buckets: STT_BUCKETS, registers })
    const stageHelp: Record<TurnStageName, string> = {
      end_of_utterance_delay: 'End of speech (as it arrived at the backend) to the turn being committed.',
      transcription_delay: 'End of speech (as it arrived) to the final transcript (0 when speculative STT had it first).',
      llm_ttft: 'LLM request (transcript and commit both there) to its first token.',
      tts_ttfb: 'First sentence handed to TTS to its first audio.',
      e2e_latency: "End of speech (as it arrived) to the reply's first frame leaving the backend."
    }
    const stages = {} as Record<TurnStageName, Histogram>
    for (const name of turnStageNames) stages[name] = new Histogram({ name: `${p}${name}_seconds`, help: `${stageHelp[name]} Per finished turn (LiveKit's ${name}).`, buckets: STAGE_BUCKETS, registers })
    this.stages = stages
    this.turns = new Counter({ name: `${p}turns_total`, help: 'Voice turns that ended, by how they ended (done, cancelled by barge-in, failed).', labelNames: ['status'], registers })
    this.failovers = new Counter({ name: `${p}provider_failovers_total`, help: 'A provider failed and its stage moved to the next one (outcome "next") or had none left ("exhausted").', labelNames: ['stage', 'outcome'], registers })
  }

  /** Watch a backend's media sessions (startBackend calls this with its SessionManager). Returns the unsubscribe. */
  observeSessions(sessions: MeteredSessions): () => void {
    this.sessionSource = sessions
    const stop = sessions.onSessionCreated((session) => this.sessionCreated(session))
    this.stopListening.push(stop)
    return stop
  }

  /** VoiceRuntimeHooks: a voice session started; count its finished turns and failovers. */
  sessionStarted(session: MeteredVoiceSession): void {
    const stops = [session.on('turnTrace', (trace) => this.turnTrace(session, trace)), session.on('failover', (s) => this.failover(s))]
    stops.push(
      session.on('close', () => {
        for (const stop of stops) stop()
        this.finishedTurnIds.delete(session)
      })
    )
  }

  /** VoiceRuntimeHooks: one server VAD inference. */
  vadBatch(frames: number, ms: number): void {
    this.vadBatchSize.observe(frames)
    this.vadBatchTime.observe(ms / 1000)
  }

  /** VoiceRuntimeHooks: one on-device transcription. */
  sttResult(result: Pick<OnDeviceResult, 'queueMs' | 'computeMs'>): void {
    this.sttQueueWait.observe(Math.max(0, result.queueMs) / 1000)
    this.sttCompute.observe(Math.max(0, result.computeMs) / 1000)
  }

  /** Stop observing (the registry keeps its metrics; a scrape after this reads the last totals). */
  close(): void {
    for (const stop of this.stopListening.splice(0)) stop()
    for (const session of this.open) this.fold(session)
    this.open.clear()
    this.sessionSource = null
  }

  private sessionCreated(session: MeteredSession): void {
    this.sessionsCreated.inc()
    this.open.add(session)
    session.taps.add(this.frameTap)
    session.onClose(() => {
      if (this.open.delete(session)) this.fold(session)
    })
  }

  /** Per decoded frame (50/s per session): keep only the largest lag. No allocation. */
  private frameDecoded(frame: AudioFrame): void {
    const lag = this.now() - frame.receivedAt
    if (lag > this.lagMaxMs) this.lagMaxMs = lag
  }

  private fold(session: MeteredSession): void {
    const t = session.uplinkTotals
    this.closedTotals.packets += t.packets
    this.closedTotals.lost += t.lost
    this.closedTotals.decodeMs += t.decodeMs
  }

  private uplinkTotals(): UplinkTotals {
    const sum = { ...this.closedTotals }
    for (const session of this.open) {
      const t = session.uplinkTotals
      sum.packets += t.packets
      sum.lost += t.lost
      sum.decodeMs += t.decodeMs
    }
    return sum
  }

  private turnTrace(session: MeteredVoiceSession, trace: TurnTrace): void {
    if (trace.status === 'running') return
    let finished = this.finishedTurnIds.get(session)
    if (!finished) this.finishedTurnIds.set(session, (finished = new Set()))
    if (finished.has(trace.turnId)) return
    finished.add(trace.turnId)
    // A long session's turn ids: keep the recent ones (a final trace is re-sent at most right after it ends).
    if (finished.size > 64) finished.delete(finished.values().next().value!)
    this.turns.inc({ status: trace.status })
    const values = serverTurnStages(trace)
    for (const name of turnStageNames) {
      const v = values[name]
      if (v !== null) this.stages[name].observe(v)
    }
    this.logger.debug('turn metrics', { turnId: trace.turnId, status: trace.status, ...values })
  }

  private failover(s: FallbackSwitch): void {
    this.failovers.inc({ stage: s.stage, outcome: s.to ? 'next' : 'exhausted' })
  }
}

/** A counter read at scrape time from a running total that only grows: set it to that total. */
function setCounter(counter: Counter, total: number): void {
  counter.reset()
  counter.inc(total)
}

import type { NoticeCode } from '../../shared/contract/notice'
import type { VoiceConfig } from '../../shared/contract/signaling'
import type { Clock } from '../../shared/clock'
import type { TurnTrace } from '../../shared/latency/trace'
import { turnTraceSchema } from '../../shared/latency/trace'
import { TypedEmitter } from '../../shared/typedEmitter'
import { buildVoiceChains, type ChainTimeouts, type VoiceChains } from '../providers/fromConfig'
import type { FallbackSwitch } from '../providers/fallbackChain'
import type { EspeakProcessPool } from '../providers/espeakTts'
import { noSpeechToTextMessage, type OnDeviceStt } from '../providers/onDeviceStt'
import { ReplyStream } from './replyStream'
import type { SessionTicker } from './sessionTicker'
import { SpeculativeTranscription } from './speculativeTranscription'
import { TurnDetector, type TurnDetectorSettings, type TurnSignal } from './turnDetector'
import { TurnRunner } from './turnRunner'
import { UtteranceAudio } from './utteranceAudio'
import { VoiceProviders, type ChainHooks, type ChainsFactory } from './voiceProviders'
import { SERVER_BACKSTOP_ENDPOINTING } from '../../shared/voice/endpointer'
import { SERVER_VAD_RATE, type BatchedServerVad, type ServerVadStream } from '../vad/serverVad'
import { decimate48to16 } from '../../node/audio/resample'
import type { ClientEvent, PipelineContext, SessionPipeline } from '../pipelines/types'
import type { Logger } from '../../shared/logging/logger'

/**
 * `voice`: the voice loop on a session. Uplink audio → (server VAD backstop, batched) + the app's VAD events →
 * TurnDetector → speculative STT on the early speech_end, committed on end_of_utterance → VoiceLoop (STT → LLM
 * stream → sentences → TTS) → ReplyPlayer → the paced Opus reply. Barge-in pauses the reply, then cancels it or
 * resumes it (false interruption). Every turn's trace and every provider failover goes to the session's observers
 * (the app's main process, see observeSession), which forward them to the overlay and the notices.
 *
 * The parts, one job each: UtteranceAudio (the uplink STT reads, with pre-roll), SpeculativeTranscription,
 * TurnRunner (applies the TurnDetector's actions), ReplyStream (the reply and the steady filler around it),
 * VoiceProviders (failover chains + conversation). What every session of the process shares comes in as
 * VoiceSessionShared (the backend's VoiceRuntime): the clock, the 20 ms ticker, the batched server VAD, the TTS pool.
 */

/** What a voice session uses that is shared by every session of the process (VoiceRuntime). */
export interface VoiceSessionShared {
  readonly clock: Clock
  readonly ticker: SessionTicker
  /** The batched server VAD; null = no backstop. */
  readonly vad: BatchedServerVad | null
  readonly ttsPool: EspeakProcessPool
  /** The process's on-device STT, last in every session's STT chain; null = none. */
  readonly onDeviceStt: OnDeviceStt | null
  readonly logger: Logger
}

export interface VoiceSessionOptions {
  detector?: TurnDetectorSettings
  timeouts?: Partial<ChainTimeouts>
  /** Initial providers (until an observer configures them): the on-device STT (if a model is installed), embedded
   *  LLM + espeak-ng. */
  config?: VoiceConfig
  /** Builds the failover chains (default: buildVoiceChains over the shared TTS pool); tests pass fake providers. */
  chains?: ChainsFactory
  /** Wall clock (ms since epoch) for trace marks; Date.now by default. */
  now?: () => number
}

export interface VoiceNotice {
  level: 'info' | 'warning' | 'error'
  message: string
  /** What kind of notice it is, for the window to recognise without reading the message (shared/contract/notice.ts). */
  code?: NoticeCode
}

/** What a voice session tells its observers (observeSession forwards the first two to the app). */
export type VoiceSessionEvents = {
  /** One turn's trace so far (validated, bounded). */
  turnTrace: TurnTrace
  /** Something the user should see (provider failover, no STT configured, a failed turn, a timer). */
  notice: VoiceNotice
  /** A provider failed and its stage moved on to the next one (`to`), or ran out (`to` null): operator metrics. */
  failover: FallbackSwitch
  /** The session closed. */
  close: undefined
}

export const EMPTY_VOICE_CONFIG: VoiceConfig = { stt: [], llm: [], tts: [] }

export class VoiceSession implements SessionPipeline {
  readonly inputSampleRate = SERVER_VAD_RATE
  private readonly events = new TypedEmitter<VoiceSessionEvents>()
  private readonly logger: Logger
  private readonly providers: VoiceProviders
  private readonly detector: TurnDetector
  private readonly audio: UtteranceAudio
  private readonly speculation: SpeculativeTranscription
  private readonly reply: ReplyStream
  private readonly runner: TurnRunner
  private readonly vadStream: ServerVadStream | null
  private readonly stopTicking: () => void
  /** 48 → 16 kHz decimation remainder (0..2 samples carried between frames) and its output, reused per frame. */
  private readonly decimationCarry: number[] = []
  private readonly decimated = new Int16Array(1024)
  private closed = false

  constructor(
    private readonly ctx: PipelineContext,
    private readonly shared: VoiceSessionShared,
    opts: VoiceSessionOptions = {}
  ) {
    this.logger = shared.logger.child({ sessionId: ctx.sessionId })
    const clock = shared.clock
    const monotonic = (): number => clock.now()
    const now = opts.now ?? Date.now
    const hooks: ChainHooks = {
      onSwitch: (s) => {
        if (!this.closed) this.events.emit('failover', s)
        this.notice(s.to ? 'warning' : 'error', s.message)
      },
      onTimerDone: (text) => this.notice('info', text)
    }
    const build: ChainsFactory =
      opts.chains ?? ((config, h) => buildVoiceChains(config, { ...h, timeouts: opts.timeouts, espeakPool: shared.ttsPool, onDeviceStt: shared.onDeviceStt }))
    this.providers = new VoiceProviders((config) => build(config, hooks), opts.config ?? EMPTY_VOICE_CONFIG, { now, monotonic })
    // The embedded TTS's spare processes (shared by every session of this process) start now, while nobody speaks:
    // each start is a fork that stalls this thread for tens of ms once the backend is large, which must not land on
    // the first utterances. warmUp again at each utterance start tops up what replies used.
    this.providers.warmUp()
    const detector = (this.detector = new TurnDetector(opts.detector))
    this.audio = new UtteranceAudio(() => detector.earlyCommitted !== null)
    this.reply = new ReplyStream(ctx, clock, {
      onPlaying: (playing, turnId) => {
        this.signal({ type: 'replyPlaying', playing, at: monotonic() })
        if (!playing && turnId) ctx.notify('replyEnd', { turnId })
      },
      onFirstFrame: (turnId) => ctx.notify('replyStart', { turnId })
    })
    this.speculation = new SpeculativeTranscription({
      now: monotonic,
      onTranscript: (utterance, text) => this.signal({ type: 'interruptionTranscript', utterance, text, at: monotonic() }),
      logger: this.logger
    })
    this.runner = new TurnRunner({
      sessionId: ctx.sessionId,
      detector,
      audio: this.audio,
      speculation: this.speculation,
      reply: this.reply,
      providers: this.providers,
      notify: (type, detail) => ctx.notify(type, detail),
      onTrace: (trace) => this.emitTrace(trace),
      notice: (level, message, code) => this.notice(level, message, code),
      logger: this.logger,
      monotonic,
      now
    })
    if (opts.config) this.configureTurnTaking(opts.config)
    this.vadStream = shared.vad ? this.openServerVad(shared.vad) : null
    this.stopTicking = shared.ticker.add(() => {
      try {
        this.signal({ type: 'tick', at: monotonic() })
      } catch (error) {
        this.logger.error('turn detector tick failed', { error })
      }
    })
  }

  get sessionId(): string {
    return this.ctx.sessionId
  }

  /** The providers' labels per stage, in chain order. */
  get labels(): VoiceChains['labels'] {
    return this.providers.labels
  }

  /** Listen to the session (observers: see VoiceSessionEvents); returns the unsubscribe. */
  on<E extends keyof VoiceSessionEvents>(event: E, listener: (payload: VoiceSessionEvents[E]) => void): () => void {
    return this.events.on(event, listener)
  }

  /** Replace the providers (the app's settings and keys); returns the chains' labels. */
  configure(config: VoiceConfig): VoiceChains['labels'] {
    const labels = this.providers.configure(config, this.runner.runningTurn?.done ?? null)
    this.configureTurnTaking(config)
    if (config.stt.length === 0) {
      // Nothing configured: the on-device engine is the STT when a model is installed; when none is, say how to get one.
      void this.providers.refresh().then(() => {
        if (this.providers.labels.stt.length === 0) this.notice('warning', noSpeechToTextMessage(this.shared.onDeviceStt?.modelsDir ?? null), 'no_speech_to_text')
      })
    }
    return labels
  }

  /** A typed turn (the window's text box): its text skips STT and goes through LLM → TTS. Returns the turn id. */
  typedTurn(text: string, turnId?: string): string {
    if (this.closed) throw new Error('the voice session is closed')
    const trimmed = text.trim()
    if (!trimmed) throw new Error('a typed turn needs some text')
    return this.runner.typedTurn(trimmed, turnId)
  }

  onFrame(frame: Parameters<SessionPipeline['onFrame']>[0]): void {
    if (this.closed) return
    // The session decodes straight to 16 kHz; 48 kHz frames (a session that could not) are decimated here. The STT
    // history and the server VAD both copy what they keep.
    const samples16k = frame.sampleRate === SERVER_VAD_RATE ? frame.pcm : decimate48to16(frame.pcm, this.decimationCarry, this.decimated)
    this.audio.append(samples16k)
    this.vadStream?.push(samples16k, performance.timeOrigin + frame.receivedAt)
  }

  onClientEvent(event: ClientEvent): void {
    if (this.closed) return
    const signal = clientSignal(event, this.shared.clock.now())
    if (signal) this.signal(signal)
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    this.stopTicking()
    this.reply.close()
    this.speculation.abort()
    this.runner.close()
    this.vadStream?.close()
    this.providers.close()
    this.events.emit('close', undefined)
  }

  private configureTurnTaking(config: VoiceConfig): void {
    const turn = config.turn
    if (!turn) return
    // The turn policy's waits (the reply-after-pause setting is its wait when the transcript reads neither finished nor
    // unfinished): what the app did not send (an app from before them) keeps the policy's defaults.
    const policy = {
      uncertainWaitMs: turn.replyAfterPauseMs,
      ...(turn.replyAfterCompleteMs !== undefined ? { completeWaitMs: turn.replyAfterCompleteMs } : {}),
      ...(turn.unfinishedPauseMs !== undefined ? { unfinishedWaitMs: turn.unfinishedPauseMs } : {})
    }
    this.detector.configure({ policy, ...(turn.bargeInMinWords !== undefined ? { minInterruptionWords: turn.bargeInMinWords } : {}) })
  }

  /** The server VAD backstop: its events and per-frame probabilities are turn signals on the server's timeline. */
  private openServerVad(vad: BatchedServerVad): ServerVadStream {
    const now = (): number => this.shared.clock.now()
    return vad.open(
      SERVER_BACKSTOP_ENDPOINTING,
      ({ event, arrivalAt }) => {
        const at = now()
        if (event.type === 'speech_start') this.signal({ type: 'speechStart', source: 'server', at })
        else if (event.type === 'speech_end') this.runner.serverSpeechEnd(arrivalAt(event.endMs), at)
        else if (event.type === 'speech_resume') this.signal({ type: 'speechResume', source: 'server', at })
        else this.signal({ type: 'endOfUtterance', source: 'server', at })
      },
      (p) => this.signal({ type: 'probability', p, at: now() })
    )
  }

  private signal(s: TurnSignal): void {
    this.runner.signal(s)
  }

  /** Observers hear nothing after close (a cancelled turn still ends with a trace). */
  private notice(level: VoiceNotice['level'], message: string, code?: NoticeCode): void {
    this.logger[level === 'warning' ? 'warn' : level]('voice notice', { notice: message.slice(0, 1000), ...(code ? { code } : {}) })
    if (!this.closed) this.events.emit('notice', { level, message: message.slice(0, 1000), ...(code ? { code } : {}) })
  }

  private emitTrace(trace: TurnTrace): void {
    if (this.closed) return
    const clean = { ...trace, notes: trace.notes?.slice(0, 20).map((n) => n.slice(0, 500)), transcript: trace.transcript?.slice(0, 4000), reply: trace.reply?.slice(0, 8000) }
    const parsed = turnTraceSchema.safeParse(clean)
    if (parsed.success) this.events.emit('turnTrace', parsed.data)
    else this.logger.warn('turn trace not sent', { turnId: trace.turnId, issue: parsed.error.issues[0]?.message })
  }
}

/** The turn detector's signal for a client event (`at`: monotonic ms), or null for events it does not take. */
export function clientSignal(event: ClientEvent, at: number): TurnSignal | null {
  const turnId = event.turnId
  switch (event.type) {
    case 'speechStart':
      return { type: 'speechStart', source: 'client', at, turnId }
    case 'speechEnd':
      return { type: 'speechEnd', source: 'client', at }
    case 'speechResume':
      return { type: 'speechResume', source: 'client', at }
    case 'endOfUtterance':
      return { type: 'endOfUtterance', source: 'client', at, turnId, reason: event.reason }
    case 'vadActive':
      return { type: 'clientVadActive', at }
    case 'pttDown':
    case 'pttUp':
      // Push-to-talk edges: the app's VAD commits the utterance when the key is released (flush).
      return null
  }
}

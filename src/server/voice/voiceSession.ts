import { TURN_TRACE_NOTIFICATION, VOICE_NOTICE_NOTIFICATION, type VoiceConfig } from '../../shared/contract/signaling'
import type { TurnMark, TurnTrace } from '../../shared/latency/trace'
import { DEFAULT_ENDPOINTER_CONFIG } from '../../shared/voice/endpointer'
import { turnTraceSchema } from '../../shared/latency/trace'
import { buildVoiceChains, type ChainTimeouts, type VoiceChains } from '../providers/fromConfig'
import type { FallbackSwitch } from '../providers/fallbackChain'
import { SampleHistory } from '../audio/sampleHistory'
import { ReplyPlayer } from './replyPlayer'
import { TurnDetector, type TurnAction, type TurnDetectorConfig, type TurnSignal } from './turnDetector'
import { REPLY_FRAME_SAMPLES, VoiceLoop, type Turn } from './voiceLoop'
import { sharedServerVad } from '../vad/workerFrameBatch'
import { SERVER_VAD_RATE, type BatchedServerVad, type ServerVadStream } from '../vad/serverVad'
import { decimate48to16 } from '../../node/audio/resample'
import type { ClientEvent, PipelineContext, SessionPipeline } from '../pipelines/types'

/**
 * `voice`: the voice loop on a session. Uplink audio → (server VAD backstop, batched) + the app's VAD events →
 * TurnDetector → speculative STT on the early speech_end, committed on end_of_utterance → VoiceLoop (STT → LLM
 * stream → sentences → TTS) → ReplyPlayer → the paced Opus reply. Barge-in pauses the reply, then cancels it or
 * resumes it (false interruption). Every turn's trace and every provider failover goes to the session's observers
 * (the app's main process, see observeSession), which forward them to the overlay and the notices.
 */

export interface VoicePipelineOptions {
  /** The batched server VAD; null = no backstop (tests). Default: the process-wide Silero batch. */
  vad?: BatchedServerVad | null
  detector?: Partial<TurnDetectorConfig>
  timeouts?: Partial<ChainTimeouts>
  /** Initial providers (until an observer configures them): embedded LLM + espeak-ng, no STT. */
  config?: VoiceConfig
  log?: (line: string) => void
  now?: () => number
  /** Monotonic clock (ms) for turn timing and the steady reply window; performance.now by default. */
  monotonic?: () => number
}

export type ObserverFn = (notification: string, data: unknown) => void

export interface VoiceSessionHandle {
  addObserver(fn: ObserverFn): () => void
  /** Replace the providers; returns the chains' labels. */
  configure(config: VoiceConfig): VoiceChains['labels']
  readonly labels: VoiceChains['labels']
}

const sessions = new Map<string, VoiceSessionHandle>()

/** The voice pipeline of a session, if it runs one. */
export function voiceSessionHandle(sessionId: string): VoiceSessionHandle | undefined {
  return sessions.get(sessionId)
}

export const EMPTY_VOICE_CONFIG: VoiceConfig = { stt: [], llm: [], tts: [] }
const PRE_ROLL_MS = 400
const MAX_BUFFER_SECONDS = 30
const TICK_MS = 20
/** 200 ms queued in the paced sender: rides out event-loop stalls; a pause takes the unsent frames back at once. */
const REPLY_LOOKAHEAD_FRAMES = 10
/** 80 ms ready before a talkspurt starts (see ReplyPlayer): no lone first frame followed by a gap. */
const REPLY_PREBUFFER_FRAMES = 4
/**
 * The app silences the reply as soon as it hears of a pause (voiceTurns.ts) rather than letting the frames in flight
 * and in its jitter buffer play out; a resume (false interruption) replays those: 160 ms covers the jitter buffer
 * (60–130 ms measured) and the path.
 */
const REPLY_REWIND_ON_PAUSE_FRAMES = 8
/**
 * The reply stream is kept steady (silence when there is nothing to say) from the user's speech until shortly after
 * the reply: the client's jitter buffer then sees an even 20 ms stream, never a talkspurt start or a gap between
 * sentences, and keeps its delay at its floor (a reply starting on an idle stream after bursts met a target delay of
 * up to ~1 s here). Idle sessions send nothing.
 */
const STEADY_AFTER_SPEECH_MS = 6000
const STEADY_AFTER_REPLY_MS = 1500
const SILENCE = new Int16Array(REPLY_FRAME_SAMPLES)

/**
 * One 20 ms timer for the turn detectors of every voice session of this process (hundreds of sessions would
 * otherwise run hundreds of timers). Each listener catches and logs its own failures.
 */
const tickListeners = new Set<() => void>()
let sharedTicker: ReturnType<typeof setInterval> | null = null
function everyTick(fn: () => void): () => void {
  tickListeners.add(fn)
  if (!sharedTicker) {
    sharedTicker = setInterval(() => {
      for (const listener of tickListeners) listener()
    }, TICK_MS)
    sharedTicker.unref?.()
  }
  return () => {
    tickListeners.delete(fn)
    if (tickListeners.size === 0 && sharedTicker) {
      clearInterval(sharedTicker)
      sharedTicker = null
    }
  }
}

export function createVoicePipeline(ctx: PipelineContext, opts: VoicePipelineOptions = {}): SessionPipeline {
  const log = opts.log ?? (() => undefined)
  const now = opts.now ?? Date.now
  const observers = new Set<ObserverFn>()
  const tell: ObserverFn = (n, d) => {
    for (const o of observers) {
      try {
        o(n, d)
      } catch (error) {
        log(`voice observer failed: ${(error as Error).message}`)
      }
    }
  }
  const notice = (level: 'info' | 'warning' | 'error', message: string): void => tell(VOICE_NOTICE_NOTIFICATION, { level, message: message.slice(0, 1000) })
  const onSwitch = (s: FallbackSwitch): void => notice(s.to ? 'warning' : 'error', s.message)

  let chains = buildVoiceChains(opts.config ?? EMPTY_VOICE_CONFIG, { onSwitch, timeouts: opts.timeouts, onTimerDone: (text) => notice('info', text) })
  let loop = new VoiceLoop({ stt: chains.stt, llm: chains.llm, tts: chains.tts, systemPrompt: chains.systemPrompt })
  // The embedded TTS's spare processes (shared by every session of this process) start now, while nobody speaks:
  // each start is a fork that stalls this thread for tens of ms once the backend is large, which must not land on
  // the first utterances. warmUp again at each utterance start tops up what replies used.
  chains.warmUp()
  const detector = new TurnDetector(opts.detector)
  const configureTurnTaking = (config: VoiceConfig): void => {
    // The app's VAD reports speech_end after speechEndSilenceMs of pause; the early reply waits for the rest.
    if (config.turn) detector.configure({ earlyReplyAfterSpeechEndMs: Math.max(0, config.turn.replyAfterPauseMs - DEFAULT_ENDPOINTER_CONFIG.speechEndSilenceMs) })
  }
  if (opts.config) configureTurnTaking(opts.config)
  const mono = opts.monotonic ?? ((): number => performance.now())

  // --- uplink audio, 16 kHz, for STT: the open utterance (up to MAX_BUFFER_SECONDS), else a pre-roll
  /** 48 → 16 kHz decimation remainder (0..2 samples carried between frames) and its output, reused per frame. */
  const decimationCarry: number[] = []
  const decimated = new Int16Array(1024)
  const history = new SampleHistory(MAX_BUFFER_SECONDS * SERVER_VAD_RATE, 2 * SERVER_VAD_RATE)
  const preRollSamples = (PRE_ROLL_MS * SERVER_VAD_RATE) / 1000
  let utteranceStart: number | null = null
  /** The oldest audio still needed: the open utterance, an early reply that may be revoked, or the pre-roll. */
  const keepFrom = (): number => Math.min(utteranceStart ?? Infinity, earlyCommit?.start ?? Infinity, history.total - preRollSamples)

  // --- reply
  let currentTurn: Turn | null = null
  /** When the latest turn was committed (backend wall clock). */
  let committedAt: number | null = null
  let turnCount = 0
  const player = new ReplyPlayer(
    { reply: (pcm) => ctx.reply(pcm), flushReply: () => ctx.flushReply(), replyQueued: () => ctx.replyQueued?.() ?? 0 },
    {
      lookaheadFrames: REPLY_LOOKAHEAD_FRAMES,
      prebufferFrames: REPLY_PREBUFFER_FRAMES,
      rewindOnPauseFrames: REPLY_REWIND_ON_PAUSE_FRAMES,
      onPlaying: (playing, turnId) => {
        if (!playing) keepSteady(STEADY_AFTER_REPLY_MS)
        signal({ type: 'replyPlaying', playing, at: mono() })
        if (!playing && turnId) ctx.notify('replyEnd', { turnId })
      },
      onFirstFrame: (turnId) => ctx.notify('replyStart', { turnId })
    }
  )

  // --- a steady reply stream around turns (see STEADY_AFTER_SPEECH_MS)
  let steadyUntil = 0
  const keepSteady = (ms: number): void => {
    if (!ctx.setReplyFiller) return
    const wasSteady = player.playing || mono() < steadyUntil
    steadyUntil = Math.max(steadyUntil, mono() + ms)
    // Start the stream; from then on the sender asks the filler whenever it has nothing queued.
    if (!wasSteady && (ctx.replyQueued?.() ?? 0) === 0) ctx.reply(SILENCE)
  }
  ctx.setReplyFiller?.(() => (player.playing || mono() < steadyUntil ? SILENCE : null))

  // --- speculative STT
  interface Speculation {
    utterance: number
    abort: AbortController
    result: Promise<{ text: string; provider: string; doneAt: number } | null>
  }
  let speculation: Speculation | null = null
  let openUtterance: number | null = null
  /** The turn committed early (before end_of_utterance) and still revocable: what to restore if it is revoked. */
  let earlyCommit: { utterance: number; turnId: string; start: number | null; turn: Turn | null } | null = null
  let lastServerSpeechEndArrival: number | null = null

  const speculate = (utterance: number): void => {
    speculation?.abort.abort()
    if (utteranceStart === null) return
    const abort = new AbortController()
    const samples = history.from(utteranceStart)
    const result = chains.stt
      .once((p, s) => p.transcribe({ samples, sampleRate: SERVER_VAD_RATE }, { signal: s }), abort.signal)
      .then(
        ({ value, provider }) => {
          const r = { text: value, provider: provider.label, doneAt: mono() }
          if (!abort.signal.aborted) signal({ type: 'interruptionTranscript', utterance, text: value, at: mono() })
          return r
        },
        (error: unknown) => {
          if (!abort.signal.aborted) log(`speculative STT failed: ${(error as Error).message}`)
          return null
        }
      )
    speculation = { utterance, abort, result }
  }

  const commit = async (action: Extract<TurnAction, { type: 'commit' }>): Promise<void> => {
    const eouAt = now()
    committedAt = eouAt
    const eouMono = mono()
    const turnId = action.turnId ?? `${ctx.sessionId.slice(0, 8)}-s${++turnCount}`
    const marks: TurnMark[] = []
    if (lastServerSpeechEndArrival !== null && lastServerSpeechEndArrival <= eouAt && eouAt - lastServerSpeechEndArrival < 5000) {
      marks.push({ name: 'uplink_arrival', at: lastServerSpeechEndArrival, clock: 'backend' })
    }
    marks.push({ name: 'end_of_utterance', at: eouAt, clock: 'backend' })
    const spec = speculation && speculation.utterance === action.utterance ? speculation : null
    speculation = null
    const start = utteranceStart
    utteranceStart = null
    lastServerSpeechEndArrival = null
    if (currentTurn) void currentTurn.cancel()
    player.cancel()
    player.start(turnId)
    earlyCommit = action.early ? { utterance: action.utterance, turnId, start, turn: null } : null
    const notes = [
      action.early
        ? `reply started after a pause, before end_of_utterance (${action.source === 'client' ? "app's VAD" : 'server VAD'}); it is revoked if the user goes on talking`
        : `turn committed by the ${action.source === 'client' ? "app's VAD" : 'server VAD backstop'}`
    ]
    let input: Parameters<VoiceLoop['startTurn']>[0]
    // The utterance's audio now: the history keeps only what open utterances still need, and this one just closed.
    const audio = start === null ? new Int16Array(0) : history.from(start)
    const specResult = spec ? await spec.result : null
    if (player.currentTurn !== turnId) return // superseded while waiting for the speculative transcript
    if (specResult) {
      notes.push('transcript from speculative STT (started at the early speech_end)')
      input = { turnId, transcript: specResult.text, marks, notes, stt: { computeMs: Math.max(0, specResult.doneAt - eouMono), provider: specResult.provider } }
    } else {
      input = { turnId, audio: { samples: audio, sampleRate: SERVER_VAD_RATE }, marks, notes }
    }
    ctx.notify('utteranceEnd', { turnId })
    const turn = loop.startTurn(input, {
      frame: (pcm) => {
        if (currentTurn === turn) player.push(pcm)
      },
      trace: (trace) => forwardTrace(trace)
    })
    currentTurn = turn
    if (earlyCommit?.turnId === turnId) earlyCommit.turn = turn
    void turn.done.then((result) => {
      if (currentTurn === turn) {
        currentTurn = null
        player.end()
      }
      if (result.status === 'failed' && result.error) notice('error', `Turn failed: ${result.error.message}`)
      else if (result.status === 'done' && !result.transcript) log(`turn ${turnId}: no words heard`)
    })
  }

  /** The user went on talking after an early commit: stop and forget that reply, reopen the utterance. */
  const revoke = (utterance: number, reason: string): void => {
    const early = earlyCommit
    if (!early || early.utterance !== utterance) return
    earlyCommit = null
    if (early.turn) {
      if (currentTurn === early.turn) currentTurn = null
      void early.turn.cancel({ forget: true })
    }
    if (player.currentTurn === early.turnId) player.cancel()
    ctx.notify('replyRevoked', { turnId: early.turnId, reason })
    openUtterance = utterance
    utteranceStart = early.start
    log(`early reply ${early.turnId} revoked: ${reason}`)
  }

  const forwardTrace = (trace: TurnTrace): void => {
    const clean = { ...trace, notes: trace.notes?.slice(0, 20).map((n) => n.slice(0, 500)), transcript: trace.transcript?.slice(0, 4000), reply: trace.reply?.slice(0, 8000) }
    const parsed = turnTraceSchema.safeParse(clean)
    if (parsed.success) tell(TURN_TRACE_NOTIFICATION, parsed.data)
    else log(`turn trace not sent: ${parsed.error.issues[0]?.message}`)
  }

  const act = (actions: TurnAction[]): void => {
    for (const a of actions) {
      switch (a.type) {
        case 'utteranceStart':
          keepSteady(STEADY_AFTER_SPEECH_MS)
          openUtterance = a.utterance
          utteranceStart = Math.max(history.oldest, history.total - preRollSamples)
          ctx.notify('utteranceStart', { utterance: a.utterance })
          chains.warmUp()
          break
        case 'speculate':
          speculate(a.utterance)
          break
        case 'dropSpeculation':
          if (speculation?.utterance === a.utterance) {
            speculation.abort.abort()
            speculation = null
          }
          break
        case 'discard':
          if (openUtterance === a.utterance) {
            openUtterance = null
            utteranceStart = null
          }
          log(`utterance ${a.utterance} discarded: ${a.reason}`)
          break
        case 'commit':
          keepSteady(STEADY_AFTER_SPEECH_MS)
          openUtterance = null
          void commit(a).catch((error: unknown) => log(`turn failed to start: ${String(error)}`))
          break
        case 'revokeCommit':
          revoke(a.utterance, a.reason)
          break
        case 'closeEarlyCommit':
          if (earlyCommit?.utterance === a.utterance) earlyCommit = null
          break
        case 'pauseReply':
          player.pause()
          ctx.notify('replyPaused', { turnId: player.currentTurn ?? '' })
          break
        case 'resumeReply':
          player.resume()
          ctx.notify('replyResumed', { turnId: player.currentTurn ?? '', reason: a.reason })
          break
        case 'cancelReply': {
          const turnId = player.currentTurn ?? ''
          if (currentTurn) void currentTurn.cancel()
          currentTurn = null
          player.cancel()
          ctx.notify('replyCancelled', { turnId, reason: a.reason })
          break
        }
      }
    }
  }
  const signal = (s: TurnSignal): void => act(detector.push(s))

  // --- server VAD backstop
  const vad = opts.vad === undefined ? sharedServerVad(log) : opts.vad
  let vadStream: ServerVadStream | null = null
  if (vad) {
    vadStream = vad.open(
      { minSpeechMs: 64, speechEndSilenceMs: 160, minSilenceMs: 640 },
      ({ event, arrivalAt }) => {
        const at = mono()
        if (event.type === 'speech_start') signal({ type: 'speechStart', source: 'server', at })
        else if (event.type === 'speech_end') {
          lastServerSpeechEndArrival = arrivalAt(event.endMs)
          // The turn may already be running (committed early, before this VAD's speech end): its uplink mark now.
          const arrival = lastServerSpeechEndArrival
          if (currentTurn && arrival !== null && committedAt !== null && now() - committedAt < 3000 && arrival <= committedAt) {
            currentTurn.addMark({ name: 'uplink_arrival', at: arrival, clock: 'backend' })
          }
          signal({ type: 'speechEnd', source: 'server', at })
        } else if (event.type === 'speech_resume') signal({ type: 'speechResume', source: 'server', at })
        else signal({ type: 'endOfUtterance', source: 'server', at })
      },
      (p) => signal({ type: 'probability', p, at: mono() })
    )
  }
  const stopTicking = everyTick(() => {
    try {
      signal({ type: 'tick', at: mono() })
    } catch (error) {
      log(`turn detector tick failed: ${(error as Error).message}`)
    }
  })

  const handle: VoiceSessionHandle = {
    addObserver(fn) {
      observers.add(fn)
      return () => observers.delete(fn)
    },
    configure(config) {
      const old = chains
      chains = buildVoiceChains(config, { onSwitch, timeouts: opts.timeouts, onTimerDone: (text) => notice('info', text) })
      loop = new VoiceLoop({ stt: chains.stt, llm: chains.llm, tts: chains.tts, systemPrompt: chains.systemPrompt })
      configureTurnTaking(config)
      if (!currentTurn) old.close()
      else void currentTurn.done.finally(() => old.close())
      if (config.stt.length === 0) notice('warning', 'No speech-to-text provider is configured for the voice loop: set one in Settings → Providers.')
      return chains.labels
    },
    get labels() {
      return chains.labels
    }
  }
  sessions.set(ctx.sessionId, handle)

  return {
    inputSampleRate: SERVER_VAD_RATE,
    onFrame(frame) {
      // The session decodes straight to 16 kHz; 48 kHz frames (a session that could not) are decimated here. The STT
      // history and the server VAD both copy what they keep.
      const samples16k = frame.sampleRate === SERVER_VAD_RATE ? frame.pcm : decimate48to16(frame.pcm, decimationCarry, decimated)
      history.append(samples16k, keepFrom())
      vadStream?.push(samples16k, performance.timeOrigin + frame.receivedAt)
    },
    onClientEvent(event: ClientEvent) {
      const at = mono()
      const turnId = event.turnId
      switch (event.type) {
        case 'speechStart':
          return signal({ type: 'speechStart', source: 'client', at, turnId })
        case 'speechEnd':
          return signal({ type: 'speechEnd', source: 'client', at })
        case 'speechResume':
          return signal({ type: 'speechResume', source: 'client', at })
        case 'endOfUtterance':
          return signal({ type: 'endOfUtterance', source: 'client', at, turnId })
        case 'vadActive':
          return signal({ type: 'clientVadActive', at })
        default:
          // Push-to-talk edges: the app's VAD commits the utterance when the key is released (flush).
          return undefined
      }
    },
    close() {
      stopTicking()
      ctx.setReplyFiller?.(null)
      sessions.delete(ctx.sessionId)
      speculation?.abort.abort()
      if (currentTurn) void currentTurn.cancel()
      player.close()
      vadStream?.close()
      chains.close()
      observers.clear()
    }
  }
}

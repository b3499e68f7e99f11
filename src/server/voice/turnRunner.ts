import type { TurnMark, TurnTrace } from '../../shared/latency/trace'
import type { NoticeCode } from '../../shared/contract/notice'
import { FallbackExhaustedError } from '../providers/fallbackChain'
import type { ProviderError } from '../providers/errors'
import { TYPED_TURN_NOTE } from '../../shared/contract/signaling'
import type { PipelineContext } from '../pipelines/types'
import { SERVER_VAD_RATE } from '../vad/serverVad'
import type { ReplyStream } from './replyStream'
import type { SpeculativeTranscription } from './speculativeTranscription'
import type { TurnAction, TurnDetector, TurnSignal } from './turnDetector'
import type { UtteranceAudio } from './utteranceAudio'
import type { Turn, TurnInput } from './conversationTurn'
import type { VoiceProviders } from './voiceProviders'
import type { Logger } from '../../shared/logging/logger'

type CommitAction = Extract<TurnAction, { type: 'commit' }>

export interface TurnRunnerDeps {
  sessionId: string
  detector: TurnDetector
  audio: UtteranceAudio
  speculation: SpeculativeTranscription
  reply: ReplyStream
  providers: VoiceProviders
  /** Session notifications to the client (utteranceStart, replyPaused, …). */
  notify: PipelineContext['notify']
  /** A turn's trace so far. */
  onTrace(trace: TurnTrace): void
  /** Something the user should see. */
  notice(level: 'info' | 'warning' | 'error', message: string, code?: NoticeCode): void
  /** The session's logger (it carries the sessionId). */
  logger: Logger
  /** Monotonic ms: the turn detector's time, STT compute after end_of_utterance. */
  monotonic(): number
  /** Wall clock (ms since epoch) for trace marks: the backend clock. */
  now(): number
}

/**
 * The turn detector's interpreter. Every signal goes to the TurnDetector (a pure machine) and the TurnActions it
 * returns are applied here: utterance audio kept or dropped, speculative STT started or dropped, VoiceLoop turns
 * started, revoked or cancelled, the reply paused, resumed or dropped, each told to the client as a session
 * notification. What the utterances are (open, committed early, revocable) is the detector's state, not copied here;
 * this keeps only what the detector does not know: the running Turn, the early reply's Turn, and times for the trace.
 */
export class TurnRunner {
  private currentTurn: Turn | null = null
  /** When the latest turn was committed (backend wall clock). */
  private committedAt: number | null = null
  private turnCount = 0
  /** The reply of the last early commit while it may be revoked (its Turn once started): what a revocation stops. */
  private earlyReply: { turnId: string; turn: Turn | null } | null = null
  private lastServerSpeechEndArrival: number | null = null
  /** What the reply being played says so far (its synthesized sentences, from its turn's trace). */
  private replyText: string | null = null

  constructor(private readonly d: TurnRunnerDeps) {}

  /** The turn whose reply is being made, if any. */
  get runningTurn(): Turn | null {
    return this.currentTurn
  }

  signal(s: TurnSignal): void {
    // An interruption's transcript is judged against what the reply says (its own echo is no interruption).
    const signal = s.type === 'interruptionTranscript' && this.replyText ? { ...s, replyText: this.replyText } : s
    for (const action of this.d.detector.push(signal)) this.apply(action)
  }

  /**
   * The server VAD heard the speech end; `arrival`: when that audio arrived at the backend (Date.now), the trace's
   * uplink_arrival mark.
   */
  serverSpeechEnd(arrival: number | null, at: number): void {
    this.lastServerSpeechEndArrival = arrival
    // The turn may already be running (committed early, before this VAD's speech end): its uplink mark now.
    if (this.currentTurn && arrival !== null && this.committedAt !== null && this.d.now() - this.committedAt < 3000 && arrival <= this.committedAt) {
      this.currentTurn.addMark({ name: 'uplink_arrival', at: arrival, clock: 'backend' })
    }
    this.signal({ type: 'speechEnd', source: 'server', at })
  }

  /**
   * A typed turn (the window's text box): committed at once with the text as its transcript, so STT is skipped and
   * the LLM → TTS chain runs as for a spoken turn. It supersedes the turn being answered, as a new commit does.
   * Returns the turn id (the client's, or a new one).
   */
  typedTurn(text: string, turnId?: string): string {
    const id = turnId ?? `${this.d.sessionId.slice(0, 8)}-t${++this.turnCount}`
    const at = this.d.now()
    this.committedAt = at
    if (this.currentTurn) void this.currentTurn.cancel()
    this.earlyReply = null
    this.d.reply.keepSteadyAfterSpeech()
    this.d.reply.cancel()
    this.d.reply.start(id)
    this.d.notify('utteranceEnd', { turnId: id, typed: true })
    this.startTurn({ turnId: id, transcript: text, marks: [{ name: 'end_of_utterance', at, clock: 'backend' }], notes: [TYPED_TURN_NOTE], stt: { computeMs: 0, provider: 'typed (no STT)' } })
    return id
  }

  /** Stop the running turn (the session closes). */
  close(): void {
    if (this.currentTurn) void this.currentTurn.cancel()
  }

  private apply(a: TurnAction): void {
    const { audio, reply, notify } = this.d
    switch (a.type) {
      case 'utteranceStart':
        reply.keepSteadyAfterSpeech()
        audio.open()
        notify('utteranceStart', { utterance: a.utterance })
        this.d.providers.warmUp()
        break
      case 'speculate':
        this.d.speculation.start(a.utterance, audio.soFar(), this.d.providers.stt)
        break
      case 'dropSpeculation':
        this.d.speculation.drop(a.utterance)
        break
      case 'discard':
        // The detector discards only its current utterance: the one whose audio is open, if any is.
        audio.discard()
        this.d.logger.debug('utterance discarded', { utterance: a.utterance, reason: a.reason })
        break
      case 'commit':
        reply.keepSteadyAfterSpeech()
        void this.commit(a).catch((error: unknown) => this.d.logger.error('turn failed to start', { error }))
        break
      case 'revokeCommit':
        this.revoke(a.reason)
        break
      case 'closeEarlyCommit':
        this.earlyReply = null
        break
      case 'pauseReply':
        reply.pause()
        notify('replyPaused', { turnId: reply.currentTurn ?? '' })
        break
      case 'resumeReply':
        reply.resume()
        notify('replyResumed', { turnId: reply.currentTurn ?? '', reason: a.reason })
        break
      case 'cancelReply': {
        const turnId = reply.currentTurn ?? ''
        if (this.currentTurn) void this.currentTurn.cancel()
        this.currentTurn = null
        reply.cancel()
        notify('replyCancelled', { turnId, reason: a.reason })
        break
      }
    }
  }

  private async commit(action: CommitAction): Promise<void> {
    const { reply } = this.d
    const eouAt = this.d.now()
    this.committedAt = eouAt
    const eouMono = this.d.monotonic()
    const turnId = action.turnId ?? `${this.d.sessionId.slice(0, 8)}-s${++this.turnCount}`
    const decision = action.decision ? { waitMs: Math.max(0, action.decision.waitMs), reason: action.decision.reason.slice(0, 200) } : undefined
    const marks = this.marksAtCommit(eouAt, decision?.waitMs)
    const speculative = this.d.speculation.take(action.utterance)
    if (this.currentTurn) void this.currentTurn.cancel()
    reply.cancel()
    reply.start(turnId)
    this.earlyReply = action.early ? { turnId, turn: null } : null
    const notes = [
      action.early
        ? `reply started after a pause, before end_of_utterance (${action.source === 'client' ? "app's VAD" : 'server VAD'}); it is revoked if the user goes on talking`
        : `turn committed by the ${action.source === 'client' ? "app's VAD" : 'server VAD backstop'}`
    ]
    const audio = this.d.audio.close(action.early === true)
    const transcript = speculative ? await speculative : null
    if (reply.currentTurn !== turnId) return // superseded while waiting for the speculative transcript
    let input: TurnInput
    if (transcript) {
      notes.push('transcript from speculative STT (started at the early speech_end)', ...transcript.notes)
      // When it arrived, on the wall clock of the trace's marks (often before end_of_utterance: hidden in the pause).
      const doneAt = eouAt - (eouMono - transcript.doneAt)
      input = { turnId, transcript: transcript.text, marks, notes, stt: { computeMs: transcript.computeMs, provider: transcript.provider, doneAt }, decision }
    } else {
      input = { turnId, audio: { samples: audio, sampleRate: SERVER_VAD_RATE }, marks, notes, decision }
    }
    this.d.notify('utteranceEnd', { turnId })
    this.startTurn(input)
  }

  /**
   * uplink_arrival (when the server VAD's speech end arrived, if it is this turn's), turn_wait_start (when the turn
   * policy's chosen wait began, `waitMs` before the commit: the overlay's turn decision stage) and end_of_utterance.
   */
  private marksAtCommit(eouAt: number, waitMs: number | undefined): TurnMark[] {
    const marks: TurnMark[] = []
    const arrival = this.lastServerSpeechEndArrival
    this.lastServerSpeechEndArrival = null
    if (arrival !== null && arrival <= eouAt && eouAt - arrival < 5000) marks.push({ name: 'uplink_arrival', at: arrival, clock: 'backend' })
    if (waitMs !== undefined) marks.push({ name: 'turn_wait_start', at: eouAt - waitMs, clock: 'backend' })
    marks.push({ name: 'end_of_utterance', at: eouAt, clock: 'backend' })
    return marks
  }

  private startTurn(input: TurnInput): void {
    const { turnId } = input
    const turn = this.d.providers.loop.startTurn(input, {
      frame: (pcm) => {
        if (this.currentTurn === turn) this.d.reply.push(pcm)
      },
      trace: (trace) => {
        // The reply plays on after its turn finished generating: its text is kept while it is the reply stream's.
        if (this.d.reply.currentTurn === turnId && trace.reply) this.replyText = trace.reply
        this.d.onTrace(trace)
      }
    })
    this.currentTurn = turn
    this.replyText = null
    if (this.earlyReply?.turnId === turnId) this.earlyReply.turn = turn
    void turn.done.then((result) => {
      if (this.currentTurn === turn) {
        this.currentTurn = null
        this.d.reply.end()
      }
      if (result.status === 'failed' && result.error) this.d.notice('error', `Turn failed: ${result.error.message}`, noSpeechToText(result.error) ? 'no_speech_to_text' : undefined)
      const { providers, compute = {} } = result.trace
      this.d.logger.info(result.status === 'done' && !result.transcript ? 'turn ended: no words heard' : 'turn ended', { turnId, status: result.status, providers, computeMs: Object.fromEntries(Object.entries(compute).map(([k, v]) => [k, Math.round(v)])), error: result.error?.message })
    })
  }

  /** The user went on talking after an early commit: stop and forget that reply, reopen the utterance. */
  private revoke(reason: string): void {
    const early = this.earlyReply
    if (!early) return
    this.earlyReply = null
    if (early.turn) {
      if (this.currentTurn === early.turn) this.currentTurn = null
      void early.turn.cancel({ forget: true })
    }
    if (this.d.reply.currentTurn === early.turnId) this.d.reply.cancel()
    this.d.notify('replyRevoked', { turnId: early.turnId, reason })
    this.d.audio.reopen()
    this.d.logger.info('early reply revoked', { turnId: early.turnId, reason })
  }
}

/** The turn failed because nothing can transcribe at all (no STT provider tried): the no-STT notice, not a failure. */
function noSpeechToText(error: ProviderError): boolean {
  return error instanceof FallbackExhaustedError && error.stage === 'stt' && error.attempts.length === 0
}

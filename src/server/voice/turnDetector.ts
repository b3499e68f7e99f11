import { DEFAULT_ENDPOINTER_CONFIG, SERVER_BACKSTOP_ENDPOINTING, type EndOfUtteranceReason } from '../../shared/voice/endpointer'
import { adaptiveTurnPolicy, DEFAULT_TURN_POLICY_CONFIG, type TurnDecision, type TurnPolicyConfig, type TurnStrategy, type TurnVerdict } from './turnPolicy'

export type { TurnDecision } from './turnPolicy'

/**
 * Turn detection and barge-in for one voice session, as a pure state machine: signals in (the app's local VAD
 * events over signaling, the server VAD backstop's events and per-frame probabilities, the reply's playing state,
 * the interruption's transcript, clock ticks), actions out. No I/O and no clock of its own: `at` is ms on any
 * monotonic clock, so it is tested with plain arrays of signals.
 *
 * Turn detection: the app's VAD leads (it hears the mic without network delay). Its early speech_end starts a
 * speculative transcription, speech_resume drops it, end_of_utterance commits the turn. The server VAD opens the
 * utterance if it hears speech first (for barge-in), and is the backstop: it commits on its own end_of_utterance if
 * the app never reported VAD events in this session, or if the app reported this utterance's start but its
 * end_of_utterance has not arrived `backstopGraceMs` after the server's.
 *
 * Early reply: the turn policy (turnPolicy.ts) reads the speculative transcript and chooses how long to wait after the
 * voice ended (the lead VAD's speech_end reports how long the pause already is). Once the pause reaches that wait the
 * utterance is committed early (`commit` with `early: true`) so the reply can start before end_of_utterance. The turn
 * stays open: a speech_resume before end_of_utterance revokes it (`revokeCommit`: the reply stops and is forgotten,
 * the utterance goes on and is committed again later with all of its audio); end_of_utterance (or the backstop, or a
 * new utterance) closes it (`closeEarlyCommit`). When the transcript reads as unfinished ("… for", "… the") the wait
 * may be longer than the endpointer's end_of_utterance: a silence end_of_utterance is then held until the wait is
 * over, and speech after it (a new speech_start) continues the same utterance. A push-to-talk release (end_of_utterance
 * by flush) or a maximum-length cut is never held. Every commit carries its `decision` (wait and reason).
 *
 * Barge-in: speech while the reply plays pauses the reply at once (a single server frame above the activation
 * probability is enough; pausing is undone cheaply). It becomes a real interruption (cancel the reply) when the speech
 * lasts `confirmSpeechMs`, or when the interruption's transcript has words. It was a false interruption (resume the
 * reply where it stopped) when no speech is confirmed within `unconfirmedPauseMs`, when the speech is shorter than
 * `minWordMs`, or when its transcript is empty or only a backchannel/filler ("hmm", "mhm", "uh-huh": the listener
 * signalling that they follow, not asking for the floor; a real STT writes these out, so "has words" is not enough).
 *
 * Echo: a transcript whose words are a run of 2 or more of the reply's own words, in the reply's order, is the reply
 * heard back past echo cancellation, not the user: a false interruption (`bench bargein` fed the reply back at
 * −26 dB and its transcript cancelled the reply). One word alone is not taken as echo: "stop" may be in the reply too.
 *
 * Minimum words (`minInterruptionWords`, the user's listening.bargeInMinWords): the reply is cancelled only once the
 * interruption's transcript has that many words that are not backchannel/filler. Fewer (but some) words keep the
 * reply paused while the user may still go on (speech_resume keeps the same utterance, and its next transcript covers
 * all of it); when the utterance ends with still too few words, it was a false interruption: discarded, the reply
 * resumes. A transcript not yet arrived at that moment is taken as enough (the utterance is a turn, as with one word).
 */

export type SignalSource = 'client' | 'server'

export type TurnSignal =
  | { type: 'speechStart'; source: SignalSource; at: number; turnId?: string }
  /** `pauseMs`: how long the voice had already been silent when speech_end was reported (default: the app endpointer's). */
  | { type: 'speechEnd'; source: SignalSource; at: number; pauseMs?: number }
  | { type: 'speechResume'; source: SignalSource; at: number }
  /** `reason`: why the endpointer ended it; a push-to-talk release is a 'flush' (never held). Unknown = 'silence'. */
  | { type: 'endOfUtterance'; source: SignalSource; at: number; turnId?: string; reason?: EndOfUtteranceReason }
  /** Server VAD speech probability of one frame. */
  | { type: 'probability'; p: number; at: number }
  | { type: 'replyPlaying'; playing: boolean; at: number }
  /**
   * The transcript of the speech that paused the reply; `replyText`: what the reply being played says (its sentences
   * synthesized so far), to tell the reply's own echo from the user's words.
   */
  | { type: 'interruptionTranscript'; utterance: number; text: string; at: number; replyText?: string }
  | { type: 'tick'; at: number }
  /** The client runs its own VAD and reports every utterance (even before its first one). */
  | { type: 'clientVadActive'; at: number }

export type TurnAction =
  /** A new utterance: keep its audio from (now − pre-roll). */
  | { type: 'utteranceStart'; utterance: number }
  /** Transcribe the utterance's audio so far (early speech_end). */
  | { type: 'speculate'; utterance: number }
  | { type: 'dropSpeculation'; utterance: number }
  /** The utterance is a turn: answer it. `early`: before end_of_utterance, revocable until closeEarlyCommit. */
  | { type: 'commit'; utterance: number; turnId: string | null; source: SignalSource; at: number; early?: boolean; decision?: TurnDecision }
  /** The user went on talking after an early commit: stop and forget its reply; the utterance is open again. */
  | { type: 'revokeCommit'; utterance: number; at: number; reason: string }
  /** An early commit became final (end_of_utterance, backstop, or a new utterance began). */
  | { type: 'closeEarlyCommit'; utterance: number; at: number }
  /** The utterance is not a turn (false interruption, or speech only the server heard): forget it. */
  | { type: 'discard'; utterance: number; reason: string }
  | { type: 'pauseReply'; at: number }
  | { type: 'resumeReply'; at: number; reason: string }
  | { type: 'cancelReply'; at: number; reason: string }

export interface TurnDetectorConfig {
  activationProbability: number
  backstopGraceMs: number
  confirmSpeechMs: number
  minWordMs: number
  unconfirmedPauseMs: number
  /** The turn policy's waits (the user's settings). */
  policy: TurnPolicyConfig
  /** Reply before end_of_utterance when the policy's wait is shorter (false: commit only on end_of_utterance). */
  earlyReply: boolean
  /** How the waits are chosen (the adaptive policy; bench turntaking also runs today's fixed one). */
  strategy: TurnStrategy
  /** Words (not backchannel/filler) an interruption's transcript needs before it cancels the reply (see above). */
  minInterruptionWords: number
}

/** A change of settings: any key, and any of the policy's waits. */
export type TurnDetectorSettings = Partial<Omit<TurnDetectorConfig, 'policy'>> & { policy?: Partial<TurnPolicyConfig> }

export const DEFAULT_TURN_DETECTOR_CONFIG: TurnDetectorConfig = Object.freeze({
  activationProbability: 0.5,
  /** The app's end_of_utterance normally arrives within a few ms of the server's; 300 ms covers a slow link. */
  backstopGraceMs: 300,
  /** ~2 words: long enough that it is not a cough, a click or a backchannel ("mm"). */
  confirmSpeechMs: 700,
  /** Shorter than the shortest word plus its onset detection. */
  minWordMs: 200,
  /** A pause no VAD confirms as speech within this is a false alarm. */
  unconfirmedPauseMs: 250,
  policy: DEFAULT_TURN_POLICY_CONFIG,
  earlyReply: true,
  strategy: adaptiveTurnPolicy,
  /** Any word that is not a backchannel cancels, as before the setting existed. */
  minInterruptionWords: 1
})

/**
 * The pause already elapsed when the app's speech_end arrives, when the signal does not say: the endpointer's silence
 * before speech_end plus the lag it subtracts from the end of voicing (its offsetLagMs).
 */
const APP_SPEECH_END_PAUSE_MS = DEFAULT_ENDPOINTER_CONFIG.speechEndSilenceMs + DEFAULT_ENDPOINTER_CONFIG.offsetLagMs

/**
 * One word of unbroken speech: espeak-ng at 165 words per minute takes 364 ms a word, conversational English ~350 ms.
 * Speech that lasts minInterruptionWords × this (and at least confirmSpeechMs) counts as that many words.
 */
const SPOKEN_WORD_MS = 350

/** An early commit whose end_of_utterance never comes (lost event, link down) is closed after this. */
const EARLY_COMMIT_MAX_OPEN_MS = 5000

interface Utterance {
  id: number
  startedAt: number
  /** The app's VAD reported this utterance's start. */
  clientStarted: boolean
  turnId: string | null
  speculating: boolean
  lastEndAt: number | null
  /** When the voice ended (the lead VAD's speech_end less the pause it reports), or null while speaking. */
  voiceEndAt: number | null
  /** A silence end_of_utterance of the lead VAD arrived and is held (the transcript reads as unfinished). */
  heldEndOfUtterance: boolean
  backstopAt: number | null
  /** Started while the reply played: an interruption candidate. */
  interruption: boolean
  discarded: boolean
  /** The speculative transcript since the last speech_end (undefined until it arrives). */
  transcript?: string
  /** Committed early; still revocable. */
  earlyCommitted: boolean
  /** Words (not backchannel/filler) in the latest interruption transcript of this utterance; undefined until one came. */
  interruptionWords?: number
}

export class TurnDetector {
  private config: TurnDetectorConfig
  private clientVad = false
  private nextUtterance = 1
  private current: Utterance | null = null
  private playing = false
  private paused = false
  private pausedAt: number | null = null
  /** Set once the pausing speech is confirmed (an utterance is open for it). */
  private pauseUtterance: number | null = null

  constructor(config: TurnDetectorSettings = {}) {
    this.config = merge(DEFAULT_TURN_DETECTOR_CONFIG, config)
  }

  /** Change settings between turns (e.g. the user's waits); `policy` is merged key by key. */
  configure(config: TurnDetectorSettings): void {
    this.config = merge(this.config, config)
  }

  get settings(): Readonly<TurnDetectorConfig> {
    return this.config
  }

  get replyPaused(): boolean {
    return this.paused
  }

  get openUtterance(): number | null {
    return this.current && !this.current.discarded ? this.current.id : null
  }

  /** The utterance committed early whose reply is still revocable (the user may go on talking), or null. */
  get earlyCommitted(): number | null {
    const u = this.live()
    return u?.earlyCommitted ? u.id : null
  }

  push(signal: TurnSignal): TurnAction[] {
    const out: TurnAction[] = []
    switch (signal.type) {
      case 'clientVadActive':
        this.clientVad = true
        break
      case 'probability':
        if (this.playing && !this.paused && signal.p >= this.config.activationProbability) this.pause(signal.at, out)
        break
      case 'replyPlaying':
        this.playing = signal.playing
        if (!signal.playing) {
          this.paused = false
          this.pausedAt = null
          this.pauseUtterance = null
        }
        break
      case 'speechStart':
        this.onSpeechStart(signal, out)
        break
      case 'speechEnd':
        this.onSpeechEnd(signal, out)
        break
      case 'speechResume':
        this.onSpeechResume(signal, out)
        break
      case 'endOfUtterance':
        this.onEndOfUtterance(signal, out)
        break
      case 'interruptionTranscript': {
        this.onInterruptionTranscript(signal, out)
        // The transcript may be all the early reply waited for: decide now, not at the next tick (~10 ms sooner).
        const u = this.live()
        if (u?.id === signal.utterance) this.mayCommitEarly(u, signal.at, out)
        break
      }
      case 'tick':
        this.onTick(signal.at, out)
        break
    }
    return out
  }

  private onSpeechStart(signal: Extract<TurnSignal, { type: 'speechStart' }>, out: TurnAction[]): void {
    if (signal.source === 'client') this.clientVad = true
    const u = this.current
    if (u && !u.discarded && u.earlyCommitted && u.lastEndAt !== null && this.leads(signal.source, u)) {
      // A new utterance while the early-committed one waits for its end_of_utterance (which was lost).
      this.closeEarly(u, signal.at, out)
    }
    if (this.current && !this.current.discarded) {
      const u = this.current
      if (signal.source === 'client') {
        u.clientStarted = true
        if (signal.turnId) u.turnId = signal.turnId
      }
      // Speech after a held end_of_utterance: the same sentence goes on (the VAD saw a new utterance).
      if (u.heldEndOfUtterance && this.leads(signal.source, u)) this.continueUtterance(u, out)
      return
    }
    const utterance: Utterance = {
      id: this.nextUtterance++,
      startedAt: signal.at,
      clientStarted: signal.source === 'client',
      turnId: signal.source === 'client' ? (signal.turnId ?? null) : null,
      speculating: false,
      lastEndAt: null,
      voiceEndAt: null,
      heldEndOfUtterance: false,
      backstopAt: null,
      interruption: this.playing,
      discarded: false,
      earlyCommitted: false
    }
    this.current = utterance
    out.push({ type: 'utteranceStart', utterance: utterance.id })
    if (this.playing) {
      if (!this.paused) this.pause(signal.at, out)
      this.pauseUtterance = utterance.id
    }
  }

  private onSpeechEnd(signal: Extract<TurnSignal, { type: 'speechEnd' }>, out: TurnAction[]): void {
    const u = this.live()
    if (!u || !this.leads(signal.source, u)) return
    u.lastEndAt = signal.at
    u.voiceEndAt = signal.at - Math.max(0, signal.pauseMs ?? (signal.source === 'client' ? APP_SPEECH_END_PAUSE_MS : SERVER_SPEECH_END_PAUSE_MS))
    if (u.interruption && this.paused && signal.at - u.startedAt < this.config.minWordMs) {
      this.falseInterruption(u, signal.at, 'too short for a word', out)
      return
    }
    if (!u.speculating) {
      u.speculating = true
      out.push({ type: 'speculate', utterance: u.id })
    }
  }

  private onSpeechResume(signal: Extract<TurnSignal, { type: 'speechResume' }>, out: TurnAction[]): void {
    const u = this.live()
    if (!u || !this.leads(signal.source, u)) return
    // The next transcript covers the whole utterance: until it comes, its word count is unknown.
    u.interruptionWords = undefined
    if (u.earlyCommitted) {
      this.resetPause(u)
      u.earlyCommitted = false
      u.speculating = false
      out.push({ type: 'revokeCommit', utterance: u.id, at: signal.at, reason: 'the user went on talking' })
      return
    }
    this.continueUtterance(u, out)
  }

  /** The user speaks again after a pause (speech_resume, or speech after a held end_of_utterance). */
  private continueUtterance(u: Utterance, out: TurnAction[]): void {
    this.resetPause(u)
    if (u.speculating) {
      u.speculating = false
      out.push({ type: 'dropSpeculation', utterance: u.id })
    }
  }

  private resetPause(u: Utterance): void {
    u.lastEndAt = null
    u.voiceEndAt = null
    u.backstopAt = null
    u.heldEndOfUtterance = false
    u.transcript = undefined
  }

  private onEndOfUtterance(signal: Extract<TurnSignal, { type: 'endOfUtterance' }>, out: TurnAction[]): void {
    const u = this.live()
    if (!u) return
    if (signal.source === 'client') {
      this.clientVad = true
      if (signal.turnId) u.turnId = signal.turnId
      this.endOfUtterance(u, 'client', signal, out)
    } else if (!this.clientVad) {
      this.endOfUtterance(u, 'server', signal, out)
    } else if (u.heldEndOfUtterance) {
      // The app's end_of_utterance is here (held): no backstop needed.
    } else if (u.clientStarted) {
      u.backstopAt = signal.at + this.config.backstopGraceMs
    } else {
      // The app's VAD is active and did not hear this: noise only the server heard.
      this.discard(u, 'only the server VAD heard it', signal.at, out)
    }
  }

  /** The lead VAD's end_of_utterance: commit, or hold it while the transcript reads as unfinished. */
  private endOfUtterance(u: Utterance, source: SignalSource, signal: Extract<TurnSignal, { type: 'endOfUtterance' }>, out: TurnAction[]): void {
    const reason = signal.reason ?? 'silence'
    if (reason === 'silence' && !u.earlyCommitted && !(u.interruption && this.paused)) {
      const verdict = this.verdict(u)
      if (verdict?.holdPastEndOfUtterance && u.voiceEndAt !== null && signal.at - u.voiceEndAt < verdict.waitMs) {
        u.heldEndOfUtterance = true
        u.backstopAt = null
        return
      }
    }
    this.commit(u, u.turnId, source, signal.at, out, this.finalDecision(u, reason, signal.at))
  }

  /** Why a turn is committed at end_of_utterance (not early). */
  private finalDecision(u: Utterance, reason: EndOfUtteranceReason | 'backstop' | 'held', at: number): TurnDecision {
    const pause = u.voiceEndAt === null ? 0 : Math.max(0, Math.round(at - u.voiceEndAt))
    if (reason === 'flush') return { waitMs: pause, reason: 'push-to-talk released' }
    if (reason === 'max_length') return { waitMs: pause, reason: 'longest utterance reached' }
    if (reason === 'backstop') return { waitMs: pause, reason: "backstop: the app's end of utterance did not come" }
    const verdict = this.verdict(u)
    if (reason === 'held') return { waitMs: pause, reason: verdict?.reason ?? 'waited' }
    if (!verdict) return { waitMs: pause, reason: `end of utterance (${u.transcript === undefined ? 'no transcript yet' : 'no words'}) → ${pause} ms` }
    return { waitMs: pause, reason: `end of utterance → ${pause} ms (${verdict.reason})` }
  }

  /** The policy's reading of the utterance's speculative transcript, or null before it has words. */
  private verdict(u: Utterance): TurnVerdict | null {
    if (u.transcript === undefined || u.transcript.trim() === '') return null
    const speechMs = u.voiceEndAt === null ? undefined : u.voiceEndAt - u.startedAt
    return this.config.strategy({ transcript: u.transcript, speechMs }, this.config.policy)
  }

  private onInterruptionTranscript(signal: Extract<TurnSignal, { type: 'interruptionTranscript' }>, out: TurnAction[]): void {
    const u = this.current
    if (!u || u.id !== signal.utterance || u.discarded) return
    if (u.lastEndAt !== null) u.transcript = signal.text
    if (!u.interruption || !this.paused) return
    const words = countInterruptionWords(signal.text)
    u.interruptionWords = words
    if (signal.replyText && isEchoOf(signal.text, signal.replyText)) this.falseInterruption(u, signal.at, 'the reply\'s own words (echo)', out)
    else if (words === 0 && !isBackchannel(signal.text)) this.falseInterruption(u, signal.at, 'no words in it', out)
    else if (words === 0) this.falseInterruption(u, signal.at, `only a backchannel ("${signal.text.trim().slice(0, 40)}")`, out)
    else if (words >= this.config.minInterruptionWords) this.confirmInterruption(signal.at, 'the user said something', out)
    // Fewer words than the setting asks for: the reply stays paused; the utterance's end decides (see commit).
  }

  private onTick(at: number, out: TurnAction[]): void {
    const early = this.live()
    if (early) this.mayCommitEarly(early, at, out)
    const u = this.live()
    if (u?.heldEndOfUtterance) {
      const verdict = this.verdict(u)
      if (!verdict?.holdPastEndOfUtterance || u.voiceEndAt === null || at - u.voiceEndAt >= verdict.waitMs) {
        this.commit(u, u.turnId, this.clientVad && u.clientStarted ? 'client' : 'server', at, out, this.finalDecision(u, 'held', at))
      }
    } else if (u?.backstopAt !== null && u?.backstopAt !== undefined && at >= u.backstopAt) {
      this.commit(u, u.turnId, 'server', at, out, this.finalDecision(u, 'backstop', at))
    }
    if (this.paused && this.pausedAt !== null) {
      const pending = this.current && !this.current.discarded && this.current.id === this.pauseUtterance ? this.current : null
      if (!pending && at - this.pausedAt >= this.config.unconfirmedPauseMs) {
        this.resume(at, 'no speech followed', out)
      } else if (pending && this.unbrokenSpeechConfirms(pending, at)) {
        this.confirmInterruption(at, `speech longer than ${this.confirmSpeechMs()} ms`, out)
      }
    }
  }

  /**
   * How long unbroken speech confirms an interruption without its transcript: confirmSpeechMs (~2 words) while the
   * setting asks for at most 2 words; for more, as long as that many words take (SPOKEN_WORD_MS each), so that
   * "wait…", a long "mmm" or a cough fit does not cancel a reply that 3 words would be needed to stop. The reply is
   * paused (silent) meanwhile, so waiting longer costs the user nothing audible; a pause in the speech brings the
   * transcript, which decides sooner.
   */
  private confirmSpeechMs(): number {
    return Math.max(this.config.confirmSpeechMs, this.config.minInterruptionWords * SPOKEN_WORD_MS)
  }

  /**
   * Speech is unbroken for confirmSpeechMs only once its speech_end has not come that long plus the VAD's own end lag
   * (speech_end comes speechEndSilenceMs after the speech stops) after its start. Without the lag, a 607 ms "Mm-hmm"
   * (espeak-ng, 165 wpm) was confirmed at 700 ms, before its speech_end and transcript: `bench bargein` counted it as
   * a false barge-in.
   */
  private unbrokenSpeechConfirms(u: Utterance, at: number): boolean {
    return u.lastEndAt === null && at - u.startedAt >= this.confirmSpeechMs() + DEFAULT_ENDPOINTER_CONFIG.speechEndSilenceMs
  }

  private live(): Utterance | null {
    return this.current && !this.current.discarded ? this.current : null
  }

  /** Which VAD drives speculation for this utterance: the app's when it reports VAD events, else the server's. */
  private leads(source: SignalSource, u: Utterance): boolean {
    return this.clientVad && u.clientStarted ? source === 'client' : source === 'server' || !this.clientVad
  }

  private pause(at: number, out: TurnAction[]): void {
    this.paused = true
    this.pausedAt = at
    out.push({ type: 'pauseReply', at })
  }

  private resume(at: number, reason: string, out: TurnAction[]): void {
    this.paused = false
    this.pausedAt = null
    this.pauseUtterance = null
    out.push({ type: 'resumeReply', at, reason })
  }

  private confirmInterruption(at: number, reason: string, out: TurnAction[]): void {
    this.paused = false
    this.pausedAt = null
    this.pauseUtterance = null
    this.playing = false
    if (this.current) this.current.interruption = false
    out.push({ type: 'cancelReply', at, reason })
  }

  private falseInterruption(u: Utterance, at: number, reason: string, out: TurnAction[]): void {
    this.discard(u, `false interruption: ${reason}`, at, out)
    this.resume(at, `false interruption: ${reason}`, out)
  }

  private discard(u: Utterance, reason: string, _at: number, out: TurnAction[]): void {
    u.discarded = true
    if (u.speculating) out.push({ type: 'dropSpeculation', utterance: u.id })
    u.speculating = false
    out.push({ type: 'discard', utterance: u.id, reason })
  }

  private mayCommitEarly(u: Utterance, at: number, out: TurnAction[]): void {
    if (u.lastEndAt === null || u.voiceEndAt === null || u.heldEndOfUtterance) return
    if (u.earlyCommitted) {
      if (at - u.lastEndAt >= EARLY_COMMIT_MAX_OPEN_MS) this.closeEarly(u, at, out)
      return
    }
    if (!this.config.earlyReply || !u.speculating) return
    // Speech only the server heard while the app's VAD is active is discarded at end_of_utterance, never answered.
    if (this.clientVad && !u.clientStarted) return
    // An interruption still being judged (reply paused, not yet confirmed) waits: it may be a backchannel.
    if (u.interruption && this.paused) return
    const verdict = this.verdict(u)
    if (!verdict || at - u.voiceEndAt < verdict.waitMs) return
    u.earlyCommitted = true
    const decision = { waitMs: verdict.waitMs, reason: verdict.reason }
    out.push({ type: 'commit', utterance: u.id, turnId: u.turnId, source: this.clientVad && u.clientStarted ? 'client' : 'server', at, early: true, decision })
  }

  private closeEarly(u: Utterance, at: number, out: TurnAction[]): void {
    if (this.current === u) this.current = null
    u.earlyCommitted = false
    out.push({ type: 'closeEarlyCommit', utterance: u.id, at })
  }

  private commit(u: Utterance, turnId: string | null, source: SignalSource, at: number, out: TurnAction[], decision: TurnDecision): void {
    if (u.earlyCommitted) {
      this.closeEarly(u, at, out)
      return
    }
    if (u.interruption && this.paused) {
      const words = u.interruptionWords
      if (words !== undefined && words < this.config.minInterruptionWords) {
        // The utterance ended with fewer words than the setting asks for: not an interruption after all.
        this.falseInterruption(u, at, `only ${words} word${words === 1 ? '' : 's'} (${this.config.minInterruptionWords} needed to interrupt)`, out)
        return
      }
      // Committing an utterance that paused the reply: it had words enough to be a turn.
      this.confirmInterruption(at, 'the interruption became a turn', out)
    }
    this.current = null
    out.push({ type: 'commit', utterance: u.id, turnId, source, at, decision })
  }
}

/**
 * The server VAD's speech_end (SERVER_BACKSTOP_ENDPOINTING: 160 ms of silence) plus the endpointer's offsetLagMs, when
 * the signal does not say.
 */
const SERVER_SPEECH_END_PAUSE_MS = SERVER_BACKSTOP_ENDPOINTING.speechEndSilenceMs + DEFAULT_ENDPOINTER_CONFIG.offsetLagMs

function merge(base: TurnDetectorConfig, change: TurnDetectorSettings): TurnDetectorConfig {
  const { policy, ...rest } = change
  const defined = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) as Partial<TurnDetectorConfig>
  return { ...base, ...defined, policy: { ...base.policy, ...Object.fromEntries(Object.entries(policy ?? {}).filter(([, v]) => v !== undefined)) } }
}

/** Sounds a listener makes while the other one talks; transcribed, they are still not an interruption. */
const BACKCHANNEL = /^(?:h+m+|m+h*m+|mm+-?hm+|uh+|um+|u+h+-?huh|a+h+|o+h+|e+r+m*|hm+-?hm+)$/

function transcriptWords(text: string): string[] {
  return text.toLowerCase().replace(/[^a-z\s-]/g, ' ').split(/\s+/).filter(Boolean)
}

/** True when every word of the transcript is a backchannel or filler sound. */
export function isBackchannel(text: string): boolean {
  const words = transcriptWords(text)
  return words.length > 0 && words.every((w) => BACKCHANNEL.test(w))
}

/**
 * True when the transcript's words (backchannel and filler left out) are 2 or more consecutive words of the reply,
 * in its order: the reply's own audio, heard back and transcribed.
 */
export function isEchoOf(text: string, replyText: string): boolean {
  const said = transcriptWords(text).filter((w) => !BACKCHANNEL.test(w) && /[a-z]/.test(w))
  if (said.length < 2) return false
  const reply = transcriptWords(replyText)
  for (let i = 0; i + said.length <= reply.length; i++) {
    if (said.every((w, k) => reply[i + k] === w)) return true
  }
  return false
}

/** The words of an interruption's transcript that are not backchannel or filler sounds ("um, stop it" → 2). */
export function countInterruptionWords(text: string): number {
  return transcriptWords(text).filter((w) => !BACKCHANNEL.test(w) && /[a-z]/.test(w)).length
}

/**
 * Endpointing: turns per-frame speech probabilities into utterance boundaries. Pure: no clock, no I/O; time is the
 * stream position in ms (frame index × frame duration), so it is tested with plain arrays of probabilities.
 *
 * Latency and not cutting people off pull apart, so the end of a turn is decided twice:
 *  - `speech_end` comes early, after a short silence, so later stages (STT finalisation, LLM) can start
 *    speculatively;
 *  - `end_of_utterance` commits the turn after a longer silence. If speech resumes between the two, a
 *    `speech_resume` is emitted (drop the speculative work) and the same utterance continues, so a mid-sentence pause
 *    never becomes two turns.
 */

export interface EndpointerConfig {
  /** A frame at or above this probability can start (or resume) speech. */
  activationThreshold: number
  /** Once speaking, a frame counts as silence only below this (hysteresis: lower than activation). */
  deactivationThreshold: number
  /** Speech must last this long before it counts (rejects clicks, coughs, single noisy frames). */
  minSpeechMs: number
  /** Silence after speech before the early, speculative `speech_end`. */
  speechEndSilenceMs: number
  /** Silence after speech before `end_of_utterance` commits the turn. */
  minSilenceMs: number
  /** Audio kept before the detected onset and handed to STT with the utterance, so starts are never clipped. */
  preRollMs: number
  /** An utterance is committed when it gets this long, even mid-speech. */
  maxUtteranceMs: number
  /**
   * How long the model's probability stays above the deactivation threshold after voicing stops; reported speech
   * ends (`endMs`) are dated this much before the end of the last speech frame.
   */
  offsetLagMs: number
}

/**
 * Defaults, with why:
 *  - activation 0.5: Silero's own recommended threshold; its probabilities are bimodal on clean speech.
 *  - deactivation 0.35: Silero's reference code uses threshold − 0.15; the gap stops a flickering probability from
 *    chopping a word (unvoiced consonants and word tails sit at 0.3–0.5).
 *  - minSpeech 96 ms (3 frames): shorter than any syllable plus onset, longer than a click or a key press.
 *  - speechEnd 96 ms (3 frames): the early signal starts the speculative transcription, and the turn policy
 *    (src/server/voice/turnPolicy.ts) can reply to a complete request only once its transcript is in, so this is the
 *    floor of the end-of-turn delay. Silero's probability falls ~1–2 frames after the end of voicing, so speech_end
 *    lands ~150–190 ms after the voice ends. Measured with `bench turntaking` (240 clips): 160 → 128 → 96 → 64 ms
 *    gave an end-of-turn delay p50 of 248 → 216 → 186 → 189 ms (transcript at once) and 388 → 356 → 328 → 299 ms
 *    (transcript 150 ms late), for 88 → 97 → 103 → 110 speculative transcriptions dropped by a speech_resume (a
 *    gap inside a word or a sentence: cheap, the speculation is aborted). 96 meets both goals (≤ 200, ≤ 350 ms).
 *  - minSilence 640 ms (20 frames): sentence-internal pauses (breath, comma, thinking) are mostly 200–500 ms; 640 ms
 *    keeps a 400 ms pause inside one turn with margin, and the speculative path hides most of the wait.
 *  - preRoll 320 ms (10 frames): onsets are detected only after minSpeech and Silero needs a frame or two to react to
 *    soft onsets (/h/, /f/, /s/); ≥300 ms before the detected start covers both.
 *  - maxUtterance 30 s: a turn longer than this is almost always a stuck VAD (TV, fan); committing bounds the
 *    audio buffer and the STT input length (Whisper/Moonshine take ≤30 s).
 *  - offsetLag 64 ms (2 frames): Silero is recurrent, and a frame that is only partly voiced still scores high, so
 *    its probability decays over 2–4 frames after voicing stops. Measured on the espeak-ng test corpus (6 voices,
 *    clean and 10 dB SNR white noise, 60 sentence ends) the last frame ≥ 0.35 ended 57 ms after the true end on
 *    average (−48…+171 ms); dating the end 64 ms earlier makes the estimate about unbiased. Starts need no
 *    correction (mean +20 ms): the first speech frame is already the one where voicing begins.
 */
export const DEFAULT_ENDPOINTER_CONFIG: EndpointerConfig = Object.freeze({
  activationThreshold: 0.5,
  deactivationThreshold: 0.35,
  minSpeechMs: 96,
  speechEndSilenceMs: 96,
  minSilenceMs: 640,
  preRollMs: 320,
  maxUtteranceMs: 30_000,
  offsetLagMs: 64
})

/**
 * The backend's server VAD backstop (voice sessions): the app's VAD leads, so the backstop keeps the older 160 ms
 * speech_end; the turn detector dates the server's speech_end by it.
 */
export const SERVER_BACKSTOP_ENDPOINTING = Object.freeze({ minSpeechMs: 64, speechEndSilenceMs: 160, minSilenceMs: 640 })

/**
 * The pause after which the assistant may start answering, before the turn is committed (minSilenceMs). 320 ms is
 * about where a human answer starts (gaps between turns in conversation average ~200 ms) and it is what keeps a
 * reply under the 800 ms voice-to-voice budget: waiting the full 640 ms plus STT, LLM, TTS and the downlink cannot.
 * The turn stays open until end_of_utterance: if the user goes on talking the early reply is revoked (stopped, never
 * entered into the conversation) and the utterance continues as one turn, so a pause inside a sentence costs a
 * fraction of a second of reply, never the user's words. It is the turn policy's wait when the transcript reads
 * neither finished nor unfinished (uncertainWaitMs in src/server/voice/turnPolicy.ts); a complete request is answered
 * sooner, an unfinished-looking one ("… and", "… the") waits longer, past end_of_utterance if need be.
 */
export const DEFAULT_REPLY_AFTER_PAUSE_MS = 320

/**
 * The turn policy's other waits (user settings, see README "Voice loop"). A finished request or question
 * ("what time is it?") needs no thinking pause: 150 ms is below the ~200 ms average gap between human turns.
 * A sentence that stopped on "for", "and", "um" or a number is a speaker looking for the next word: 1200 ms covers
 * the 250–900 ms mid-sentence pauses of issue 16's turn corpus with room to spare.
 */
export const DEFAULT_REPLY_AFTER_COMPLETE_MS = 150
export const DEFAULT_UNFINISHED_PAUSE_MS = 1200
/** Any word that is not a backchannel ("mhm") stops the reply: the behaviour before the setting existed. */
export const DEFAULT_BARGE_IN_MIN_WORDS = 1

export type EndOfUtteranceReason = 'silence' | 'max_length' | 'flush'

export type EndpointEvent =
  | {
      type: 'speech_start'
      utteranceId: number
      /** When the decision was made (end of the frame that confirmed speech). */
      atMs: number
      /** Estimated onset: start of the first speech frame. */
      startMs: number
      /** Where the utterance audio begins (startMs − preRoll, not before 0). */
      audioStartMs: number
    }
  | {
      type: 'speech_end'
      utteranceId: number
      atMs: number
      /** End of the last speech frame. */
      endMs: number
    }
  | { type: 'speech_resume'; utteranceId: number; atMs: number }
  | {
      type: 'end_of_utterance'
      utteranceId: number
      atMs: number
      startMs: number
      endMs: number
      audioStartMs: number
      /** atMs − endMs: how long after speech ended the turn was committed (LiveKit's end_of_utterance_delay). */
      endOfUtteranceDelayMs: number
      reason: EndOfUtteranceReason
    }

export type EndpointerPhase = 'silence' | 'onset' | 'speech' | 'trailing'

export function validateEndpointerConfig(config: EndpointerConfig): string[] {
  const problems: string[] = []
  const { activationThreshold: act, deactivationThreshold: deact } = config
  if (!(act > 0 && act < 1)) problems.push(`activationThreshold must be in (0, 1), got ${act}`)
  if (!(deact > 0 && deact <= act)) problems.push(`deactivationThreshold must be in (0, activationThreshold], got ${deact}`)
  for (const key of ['minSpeechMs', 'speechEndSilenceMs', 'minSilenceMs', 'preRollMs', 'maxUtteranceMs', 'offsetLagMs'] as const) {
    if (!(Number.isFinite(config[key]) && config[key] >= 0)) problems.push(`${key} must be a finite number ≥ 0, got ${config[key]}`)
  }
  if (config.speechEndSilenceMs > config.minSilenceMs) problems.push('speechEndSilenceMs must not exceed minSilenceMs')
  if (config.maxUtteranceMs < config.minSpeechMs) problems.push('maxUtteranceMs must be at least minSpeechMs')
  return problems
}

export class Endpointer {
  readonly config: EndpointerConfig
  readonly frameMs: number
  private phase: EndpointerPhase = 'silence'
  private nextId = 1
  private utteranceId = 0
  private onsetStartMs = 0
  private onsetSpeechMs = 0
  private startMs = 0
  private lastSpeechEndMs = 0
  private silenceMs = 0
  private positionMs = 0

  constructor(config: Partial<EndpointerConfig> = {}, frameMs = 32) {
    this.config = { ...DEFAULT_ENDPOINTER_CONFIG, ...config }
    const problems = validateEndpointerConfig(this.config)
    if (!(frameMs > 0)) problems.push(`frameMs must be > 0, got ${frameMs}`)
    if (problems.length) throw new RangeError(`invalid endpointer settings: ${problems.join('; ')}`)
    this.frameMs = frameMs
  }

  get state(): EndpointerPhase {
    return this.phase
  }

  /** Stream position: end of the last frame pushed. */
  get timeMs(): number {
    return this.positionMs
  }

  get inUtterance(): boolean {
    return this.phase === 'speech' || this.phase === 'trailing'
  }

  /** Feed the next frame's speech probability; returns the events it caused (usually none). */
  push(probability: number): EndpointEvent[] {
    const p = Number.isFinite(probability) ? probability : 0
    const frameStart = this.positionMs
    const frameEnd = (this.positionMs += this.frameMs)
    const c = this.config
    const events: EndpointEvent[] = []
    switch (this.phase) {
      case 'silence':
        if (p >= c.activationThreshold) {
          this.phase = 'onset'
          this.onsetStartMs = frameStart
          this.onsetSpeechMs = this.frameMs
          this.confirmOnset(frameEnd, events)
        }
        break
      case 'onset':
        if (p >= c.deactivationThreshold) {
          this.onsetSpeechMs += this.frameMs
          this.confirmOnset(frameEnd, events)
        } else {
          this.phase = 'silence'
        }
        break
      case 'speech':
        if (p >= c.deactivationThreshold) {
          this.lastSpeechEndMs = frameEnd
          this.silenceMs = 0
        } else {
          this.silenceMs += this.frameMs
          if (this.silenceMs >= c.speechEndSilenceMs) {
            this.phase = 'trailing'
            events.push({ type: 'speech_end', utteranceId: this.utteranceId, atMs: frameEnd, endMs: this.speechEndMs() })
          }
        }
        break
      case 'trailing':
        if (p >= c.activationThreshold) {
          this.phase = 'speech'
          this.lastSpeechEndMs = frameEnd
          this.silenceMs = 0
          events.push({ type: 'speech_resume', utteranceId: this.utteranceId, atMs: frameEnd })
        } else {
          this.silenceMs += this.frameMs
        }
        break
    }
    // The early signal may be due in the same frame as the commit when speechEnd == minSilence.
    if (this.phase === 'trailing' && this.silenceMs >= c.minSilenceMs) this.commit(frameEnd, 'silence', events)
    else if (this.inUtterance && frameEnd - this.startMs >= c.maxUtteranceMs) this.commit(frameEnd, 'max_length', events)
    return events
  }

  /** Commit the current utterance now (push-to-talk key released, stream closing). No-op outside an utterance. */
  flush(): EndpointEvent[] {
    const events: EndpointEvent[] = []
    if (this.phase === 'onset') this.phase = 'silence'
    if (this.inUtterance) this.commit(this.positionMs, 'flush', events)
    return events
  }

  /** Back to silence at position 0 (a new stream); utterance ids keep counting up. */
  reset(): void {
    this.phase = 'silence'
    this.positionMs = 0
    this.silenceMs = 0
  }

  private confirmOnset(frameEnd: number, events: EndpointEvent[]): void {
    if (this.onsetSpeechMs < this.config.minSpeechMs) return
    this.phase = 'speech'
    this.utteranceId = this.nextId++
    this.startMs = this.onsetStartMs
    this.lastSpeechEndMs = frameEnd
    this.silenceMs = 0
    events.push({
      type: 'speech_start',
      utteranceId: this.utteranceId,
      atMs: frameEnd,
      startMs: this.startMs,
      audioStartMs: Math.max(0, this.startMs - this.config.preRollMs)
    })
  }

  /** Estimated end of voicing: end of the last speech frame less the model's lag, never before the onset frame. */
  private speechEndMs(): number {
    return Math.max(this.startMs + this.frameMs, this.lastSpeechEndMs - this.config.offsetLagMs)
  }

  private commit(atMs: number, reason: EndOfUtteranceReason, events: EndpointEvent[]): void {
    if (this.phase === 'speech') {
      // Committing mid-speech (max length, flush): the early signal was never sent; send it first so consumers see
      // the same sequence every time.
      events.push({ type: 'speech_end', utteranceId: this.utteranceId, atMs, endMs: this.speechEndMs() })
    }
    const endMs = this.speechEndMs()
    events.push({
      type: 'end_of_utterance',
      utteranceId: this.utteranceId,
      atMs,
      startMs: this.startMs,
      endMs,
      audioStartMs: Math.max(0, this.startMs - this.config.preRollMs),
      endOfUtteranceDelayMs: atMs - endMs,
      reason
    })
    this.phase = 'silence'
    this.silenceMs = 0
  }
}

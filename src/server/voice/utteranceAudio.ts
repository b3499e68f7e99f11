import { SampleHistory } from '../audio/sampleHistory'
import { SERVER_VAD_RATE } from '../vad/serverVad'

const PRE_ROLL_MS = 400
const MAX_BUFFER_SECONDS = 30

/**
 * The uplink at 16 kHz that STT reads: the open utterance (up to MAX_BUFFER_SECONDS) from PRE_ROLL_MS before its
 * speech start, else only that pre-roll. While a reply committed early may still be revoked, the utterance it
 * answered stays too: if the user goes on talking, the sentence continues as one turn with all of its audio.
 */
export class UtteranceAudio {
  private readonly history = new SampleHistory(MAX_BUFFER_SECONDS * SERVER_VAD_RATE, 2 * SERVER_VAD_RATE)
  private readonly preRollSamples = (PRE_ROLL_MS * SERVER_VAD_RATE) / 1000
  /** Where the open utterance starts (a history position), or null. */
  private start: number | null = null
  /** Where the utterance of the last early commit started: what `reopen` restores. */
  private earlyStart: number | null = null

  /** `earlyCommitRevocable`: the turn detector's word on whether the last early commit may still be revoked. */
  constructor(private readonly earlyCommitRevocable: () => boolean) {}

  /** Uplink samples (16 kHz, copied). */
  append(samples16k: Int16Array): void {
    this.history.append(samples16k, this.keepFrom())
  }

  /** A new utterance: its audio starts a pre-roll before now. */
  open(): void {
    this.start = Math.max(this.history.oldest, this.history.total - this.preRollSamples)
  }

  /** The open utterance's audio so far (speculative STT), or null when none is open. */
  soFar(): Int16Array | null {
    return this.start === null ? null : this.history.from(this.start)
  }

  /**
   * The utterance is a turn: its audio now (the history keeps only what open utterances still need, and this one just
   * closed). `early`: the commit may be revoked, so its audio is kept for `reopen`.
   */
  close(early: boolean): Int16Array {
    const start = this.start
    this.start = null
    this.earlyStart = early ? start : null
    return start === null ? new Int16Array(0) : this.history.from(start)
  }

  /** The early commit was revoked: the utterance is open again from where it started. */
  reopen(): void {
    this.start = this.earlyStart
    this.earlyStart = null
  }

  /** The utterance is not a turn: forget it. */
  discard(): void {
    this.start = null
  }

  /** The oldest audio still needed: the open utterance, an early reply that may be revoked, or the pre-roll. */
  private keepFrom(): number {
    const early = this.earlyStart !== null && this.earlyCommitRevocable() ? this.earlyStart : Infinity
    return Math.min(this.start ?? Infinity, early, this.history.total - this.preRollSamples)
  }
}

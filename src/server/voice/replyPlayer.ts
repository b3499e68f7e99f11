import { realClock, type Clock, type TimerHandle } from '../../shared/clock'

export interface ReplyOutput {
  reply(pcm: Int16Array): void
  flushReply(): void
  /** Frames queued in the sender and not yet sent. */
  replyQueued(): number
}

export interface ReplyPlayerOptions {
  lookaheadFrames?: number
  /** Frames held back before a talkspurt starts while the reply is still being synthesized (default 1: none). */
  prebufferFrames?: number
  /**
   * Frames already sent that a pause also takes back (default 0): the client silences the reply the moment it
   * hears of the pause, so what was in flight and in its jitter buffer was never heard; a resume replays it.
   */
  rewindOnPauseFrames?: number
  pollMs?: number
  /** The poll's timer (default: the real clock). */
  clock?: Clock
  /** The reply started or stopped being audible (playing = frames are going out or waiting to). */
  onPlaying?(playing: boolean, turnId: string | null): void
  /** The first frame of a turn's reply went to the sender. */
  onFirstFrame?(turnId: string): void
}

/**
 * Plays one reply at a time into the session's paced Opus sender, keeping `lookaheadFrames` queued there. Pausing
 * (barge-in) takes the queued-but-unsent frames back at once, so the queue depth costs nothing when the user
 * interrupts: a false interruption resumes exactly where it stopped. The lookahead only has to cover event-loop
 * stalls, which would otherwise starve the sender mid-reply (a gap the client's jitter buffer answers with
 * concealment and a larger target delay for every later turn).
 *
 * Talkspurts start with a cushion: while the sender is empty, a reply that is still being synthesized is held until
 * `prebufferFrames` are ready (or its synthesis ended). Without it, a TTS that yields its first frame early and the
 * rest in bursts puts one frame on the wire, then a gap, then a burst — the client conceals the gap and raises its
 * jitter-buffer target (measured: 1 frame, 600 ms gap, 12 frames at once; target delay 77 ms → 720 ms over 3 turns).
 * Time comes from an injected clock, so it is tested with a fake clock.
 */
export class ReplyPlayer {
  private frames: Int16Array[] = []
  private cursor = 0
  private turnId: string | null = null
  private ended = false
  private paused = false
  private playingValue = false
  private firstSent = false
  private handle: TimerHandle = null
  private readonly lookahead: number
  private readonly prebuffer: number
  private readonly clock: Clock

  constructor(private readonly out: ReplyOutput, private readonly opts: ReplyPlayerOptions = {}) {
    this.lookahead = Math.max(1, opts.lookaheadFrames ?? 2)
    this.prebuffer = Math.max(1, opts.prebufferFrames ?? 1)
    this.clock = opts.clock ?? realClock
  }

  get playing(): boolean {
    return this.playingValue
  }

  get isPaused(): boolean {
    return this.paused
  }

  get currentTurn(): string | null {
    return this.turnId
  }

  /** Frames of the current reply not yet handed to the sender. */
  get pending(): number {
    return this.frames.length - this.cursor
  }

  /** A new reply; whatever was playing is dropped. */
  start(turnId: string): void {
    this.drop()
    this.turnId = turnId
    this.ended = false
    this.paused = false
    this.firstSent = false
  }

  push(pcm: Int16Array): void {
    if (this.turnId === null) return
    this.frames.push(pcm)
    this.setPlaying(true)
    this.pump()
    this.ensureTimer()
  }

  /** The reply is complete: once its last frame has gone out, playing ends. */
  end(): void {
    this.ended = true
    this.pump()
    this.ensureTimer()
  }

  pause(): void {
    if (this.paused || this.turnId === null) return
    this.paused = true
    const unsent = Math.min(this.out.replyQueued(), this.cursor)
    this.out.flushReply()
    const inFlight = Math.min(Math.max(0, this.opts.rewindOnPauseFrames ?? 0), this.cursor - unsent)
    this.cursor -= unsent + inFlight
  }

  resume(): void {
    if (!this.paused) return
    this.paused = false
    this.pump()
    this.ensureTimer()
  }

  /** Barge-in confirmed: drop the reply. */
  cancel(): void {
    this.drop()
    this.turnId = null
  }

  close(): void {
    this.cancel()
  }

  private drop(): void {
    if (this.frames.length > 0 || this.playingValue) this.out.flushReply()
    this.frames = []
    this.cursor = 0
    this.paused = false
    this.stopTimer()
    this.setPlaying(false)
  }

  private pump(): void {
    if (this.paused || this.turnId === null) return
    // The sender is idle: start the next talkspurt only with a cushion (or with whatever is left at the end).
    if (!this.ended && this.out.replyQueued() === 0 && this.frames.length - this.cursor < this.prebuffer) return
    while (this.cursor < this.frames.length && this.out.replyQueued() < this.lookahead) {
      this.out.reply(this.frames[this.cursor++]!)
      if (!this.firstSent) {
        this.firstSent = true
        this.opts.onFirstFrame?.(this.turnId)
      }
    }
    if (this.ended && this.cursor >= this.frames.length && this.out.replyQueued() === 0) {
      this.frames = []
      this.cursor = 0
      this.stopTimer()
      this.setPlaying(false)
    }
  }

  private setPlaying(playing: boolean): void {
    if (playing === this.playingValue) return
    this.playingValue = playing
    this.opts.onPlaying?.(playing, this.turnId)
  }

  private ensureTimer(): void {
    if (this.handle === null && this.playingValue) this.handle = this.clock.setInterval(() => this.pump(), this.opts.pollMs ?? 5)
  }

  private stopTimer(): void {
    if (this.handle !== null) this.clock.clearInterval(this.handle)
    this.handle = null
  }
}

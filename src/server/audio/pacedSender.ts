import type { Clock, TimerHandle } from '../../shared/clock'

export interface PacedFrame<T> {
  frame: T
  /** First frame of a talkspurt. */
  marker: boolean
  /** In samples at `sampleRate`, continuous within a talkspurt, advanced by wall time across idle gaps. */
  rtpTimestamp: number
  sequenceNumber: number
  /** When it was sent (clock.now()). */
  sentAt: number
}

export interface PacedSenderOptions<T = unknown> {
  frameMs?: number
  sampleRate?: number
  /** Frames queued beyond this are dropped (oldest kept) so a runaway producer cannot grow memory. */
  maxQueuedFrames?: number
  initialTimestamp?: number
  initialSequence?: number
  /** Asked at a tick when the queue is dry: a frame to send instead of going idle, or null (see PacedSender). */
  idleFill?: () => T | null
  /** Late frames sent back-to-back to catch up before the clock skips ahead instead (default 2). */
  maxCatchUpFrames?: number
}

/**
 * A steady 20 ms frame clock for reply audio. The clock is not free-running: when a frame is queued while the
 * sender is idle it goes out at once and the clock starts from that moment, so a reply never waits for the next tick
 * of an unrelated clock. While frames keep coming, one leaves every `frameMs`, with timer drift corrected against the
 * clock's origin. When the queue runs dry the sender goes idle; the next frame starts a new talkspurt (marker bit set,
 * RTP timestamp advanced by the real elapsed time so the receiver's jitter buffer sees true timing).
 * A late timer (the event loop was busy) is caught up by at most `maxCatchUpFrames` back-to-back frames; beyond that
 * the clock skips ahead and the RTP timestamp jumps by the skipped time. A burst would reach the receiver as audio
 * that arrived late for its timestamps, and its jitter buffer answers late audio by raising its target delay for
 * every later frame (measured: a 1.5 s stall burst in one second → target delay 1.2 s for the rest of the session);
 * a timestamp jump is a gap it conceals, with its delay unchanged. No frame is dropped: queued frames go out later.
 * With an idle filler, a tick that finds the queue dry first asks the filler: a frame it returns goes out in the
 * same talkspurt (the stream stays steady, e.g. silence between the sentences and turns of a conversation, so the
 * receiver's jitter buffer never sees a talkspurt start or a gap); null lets the sender go idle.
 * Pure scheduling: time and timers are injected, so tests drive it with a fake clock.
 */
export class PacedSender<T> {
  private readonly frameMs: number
  private readonly samplesPerFrame: number
  private readonly sampleRate: number
  private readonly maxQueued: number
  private readonly queue: T[] = []
  private timer: TimerHandle = null
  private origin = 0
  private ticks = 0
  private running = false
  private closed = false
  private nextTimestamp: number
  private nextSequence: number
  private lastSentAt: number | null = null
  private readonly idleFill: (() => T | null) | null
  private readonly maxCatchUp: number
  dropped = 0
  /** Times the clock skipped ahead after a late timer, and the time skipped (ms). */
  skips = 0
  skippedMs = 0
  /** Frames the idle filler supplied. */
  filled = 0
  sent = 0

  constructor(private readonly clock: Clock, private readonly send: (f: PacedFrame<T>) => void, opts: PacedSenderOptions<T> = {}) {
    this.frameMs = opts.frameMs ?? 20
    this.sampleRate = opts.sampleRate ?? 48_000
    this.samplesPerFrame = Math.round((this.sampleRate * this.frameMs) / 1000)
    this.maxQueued = opts.maxQueuedFrames ?? 1500
    this.nextTimestamp = (opts.initialTimestamp ?? 0) >>> 0
    this.nextSequence = (opts.initialSequence ?? 0) & 0xffff
    this.idleFill = opts.idleFill ?? null
    this.maxCatchUp = Math.max(0, opts.maxCatchUpFrames ?? 2)
  }

  get queued(): number {
    return this.queue.length
  }

  get idle(): boolean {
    return !this.running
  }

  enqueue(frame: T): void {
    if (this.closed) return
    if (this.queue.length >= this.maxQueued) {
      this.dropped++
      return
    }
    this.queue.push(frame)
    if (!this.running) this.startTalkspurt()
  }

  /** Drop everything queued (e.g. the user barged in); the current talkspurt ends at the next tick. */
  flush(): void {
    this.dropped += this.queue.length
    this.queue.length = 0
  }

  close(): void {
    this.closed = true
    this.queue.length = 0
    if (this.timer !== null) this.clock.clearTimeout(this.timer)
    this.timer = null
    this.running = false
  }

  private startTalkspurt(): void {
    this.running = true
    this.origin = this.clock.now()
    this.ticks = 0
    if (this.lastSentAt !== null) {
      // Keep RTP time in step with wall time across the silence (whole frames, at least one).
      const gapFrames = Math.max(1, Math.round((this.origin - this.lastSentAt) / this.frameMs))
      this.nextTimestamp = (this.nextTimestamp + (gapFrames - 1) * this.samplesPerFrame) >>> 0
    }
    this.emit(true)
    this.schedule()
  }

  private schedule(): void {
    this.ticks++
    const due = this.origin + this.ticks * this.frameMs
    this.timer = this.clock.setTimeout(() => this.tick(), Math.max(0, due - this.clock.now()))
  }

  private tick(): void {
    this.timer = null
    if (this.closed) return
    const lateFrames = Math.floor((this.clock.now() - (this.origin + this.ticks * this.frameMs)) / this.frameMs)
    if (lateFrames > this.maxCatchUp) {
      this.origin += lateFrames * this.frameMs
      this.nextTimestamp = (this.nextTimestamp + lateFrames * this.samplesPerFrame) >>> 0
      this.skips++
      this.skippedMs += lateFrames * this.frameMs
    }
    if (this.queue.length === 0) {
      const filler = this.idleFill?.() ?? null
      if (filler === null) {
        this.running = false
        return
      }
      this.filled++
      this.queue.push(filler)
    }
    this.emit(false)
    this.schedule()
  }

  private emit(marker: boolean): void {
    const frame = this.queue.shift() as T
    const sentAt = this.clock.now()
    this.send({ frame, marker, rtpTimestamp: this.nextTimestamp, sequenceNumber: this.nextSequence, sentAt })
    this.sent++
    this.lastSentAt = sentAt
    this.nextTimestamp = (this.nextTimestamp + this.samplesPerFrame) >>> 0
    this.nextSequence = (this.nextSequence + 1) & 0xffff
  }
}

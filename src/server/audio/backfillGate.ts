import type { AudioFrame } from './audioReceiver'
import { frameSamplesAt, RTP_TICKS_PER_FRAME, SAMPLE_RATE } from './opusCodec'

/**
 * Keeps the pipeline's audio complete and in order across an uplink outage. Pure: frames and times in, frames out.
 *
 * When the uplink comes back after a gap (the link was down; the producer was not paused), the session calls
 * `gap()` with the missing RTP timestamp range and asks the client for those frames (the client keeps its encoded
 * mic frames while the link is down). From then on, live frames are held instead of delivered. The client's frames
 * arrive through `backfill()`; `complete()` (the client sent all it had) or the wait running out (`poll()`) releases,
 * in order: the gap's frames (anything still missing filled with silence, marked concealed), then the held live
 * frames. Live audio is delayed by the backfill round trip, but nothing the user said is lost or reordered.
 */
export interface GapRange {
  /** First missing RTP timestamp (48 kHz units). */
  from: number
  /** Missing frames: from, from + 960, … (count). */
  frames: number
}

export interface BackfillGateStats {
  gaps: number
  backfilled: number
  unfilled: number
  timedOut: number
  released: number
}

export class BackfillGate {
  private pending: { range: GapRange; got: Map<number, AudioFrame>; since: number } | null = null
  private held: AudioFrame[] = []
  readonly stats: BackfillGateStats = { gaps: 0, backfilled: 0, unfilled: 0, timedOut: 0, released: 0 }

  constructor(
    private readonly deliver: (frame: AudioFrame) => void,
    /** sampleRate: of the frames (for the silence that fills what the client could not send); 48 kHz by default. */
    private readonly opts: { maxWaitMs?: number; maxFrames?: number; sampleRate?: number } = {}
  ) {}

  get holding(): boolean {
    return this.pending !== null
  }

  get range(): GapRange | null {
    return this.pending?.range ?? null
  }

  /** A gap was detected. While one is pending, a second one is concealed with silence (released with the first). */
  gap(range: GapRange, nowMs: number): boolean {
    if (range.frames <= 0) return false
    if (this.pending) return false
    this.stats.gaps++
    this.pending = { range: { from: range.from >>> 0, frames: Math.min(range.frames, this.opts.maxFrames ?? 1500) }, got: new Map(), since: nowMs }
    return true
  }

  /** Restart the wait (e.g. the client could only be asked now, after its signaling came back). */
  touch(nowMs: number): void {
    if (this.pending) this.pending.since = nowMs
  }

  frame(frame: AudioFrame): void {
    if (this.pending) this.held.push(frame)
    else this.deliver(frame)
  }

  /** Frames from the client for the pending gap; others (unknown timestamps, duplicates) are ignored. Returns how many were taken. */
  backfill(frames: AudioFrame[]): number {
    const p = this.pending
    if (!p) return 0
    let taken = 0
    for (const f of frames) {
      const index = ((f.rtpTimestamp - p.range.from) >>> 0) / RTP_TICKS_PER_FRAME
      if (!Number.isInteger(index) || index >= p.range.frames || p.got.has(index)) continue
      p.got.set(index, { ...f, concealed: false })
      taken++
    }
    return taken
  }

  /** Release the gap (filled as far as the client could) and everything held behind it. */
  complete(): void {
    const p = this.pending
    if (!p) return
    this.pending = null
    for (let i = 0; i < p.range.frames; i++) {
      const f = p.got.get(i)
      if (f) {
        this.stats.backfilled++
        this.deliver(f)
      } else {
        this.stats.unfilled++
        const sampleRate = this.opts.sampleRate ?? SAMPLE_RATE
        this.deliver({ pcm: new Int16Array(frameSamplesAt(sampleRate)), sampleRate, rtpTimestamp: (p.range.from + i * RTP_TICKS_PER_FRAME) >>> 0, concealed: true, recovery: 'silence', receivedAt: p.since })
      }
    }
    const held = this.held
    this.held = []
    this.stats.released += held.length
    for (const f of held) this.deliver(f)
  }

  /** Give up waiting after maxWaitMs (the client is gone or has nothing): release what we have. */
  poll(nowMs: number): void {
    if (this.pending && nowMs - this.pending.since >= (this.opts.maxWaitMs ?? 5000)) {
      this.stats.timedOut++
      this.complete()
    }
  }

  close(): void {
    this.pending = null
    this.held = []
  }
}

import { OPUS_FRAME_SAMPLES } from '../../../shared/audio/format'

/**
 * The last N seconds of the mic's encoded Opus frames, by RTP timestamp, as the sender put them on the wire (tapped
 * with WebRTC encoded transforms). When the link was down, the server asks for the frames it missed (an RTP timestamp
 * range) and the client sends them from here. Pure: no DOM, no timers.
 */
export interface MicFrame {
  rtpTimestamp: number
  data: Uint8Array
}

const FRAME_TICKS = OPUS_FRAME_SAMPLES // 20 ms at 48 kHz

export class MicFrameRing {
  private readonly frames: Array<MicFrame | undefined>
  private next = 0
  private count = 0

  /** `capacity` frames; the default keeps 30 s of 20 ms frames (~100 B each, ~150 KB). */
  constructor(readonly capacity = 1500) {
    this.frames = new Array<MicFrame | undefined>(capacity)
  }

  get size(): number {
    return this.count
  }

  push(rtpTimestamp: number, data: Uint8Array): void {
    this.frames[this.next] = { rtpTimestamp: rtpTimestamp >>> 0, data }
    this.next = (this.next + 1) % this.capacity
    this.count = Math.min(this.count + 1, this.capacity)
  }

  /** Frames whose timestamps fall in [from, from + frames × 960) (32-bit wraparound aware), oldest first. */
  range(from: number, frames: number): MicFrame[] {
    const span = frames * FRAME_TICKS
    const out: MicFrame[] = []
    for (let i = 0; i < this.count; i++) {
      const f = this.frames[(this.next - this.count + i + this.capacity) % this.capacity]!
      const offset = (f.rtpTimestamp - from) >>> 0
      if (offset < span) out.push(f)
    }
    return out
  }

  clear(): void {
    this.frames.fill(undefined)
    this.next = 0
    this.count = 0
  }
}

import { parseRtp, type RtpPacket } from './rtp'
import { ReorderBuffer } from './reorderBuffer'
import { frameSamplesAt, OpusFrameDecoder, RTP_TICKS_PER_FRAME, SAMPLE_RATE, type OpusDecodeRate } from './opusCodec'
import { OpusLossDecoder } from './opusLossDecoder'

/** One decoded 20 ms frame handed to the session pipeline. */
export interface AudioFrame {
  /** 20 ms of mono samples at `sampleRate` (48 kHz unless the session's pipeline asked for less). */
  pcm: Int16Array
  sampleRate: number
  /** RTP timestamp of the frame (48 kHz ticks whatever the sample rate): places it on the sender's timeline. */
  rtpTimestamp: number
  /** True when the frame was lost on the wire (or undecodable): rebuilt from FEC, concealed by PLC, or silence. */
  concealed: boolean
  /** How a concealed frame was filled: from the next packet's in-band FEC, by Opus PLC, or with silence. */
  recovery?: 'fec' | 'plc' | 'silence'
  /** Lost on the wire during a link outage and re-sent by the client afterwards (see BackfillGate). */
  backfilled?: boolean
  /** Receive time (performance.now()) of the packet that released this frame. */
  receivedAt: number
}

export interface AudioReceiverStats {
  packets: number
  malformed: number
  paddingOnly: number
  decoded: number
  concealed: number
  decodeErrors: number
  /** Lost frames rebuilt from the next packet's in-band FEC / by Opus packet-loss concealment. */
  fecRecovered: number
  plcConcealed: number
  late: number
  lostSeq: number
  /** Times the stream went back to the native decoder after a loss-free stretch. */
  nativeResumes: number
  /** Total decode time, ms (for CPU accounting). */
  decodeMs: number
}

/** Gaps longer than this (e.g. the producer was paused) are a discontinuity, not loss to conceal. */
const MAX_CONCEAL_FRAMES = 10
const WARMUP_PACKETS = 5
/** After this many packets in a row without loss (10 s), a stream on the loss decoder goes back to the native one. */
const NATIVE_AFTER_LOSS_FREE_PACKETS = 500

/**
 * RTP (from a DirectTransport consumer) → ordered, decoded 20 ms PCM frames. Handles reordering (short hold only
 * after a gap), padding-only probe packets (Chrome sends them in the same sequence space: they keep the order but
 * carry no audio), loss (silence for each missing 20 ms, placed by RTP timestamp) and corrupt packets.
 */
export class AudioReceiver {
  private readonly reorder: ReorderBuffer<RtpPacket>
  /** The fast native decoder until a loss; then the FEC/PLC-capable one for a while (see fillGap). */
  private decoder: OpusFrameDecoder | OpusLossDecoder
  private readonly sampleRate: OpusDecodeRate
  /** Samples per 20 ms frame at sampleRate. */
  private readonly frameSamples: number
  private lastTimestamp: number | null = null
  /** The last few payloads (to warm the other decoder's state when it takes over), copied into reused slots. */
  private readonly recent = new RecentPayloads(WARMUP_PACKETS)
  /** Packets decoded in a row since the last loss. */
  private lossFreeRun = 0
  readonly stats: AudioReceiverStats = { packets: 0, malformed: 0, paddingOnly: 0, decoded: 0, concealed: 0, decodeErrors: 0, fecRecovered: 0, plcConcealed: 0, late: 0, lostSeq: 0, nativeResumes: 0, decodeMs: 0 }

  constructor(
    private readonly onFrame: (frame: AudioFrame) => void,
    private readonly opts: {
      reorderHoldMs?: number
      /** What to decode to (default 48 kHz); every frame then has sampleRate / 50 samples. */
      sampleRate?: OpusDecodeRate
      /** Loss-free packets in a row after which a stream leaves the loss decoder (default 500 = 10 s). */
      nativeAfterLossFreePackets?: number
      /** The stream jumped ahead by more than a short loss (link down, or the producer was paused): called before the frame after the jump. */
      onDiscontinuity?(gap: { from: number; frames: number }): void
    } = {}
  ) {
    this.reorder = new ReorderBuffer(opts.reorderHoldMs ?? 60)
    this.sampleRate = opts.sampleRate ?? SAMPLE_RATE
    this.frameSamples = frameSamplesAt(this.sampleRate)
    this.decoder = new OpusFrameDecoder(this.sampleRate)
  }

  get hasHeldPackets(): boolean {
    return this.reorder.heldCount > 0
  }

  push(buf: Uint8Array, nowMs: number): void {
    this.stats.packets++
    const packet = parseRtp(buf)
    if (!packet) {
      this.stats.malformed++
      return
    }
    this.release(this.reorder.push(packet.sequenceNumber, packet, nowMs), nowMs)
    this.stats.late = this.reorder.stats.late
  }

  /** Give up on missing packets whose wait ran out. */
  poll(nowMs: number): void {
    this.release(this.reorder.poll(nowMs), nowMs)
  }

  private release(outputs: ReturnType<ReorderBuffer<RtpPacket>['push']>, nowMs: number): void {
    for (const out of outputs) {
      if (out.kind === 'lost') {
        this.stats.lostSeq++
        continue // placed by timestamp when the next audio arrives
      }
      const packet = out.item
      if (packet.payload.length === 0) {
        this.stats.paddingOnly++
        continue
      }
      this.decodePacket(packet, nowMs)
    }
  }

  /**
   * Fill the `gap - 1` frames lost before `next`. Lost frames are where the stream's loss recovery matters, so on a
   * loss the stream switches from the native decoder (@evan/opus, fast, but no FEC/PLC) to OpusLossDecoder (its
   * libopus as WebAssembly, ~2x the CPU), and back after NATIVE_AFTER_LOSS_FREE_PACKETS without loss: loss-free
   * streams keep the cheap path, and a burst of loss on a busy server does not make it slower for good. The frame
   * right before `next` is rebuilt from next's in-band FEC; any earlier ones by PLC.
   */
  private fillGap(gap: number, lastTimestamp: number, next: Uint8Array, nowMs: number): void {
    this.lossFreeRun = 0
    if (!(this.decoder instanceof OpusLossDecoder)) {
      try {
        const lossDecoder = new OpusLossDecoder(this.sampleRate)
        // Warm the new decoder's state on the last packets before the loss, so FEC/PLC start from real history.
        for (const p of this.recent.inOrder()) lossDecoder.decode(p)
        this.decoder = lossDecoder
      } catch {
        // Keep the native decoder; losses are filled with silence.
      }
    }
    const decoder = this.decoder
    for (let i = 1; i < gap; i++) {
      this.stats.concealed++
      let pcm: Int16Array = new Int16Array(this.frameSamples)
      let recovery: 'fec' | 'plc' | 'silence' = 'silence'
      if (decoder instanceof OpusLossDecoder) {
        try {
          const out = i === gap - 1 ? decoder.decodeFec(next, this.frameSamples) : decoder.conceal(this.frameSamples)
          if (out.length === this.frameSamples) {
            pcm = out
            recovery = i === gap - 1 ? 'fec' : 'plc'
            if (recovery === 'fec') this.stats.fecRecovered++
            else this.stats.plcConcealed++
          }
        } catch {
          // silence
        }
      }
      this.onFrame({ pcm, sampleRate: this.sampleRate, rtpTimestamp: (lastTimestamp + i * RTP_TICKS_PER_FRAME) >>> 0, concealed: true, recovery, receivedAt: nowMs })
    }
  }

  /** The native decoder takes over again, its state warmed on the last packets. */
  private backToNative(): void {
    const native = new OpusFrameDecoder(this.sampleRate)
    try {
      for (const p of this.recent.inOrder()) native.decode(p)
    } catch {
      this.lossFreeRun = 0 // stay on the loss decoder; try again after another loss-free stretch
      return
    }
    ;(this.decoder as OpusLossDecoder).close()
    this.decoder = native
    this.stats.nativeResumes++
  }

  /** Free the decoder's memory (the loss decoder lives in WebAssembly memory, outside the JS heap). Idempotent. */
  close(): void {
    if (this.decoder instanceof OpusLossDecoder) this.decoder.close()
  }

  private decodePacket(packet: RtpPacket, nowMs: number): void {
    if (this.lastTimestamp !== null) {
      const gap = Math.round(((packet.timestamp - this.lastTimestamp) >>> 0) / RTP_TICKS_PER_FRAME)
      if (gap > 1 && gap <= MAX_CONCEAL_FRAMES) {
        this.fillGap(gap, this.lastTimestamp, packet.payload, nowMs)
      } else if (gap < 1 || gap > 0x7fffffff / RTP_TICKS_PER_FRAME) {
        // Timestamp went backwards: a restarted sender. Start a new timeline.
      } else if (gap > MAX_CONCEAL_FRAMES) {
        // A jump (outage or pause): decoding on from the state before it produces loud artifacts. Start afresh.
        this.decoder.reset()
        this.recent.clear()
        this.opts.onDiscontinuity?.({ from: (this.lastTimestamp + RTP_TICKS_PER_FRAME) >>> 0, frames: gap - 1 })
      }
    }
    this.lastTimestamp = packet.timestamp
    if (this.decoder instanceof OpusLossDecoder && ++this.lossFreeRun >= (this.opts.nativeAfterLossFreePackets ?? NATIVE_AFTER_LOSS_FREE_PACKETS)) this.backToNative()
    const t0 = performance.now()
    let pcm: Int16Array
    let concealed = false
    try {
      pcm = this.decoder.decode(packet.payload)
      this.recent.push(packet.payload)
      if (pcm.length !== this.frameSamples) {
        // Not a 20 ms packet: keep the timeline in 20 ms units by fitting it.
        const fitted = new Int16Array(this.frameSamples)
        fitted.set(pcm.subarray(0, this.frameSamples))
        pcm = fitted
      }
      this.stats.decoded++
    } catch {
      this.stats.decodeErrors++
      pcm = new Int16Array(this.frameSamples)
      concealed = true
    }
    this.stats.decodeMs += performance.now() - t0
    this.onFrame({ pcm, sampleRate: this.sampleRate, rtpTimestamp: packet.timestamp, concealed, receivedAt: nowMs })
  }
}

/** The last `count` packet payloads, copied into slots that are reused (no allocation per packet). */
class RecentPayloads {
  private readonly slots: Uint8Array[]
  private readonly lengths: number[]
  private next = 0
  private size = 0

  constructor(private readonly count: number) {
    this.slots = Array.from({ length: count }, () => new Uint8Array(1500))
    this.lengths = new Array<number>(count).fill(0)
  }

  push(payload: Uint8Array): void {
    if (payload.length > 1500) return // not an audio packet this receiver can decode anyway
    this.slots[this.next]!.set(payload)
    this.lengths[this.next] = payload.length
    this.next = (this.next + 1) % this.count
    this.size = Math.min(this.count, this.size + 1)
  }

  clear(): void {
    this.size = 0
  }

  /** Oldest first, as views into the slots (valid until the next push). */
  inOrder(): Uint8Array[] {
    const out: Uint8Array[] = []
    for (let i = this.size; i > 0; i--) {
      const at = (this.next - i + this.count) % this.count
      out.push(this.slots[at]!.subarray(0, this.lengths[at]))
    }
    return out
  }
}

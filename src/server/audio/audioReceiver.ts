import { parseRtp, type RtpPacket } from './rtp'
import { ReorderBuffer } from './reorderBuffer'
import { FRAME_SAMPLES, OpusFrameDecoder } from './opusCodec'
import { OpusLossDecoder } from './opusLossDecoder'

/** One decoded 20 ms frame handed to the session pipeline. */
export interface AudioFrame {
  /** 48 kHz mono samples (FRAME_SAMPLES of them). */
  pcm: Int16Array
  /** RTP timestamp of the frame (48 kHz units): places it on the sender's timeline. */
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
  /** Total decode time, ms (for CPU accounting). */
  decodeMs: number
}

/** Gaps longer than this (e.g. the producer was paused) are a discontinuity, not loss to conceal. */
const MAX_CONCEAL_FRAMES = 10
const WARMUP_PACKETS = 5

/**
 * RTP (from a DirectTransport consumer) → ordered, decoded 20 ms PCM frames. Handles reordering (short hold only
 * after a gap), padding-only probe packets (Chrome sends them in the same sequence space: they keep the order but
 * carry no audio), loss (silence for each missing 20 ms, placed by RTP timestamp) and corrupt packets.
 */
export class AudioReceiver {
  private readonly reorder: ReorderBuffer<RtpPacket>
  /** The fast native decoder until the first loss; then the FEC/PLC-capable one (see decodePacket). */
  private decoder: OpusFrameDecoder | OpusLossDecoder = new OpusFrameDecoder()
  private lastTimestamp: number | null = null
  /** The last few payloads while on the native decoder (to warm the loss decoder's state when it takes over). */
  private recent: Uint8Array[] = []
  readonly stats: AudioReceiverStats = { packets: 0, malformed: 0, paddingOnly: 0, decoded: 0, concealed: 0, decodeErrors: 0, fecRecovered: 0, plcConcealed: 0, late: 0, lostSeq: 0, decodeMs: 0 }

  constructor(
    private readonly onFrame: (frame: AudioFrame) => void,
    private readonly opts: {
      reorderHoldMs?: number
      /** The stream jumped ahead by more than a short loss (link down, or the producer was paused): called before the frame after the jump. */
      onDiscontinuity?(gap: { from: number; frames: number }): void
    } = {}
  ) {
    this.reorder = new ReorderBuffer(opts.reorderHoldMs ?? 60)
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
   * Fill the `gap - 1` frames lost before `next`. Lost frames are where the stream's loss recovery matters, so on the
   * first loss the stream switches from the native decoder (@evan/opus, fast, but no FEC/PLC) to OpusLossDecoder
   * (its libopus as WebAssembly, ~2x the CPU) for the rest of the stream: loss-free streams keep the cheap path.
   * The frame right before `next` is rebuilt from next's in-band FEC; any earlier ones by PLC.
   */
  private fillGap(gap: number, lastTimestamp: number, next: Uint8Array, nowMs: number): void {
    if (!(this.decoder instanceof OpusLossDecoder)) {
      try {
        const lossDecoder = new OpusLossDecoder()
        // Warm the new decoder's state on the last packets before the loss, so FEC/PLC start from real history.
        for (const p of this.recent.splice(0)) lossDecoder.decode(p)
        this.decoder = lossDecoder
      } catch {
        // Keep the native decoder; losses are filled with silence.
      }
    }
    const decoder = this.decoder
    for (let i = 1; i < gap; i++) {
      this.stats.concealed++
      let pcm: Int16Array = new Int16Array(FRAME_SAMPLES)
      let recovery: 'fec' | 'plc' | 'silence' = 'silence'
      if (decoder instanceof OpusLossDecoder) {
        try {
          const out = i === gap - 1 ? decoder.decodeFec(next, FRAME_SAMPLES) : decoder.conceal(FRAME_SAMPLES)
          if (out.length === FRAME_SAMPLES) {
            pcm = out
            recovery = i === gap - 1 ? 'fec' : 'plc'
            if (recovery === 'fec') this.stats.fecRecovered++
            else this.stats.plcConcealed++
          }
        } catch {
          // silence
        }
      }
      this.onFrame({ pcm, rtpTimestamp: (lastTimestamp + i * FRAME_SAMPLES) >>> 0, concealed: true, recovery, receivedAt: nowMs })
    }
  }

  /** Free the decoder's memory (the loss decoder lives in WebAssembly memory, outside the JS heap). Idempotent. */
  close(): void {
    if (this.decoder instanceof OpusLossDecoder) this.decoder.close()
  }

  private decodePacket(packet: RtpPacket, nowMs: number): void {
    if (this.lastTimestamp !== null) {
      const gap = Math.round(((packet.timestamp - this.lastTimestamp) >>> 0) / FRAME_SAMPLES)
      if (gap > 1 && gap <= MAX_CONCEAL_FRAMES) {
        this.fillGap(gap, this.lastTimestamp, packet.payload, nowMs)
      } else if (gap < 1 || gap > 0x7fffffff / FRAME_SAMPLES) {
        // Timestamp went backwards: a restarted sender. Start a new timeline.
      } else if (gap > MAX_CONCEAL_FRAMES) {
        // A jump (outage or pause): decoding on from the state before it produces loud artifacts. Start afresh.
        this.decoder.reset()
        this.recent = []
        this.opts.onDiscontinuity?.({ from: (this.lastTimestamp + FRAME_SAMPLES) >>> 0, frames: gap - 1 })
      }
    }
    this.lastTimestamp = packet.timestamp
    const t0 = performance.now()
    let pcm: Int16Array
    let concealed = false
    try {
      pcm = this.decoder.decode(packet.payload)
      if (!(this.decoder instanceof OpusLossDecoder)) {
        this.recent.push(Uint8Array.from(packet.payload))
        if (this.recent.length > WARMUP_PACKETS) this.recent.shift()
      }
      if (pcm.length !== FRAME_SAMPLES) {
        // Not a 20 ms packet: keep the timeline in 20 ms units by fitting it.
        const fitted = new Int16Array(FRAME_SAMPLES)
        fitted.set(pcm.subarray(0, FRAME_SAMPLES))
        pcm = fitted
      }
      this.stats.decoded++
    } catch {
      this.stats.decodeErrors++
      pcm = new Int16Array(FRAME_SAMPLES)
      concealed = true
    }
    this.stats.decodeMs += performance.now() - t0
    this.onFrame({ pcm, rtpTimestamp: packet.timestamp, concealed, receivedAt: nowMs })
  }
}

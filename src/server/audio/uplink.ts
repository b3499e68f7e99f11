import { AudioReceiver, type AudioFrame, type AudioReceiverStats } from './audioReceiver'
import { BackfillGate, type BackfillGateStats, type GapRange } from './backfillGate'
import { frameSamplesAt, OpusFrameDecoder, SAMPLE_RATE, type OpusDecodeRate } from './opusCodec'
import { realClock, type Clock, type TimerHandle } from '../../shared/clock'
import type { Logger } from '../../shared/logging/logger'

/** While the receiver holds packets after a gap, it is polled this often so they leave by time, not by the next packet. */
const REORDER_POLL_MS = 20
/** While a gap waits for the client's backfill, the gate's wait is checked this often (it gives up after 5 s). */
const BACKFILL_POLL_MS = 100

/** What the uplink reports to its session. */
export interface UplinkHooks {
  /** Every 20 ms frame the session's pipeline should see, in RTP timestamp order: decoded, concealed or backfilled. */
  onFrame(frame: AudioFrame): void
  /** The first RTP packet after the stream was new or resumed (clock time, ms). */
  onFirstRtp?(nowMs: number): void
  /** Ask the client for the frames it kept while the link was down (the session sends an uplinkGap notification). */
  requestBackfill(range: GapRange): void
  /** Where the uplink's notes go (the session's logger). */
  logger?: Logger
}

export interface UplinkOptions {
  /** What to decode to: the pipeline's inputSampleRate (48 kHz by default). */
  sampleRate?: OpusDecodeRate
  /** Time and timers (the real clock by default); tests drive the uplink with a fake one. */
  clock?: Clock
}

/** Receive counts over every stream of the uplink (a new mic producer starts a new receiver): what metrics count. */
export interface UplinkTotals {
  packets: number
  /** Sequence numbers never received (the reorder buffer gave up on them). */
  lost: number
  /** Decode time, ms. */
  decodeMs: number
}

export interface UplinkStats {
  receiver: AudioReceiverStats
  /** Audio the client re-sent after a link outage (see BackfillGate). */
  backfill: BackfillGateStats
}

/** One frame the client kept while the link was down: its Opus packet, by RTP timestamp. */
export interface BackfillFrame {
  rtpTimestamp: number
  opus: Uint8Array
}

/**
 * The mic's way in: RTP from the DirectTransport tap → decoded 20 ms frames in order, complete across an outage.
 * It owns the AudioReceiver (reordering, loss concealment, the native ↔ loss decoder hand-over), the BackfillGate
 * (live audio held behind a gap while the client re-sends what it kept), the first-RTP and timestamp-jump handling,
 * and the two timers that release held audio by time. Time comes from an injected clock. It knows nothing of
 * mediasoup or signaling: the session feeds it packets and relays its backfill requests.
 */
export class Uplink {
  private readonly sampleRate: OpusDecodeRate
  private readonly clock: Clock
  private readonly gate: BackfillGate
  private receiver: AudioReceiver
  /** What the receivers before the current one counted (restart replaces the receiver and its stats). */
  private readonly retired: UplinkTotals = { packets: 0, lost: 0, decodeMs: 0 }
  /**
   * Decodes the client's backfilled frames: a stream of its own (they are not in the live decoder's history), made
   * when a gap's first backfill arrives and dropped when the gap is released.
   */
  private backfillDecoder: OpusFrameDecoder | null = null
  private reorderTimer: TimerHandle | null = null
  private backfillTimer: TimerHandle | null = null
  private waitingFirstRtp = true
  /** The next jump in the mic's RTP timeline is expected (producer new or just resumed), not an outage. */
  private jumpExpected = true
  private closed = false

  constructor(private readonly hooks: UplinkHooks, opts: UplinkOptions = {}) {
    this.sampleRate = opts.sampleRate ?? SAMPLE_RATE
    this.clock = opts.clock ?? realClock
    this.gate = new BackfillGate((frame) => this.hooks.onFrame(frame), { sampleRate: this.sampleRate })
    this.receiver = this.newReceiver()
  }

  get stats(): UplinkStats {
    return { receiver: { ...this.receiver.stats }, backfill: { ...this.gate.stats } }
  }

  /** Counts since the uplink was made, across restarts (read at a metrics scrape, never per packet). */
  get totals(): UplinkTotals {
    const r = this.receiver.stats
    return { packets: this.retired.packets + r.packets, lost: this.retired.lost + r.lostSeq, decodeMs: this.retired.decodeMs + r.decodeMs }
  }

  /** A gap is waiting for the client's frames (live audio is held behind it). */
  get awaitingBackfill(): boolean {
    return this.gate.holding
  }

  /** A new stream (a new mic producer): a fresh receiver for its timeline, and the jump into it is expected. */
  restart(): void {
    this.jumpExpected = true
    const r = this.receiver.stats
    this.retired.packets += r.packets
    this.retired.lost += r.lostSeq
    this.retired.decodeMs += r.decodeMs
    this.receiver.close()
    this.receiver = this.newReceiver()
    this.waitingFirstRtp = true
  }

  /** The stream was resumed after a pause: the jump over the pause is expected, and its first packet is reported. */
  resumed(): void {
    this.waitingFirstRtp = true
    this.jumpExpected = true
  }

  /** One RTP packet from the tap. */
  push(rtp: Uint8Array): void {
    if (this.closed) return
    const now = this.clock.now()
    const first = this.waitingFirstRtp
    if (first) {
      this.waitingFirstRtp = false
      this.hooks.onFirstRtp?.(now)
    }
    this.receiver.push(rtp, now)
    if (!first) this.jumpExpected = false
    // Packets held after a gap are released by time, even if no more packets come.
    if (this.receiver.hasHeldPackets && this.reorderTimer === null) this.reorderTimer = this.clock.setTimeout(() => this.pollReorder(), REORDER_POLL_MS)
  }

  /**
   * The client's answer to a backfill request: encoded frames it kept while the link was down. Decoded in timestamp
   * order and handed to the gate; `done` releases the gap and the live audio held behind it. Returns how many frames
   * the gate took (0 when no gap is waiting).
   */
  backfill(frames: BackfillFrame[], done: boolean): number {
    if (this.closed || !this.gate.holding) return 0
    const decoder = (this.backfillDecoder ??= new OpusFrameDecoder(this.sampleRate))
    const frameSamples = frameSamplesAt(this.sampleRate)
    const now = this.clock.now()
    const decoded: AudioFrame[] = []
    for (const f of [...frames].sort((a, b) => ((a.rtpTimestamp - b.rtpTimestamp) | 0))) {
      try {
        const pcm = decoder.decode(f.opus)
        if (pcm.length !== frameSamples) continue
        decoded.push({ pcm, sampleRate: this.sampleRate, rtpTimestamp: f.rtpTimestamp >>> 0, concealed: false, backfilled: true, receivedAt: now })
      } catch {
        // undecodable: the gap keeps silence there
      }
    }
    const accepted = this.gate.backfill(decoded)
    if (done) this.finishBackfill()
    return accepted
  }

  /** The client can be asked again (its signaling came back): a gap found while it was away is asked for now, and waited for from now. */
  clientReachable(): void {
    if (this.closed || !this.gate.holding) return
    this.gate.touch(this.clock.now())
    this.askForBackfill()
  }

  /** Idempotent. Stops both timers, drops held audio and frees the decoders. */
  close(): void {
    if (this.closed) return
    this.closed = true
    if (this.reorderTimer !== null) this.clock.clearTimeout(this.reorderTimer)
    this.reorderTimer = null
    if (this.backfillTimer !== null) this.clock.clearTimeout(this.backfillTimer)
    this.backfillTimer = null
    this.gate.close()
    this.receiver.close()
    this.backfillDecoder = null
  }

  private newReceiver(): AudioReceiver {
    return new AudioReceiver((frame) => this.gate.frame(frame), { sampleRate: this.sampleRate, onDiscontinuity: (gap) => this.onJump(gap) })
  }

  private pollReorder(): void {
    this.reorderTimer = null
    if (this.closed) return
    this.receiver.poll(this.clock.now())
    if (!this.closed && this.receiver.hasHeldPackets) this.reorderTimer = this.clock.setTimeout(() => this.pollReorder(), REORDER_POLL_MS)
  }

  /** The mic stream jumped ahead. After a pause/new producer that is expected; otherwise the link was down. */
  private onJump(gap: GapRange): void {
    if (this.jumpExpected) return
    if (!this.gate.gap(gap, this.clock.now())) return
    this.hooks.logger?.info('uplink gap: asking the client for the missing frames', { frames: gap.frames })
    this.askForBackfill()
    if (this.backfillTimer === null) this.backfillTimer = this.clock.setTimeout(() => this.pollBackfill(), BACKFILL_POLL_MS)
  }

  private pollBackfill(): void {
    this.backfillTimer = null
    if (this.closed) return
    this.gate.poll(this.clock.now())
    if (!this.gate.holding) this.finishBackfill()
    else if (!this.closed) this.backfillTimer = this.clock.setTimeout(() => this.pollBackfill(), BACKFILL_POLL_MS)
  }

  private askForBackfill(): void {
    const range = this.gate.range
    if (range) this.hooks.requestBackfill(range)
  }

  private finishBackfill(): void {
    this.gate.complete()
    this.backfillDecoder = null
    if (this.backfillTimer !== null) this.clock.clearTimeout(this.backfillTimer)
    this.backfillTimer = null
  }
}

import { SPEECH_FRAME_MS, SPEECH_FRAME_SAMPLES, SPEECH_SAMPLE_RATE } from '../../shared/audio/format'
import { realClock, type Clock, type TimerHandle } from '../../shared/clock'
import { Endpointer, type EndpointEvent, type EndpointerConfig } from '../../shared/voice/endpointer'
import { Slab } from '../audio/slab'
import type { FrameBatch } from './frameBatch'
import type { Logger } from '../../shared/logging/logger'

/**
 * The backend's VAD backstop: Silero over every voice session's decoded uplink, batched. All streams of this
 * backend process advance together: one tick every 32 ms takes one 512-sample frame (16 kHz) from each stream that
 * has one ready and runs ONE inference for all of them (SileroVadBatch, per-stream state and context, only the
 * streams with a frame in the call). The mediasoup workers only move packets and decoding runs on the main thread,
 * so one batch per process is one call per tick for every session of every worker; the inference itself runs on
 * its own thread (WorkerFrameBatch), off the thread that decodes the uplink and paces the replies.
 *
 * Each stream runs its own Endpointer on its probabilities, so the pipeline gets the same speech_start / speech_end /
 * speech_resume / end_of_utterance events the app's local VAD sends, on the server's timeline.
 */

export const SERVER_VAD_RATE = SPEECH_SAMPLE_RATE
export const SERVER_VAD_FRAME = SPEECH_FRAME_SAMPLES
export const SERVER_VAD_FRAME_MS = SPEECH_FRAME_MS

export type { FrameBatch } from './frameBatch'

export interface BatchedServerVadOptions {
  /** Starts the batch (called again if a running one dies). */
  loadBatch: () => Promise<FrameBatch>
  tickMs?: number
  /** The tick's timer and the restart window's time (default: the real clock). */
  clock?: Clock
  /** Frames a stream may fall behind before its oldest ones are dropped (the backstop wants fresh audio). */
  maxBacklogFrames?: number
  logger?: Logger
  /** After each inference that answered: how many streams' frames it classified and how long it took (ms). Metrics. */
  onBatch?: (frames: number, ms: number) => void
}

export interface ServerVadEvent {
  event: EndpointEvent
  /** Date.now() when the audio at the event's position arrived at the backend (for the uplink_arrival mark). */
  arrivalAt: (streamMs: number) => number | null
}

export interface ServerVadStream {
  /**
   * The uplink at 16 kHz, 16-bit (decoded at 16 kHz, or decimate48to16 of 48 kHz frames), in order; `arrivedAt` is
   * the epoch time the packet arrived. The samples are copied.
   */
  push(samples16k: Int16Array, arrivedAt: number): void
  close(): void
  readonly timeMs: number
}

export interface ServerVadStats {
  ticks: number
  /** Inference calls (one per tick with any frame ready, per batch). */
  calls: number
  framesClassified: number
  framesDropped: number
  streams: number
  /** Total time from sending a batch to having its probabilities (ms). */
  inferenceMs: number
  /** Batches started after the previous one died. */
  restarts: number
}

interface StreamSlot {
  slot: number
  ready: Float32Array[]
  readyArrival: number[]
  partial: Float32Array
  partialLength: number
  endpointer: Endpointer
  onEvent: (e: ServerVadEvent) => void
  onProbability: ((p: number) => void) | undefined
  /** Arrival epoch of each classified frame's end, for mapping stream ms → arrival time (last ~30 s). */
  arrivals: number[]
  arrivalsStartFrame: number
  closed: boolean
}

const ARRIVAL_HISTORY_FRAMES = 1000 // 32 s
/** A batch that dies is replaced; more deaths than this within RESTART_WINDOW_MS turn the backstop off. */
const MAX_RESTARTS = 3
const RESTART_WINDOW_MS = 60_000

export class BatchedServerVad {
  private batch: FrameBatch | null = null
  private loading: Promise<void> | null = null
  private loadError: Error | null = null
  private readonly streams: Array<StreamSlot | null> = []
  private timer: TimerHandle = null
  private busy = false
  readonly stats: ServerVadStats = { ticks: 0, calls: 0, framesClassified: 0, framesDropped: 0, streams: 0, inferenceMs: 0, restarts: 0 }
  private readonly restartTimes: number[] = []
  /** Frames waiting in the streams are views of shared blocks (see Slab). */
  private readonly frameSlab = new Slab((n) => new Float32Array(n), SERVER_VAD_FRAME * 64)
  /** One call's input, reused (grown when more streams have a frame than ever before). */
  private packedSlots = new Int32Array(64)
  private packedFrames = new Float32Array(64 * SERVER_VAD_FRAME)
  private readonly clock: Clock
  private readonly tickMs: number
  private readonly maxBacklog: number

  constructor(private readonly opts: BatchedServerVadOptions) {
    this.maxBacklog = opts.maxBacklogFrames ?? 8
    this.clock = opts.clock ?? realClock
    this.tickMs = opts.tickMs ?? SERVER_VAD_FRAME_MS
  }

  /** Why the backstop cannot run (model missing / failed to load), or null. */
  get error(): string | null {
    return this.loadError?.message ?? null
  }

  open(config: Partial<EndpointerConfig>, onEvent: (e: ServerVadEvent) => void, onProbability?: (p: number) => void): ServerVadStream {
    let slot = this.streams.indexOf(null)
    if (slot < 0) {
      slot = this.streams.length
      this.streams.push(null)
    }
    const s: StreamSlot = {
      slot,
      ready: [],
      readyArrival: [],
      partial: this.frameSlab.take(SERVER_VAD_FRAME),
      partialLength: 0,
      endpointer: new Endpointer(config, SERVER_VAD_FRAME_MS),
      onEvent,
      onProbability,
      arrivals: [],
      arrivalsStartFrame: 0,
      closed: false
    }
    this.streams[slot] = s
    this.stats.streams++
    this.batch?.resetStream(slot)
    this.ensureRunning()
    const maxBacklog = this.maxBacklog
    return {
      push: (samples16k, arrivedAt) => {
        if (s.closed) return
        for (let i = 0; i < samples16k.length; i++) {
          s.partial[s.partialLength++] = samples16k[i]! / 32768
          if (s.partialLength === SERVER_VAD_FRAME) {
            s.ready.push(s.partial)
            s.readyArrival.push(arrivedAt)
            s.partial = this.frameSlab.take(SERVER_VAD_FRAME)
            s.partialLength = 0
            if (s.ready.length > maxBacklog) {
              s.ready.shift()
              s.readyArrival.shift()
              this.stats.framesDropped++
              // Keep the endpointer's timeline in step with the audio: a dropped frame counts as silence.
              this.deliver(s, s.endpointer.push(0))
            }
          }
        }
      },
      close: () => {
        if (s.closed) return
        s.closed = true
        this.streams[s.slot] = null
        this.stats.streams--
        if (this.stats.streams === 0) this.stop()
      },
      get timeMs() {
        return s.endpointer.timeMs
      }
    }
  }

  /** Stop the tick (no streams left); the loaded model stays for the next stream. */
  stop(): void {
    if (this.timer !== null) this.clock.clearInterval(this.timer)
    this.timer = null
  }

  /** Stop and release the batch (its thread). */
  async close(): Promise<void> {
    this.stop()
    await this.loading
    const batch = this.batch
    this.batch = null
    await batch?.close?.()
  }

  private ensureRunning(): void {
    if (this.timer === null) this.timer = this.clock.setInterval(() => void this.tick(), this.tickMs)
    if (!this.batch && !this.loading && !this.loadError) this.loading = this.load()
  }

  private async load(): Promise<void> {
    try {
      this.batch = await this.opts.loadBatch()
    } catch (error) {
      this.loadError = error instanceof Error ? error : new Error(String(error))
      this.opts.logger?.warn('server VAD unavailable', { error: this.loadError.message })
    } finally {
      this.loading = null
    }
  }

  /**
   * The batch died (its thread exited): start a new one, unless that keeps happening. The model's state starts afresh
   * for every stream; their endpointers keep their timelines.
   */
  private replaceDeadBatch(reason: string): void {
    this.batch = null
    const now = this.clock.now()
    while (this.restartTimes.length && now - this.restartTimes[0]! > RESTART_WINDOW_MS) this.restartTimes.shift()
    if (this.restartTimes.length >= MAX_RESTARTS) {
      this.loadError = new Error(`the server VAD failed ${MAX_RESTARTS + 1} times within ${RESTART_WINDOW_MS / 1000} s, last: ${reason}`)
      this.opts.logger?.error('server VAD off', { error: this.loadError.message })
      return
    }
    this.restartTimes.push(now)
    this.stats.restarts++
    this.opts.logger?.warn('server VAD restarting', { reason })
    this.ensureRunning()
  }

  /**
   * One tick: one inference over every stream with a frame ready, repeated while any stream still has a backlog.
   * Taking only one frame per tick left every tick that came late (a loaded event loop) as 32 ms of permanent lag,
   * up to the whole backlog (8 frames = 256 ms) — a barge-in then paused the reply that much later. Public for tests
   * with a manual clock.
   */
  async tick(): Promise<void> {
    this.stats.ticks++
    if (this.busy) return // the previous tick's inferences are still running: it drains what arrived meanwhile
    this.busy = true
    try {
      for (let round = 0; round <= this.maxBacklog; round++) if (!(await this.classifyOneFrameEach())) break
    } finally {
      this.busy = false
    }
  }

  /** One inference over the oldest ready frame of every stream; false when no stream had one. */
  private async classifyOneFrameEach(): Promise<boolean> {
    const batch = this.batch
    if (!batch) {
      // Model not loaded (yet): keep the audio timeline moving without classifying.
      for (const s of this.streams) if (s) this.discardReady(s)
      return false
    }
    const ready = this.streams.filter((s): s is StreamSlot => s !== null && s.ready.length > 0)
    if (ready.length === 0) return false
    if (this.packedSlots.length < ready.length) {
      this.packedSlots = new Int32Array(ready.length * 2)
      this.packedFrames = new Float32Array(ready.length * 2 * SERVER_VAD_FRAME)
    }
    const slots = this.packedSlots.subarray(0, ready.length)
    const frames = this.packedFrames.subarray(0, ready.length * SERVER_VAD_FRAME)
    const taken = ready.map((s, i) => {
      slots[i] = s.slot
      frames.set(s.ready.shift()!, i * SERVER_VAD_FRAME)
      return { s, arrival: s.readyArrival.shift()! }
    })
    const t0 = this.clock.now()
    let probs: Float32Array
    let ms: number
    try {
      probs = await batch.process(slots, frames)
    } catch (error) {
      const message = (error as Error).message
      if (batch.alive === false) {
        if (this.batch === batch) this.replaceDeadBatch(message)
      } else this.opts.logger?.warn('server VAD inference failed', { error: message })
      return false
    } finally {
      ms = this.clock.now() - t0
      this.stats.inferenceMs += ms
    }
    this.stats.calls++
    this.stats.framesClassified += taken.length
    this.opts.onBatch?.(taken.length, ms)
    for (let i = 0; i < taken.length; i++) {
      const { s, arrival } = taken[i]!
      if (s.closed) continue
      const p = probs[i]!
      s.arrivals.push(arrival)
      if (s.arrivals.length > ARRIVAL_HISTORY_FRAMES) {
        s.arrivals.shift()
        s.arrivalsStartFrame++
      }
      const prob = Number.isFinite(p) ? p : 0
      s.onProbability?.(prob)
      this.deliver(s, s.endpointer.push(prob))
    }
    return true
  }

  private discardReady(s: StreamSlot): void {
    s.ready.length = 0
    s.readyArrival.length = 0
  }

  private deliver(s: StreamSlot, events: EndpointEvent[]): void {
    for (const event of events) {
      s.onEvent({
        event,
        arrivalAt: (streamMs) => {
          const frame = Math.floor(streamMs / SERVER_VAD_FRAME_MS) - s.arrivalsStartFrame
          return s.arrivals[Math.max(0, Math.min(s.arrivals.length - 1, frame))] ?? null
        }
      })
    }
  }
}

import { Endpointer, type EndpointEvent, type EndpointerConfig } from '../../shared/voice/endpointer'

/**
 * The backend's VAD backstop: Silero over every voice session's decoded uplink, batched. All streams of this
 * backend process advance together: one tick every 32 ms takes at most one 512-sample frame (16 kHz) from each
 * stream that has one ready and runs ONE inference for all of them (SileroVadBatch, per-stream state and context).
 * The mediasoup workers only move packets; decoding and everything after it runs on this Node thread, so one batch
 * per process is one call per tick for every session of every worker (fewer, larger calls than one per worker).
 *
 * Each stream runs its own Endpointer on its probabilities, so the pipeline gets the same speech_start / speech_end /
 * speech_resume / end_of_utterance events the app's local VAD sends, on the server's timeline.
 */

export const SERVER_VAD_RATE = 16_000
export const SERVER_VAD_FRAME = 512
export const SERVER_VAD_FRAME_MS = (SERVER_VAD_FRAME / SERVER_VAD_RATE) * 1000

/** What runs one batched inference: SileroVadBatch in the backend, a fake in unit tests. */
export interface FrameBatch {
  readonly size: number
  process(frames: ArrayLike<Float32Array | null>): Promise<Float32Array>
  resetStream(b: number): void
}

export interface TickClock {
  setInterval(fn: () => void, ms: number): unknown
  clearInterval(handle: unknown): void
}

export interface BatchedServerVadOptions {
  /** Builds a batch with room for `size` streams. Called again (double size) when streams outgrow it. */
  loadBatch: (size: number) => Promise<FrameBatch>
  initialCapacity?: number
  tickMs?: number
  clock?: TickClock
  /** Frames a stream may fall behind before its oldest ones are dropped (the backstop wants fresh audio). */
  maxBacklogFrames?: number
  log?: (line: string) => void
}

export interface ServerVadEvent {
  event: EndpointEvent
  /** Date.now() when the audio at the event's position arrived at the backend (for the uplink_arrival mark). */
  arrivalAt: (streamMs: number) => number | null
}

export interface ServerVadStream {
  /** 48 kHz mono frames from the uplink, in order; `arrivedAt` is the epoch time the packet arrived. */
  push(pcm48: Int16Array, arrivedAt: number): void
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
  /** Total time inside inference (ms). */
  inferenceMs: number
}

interface StreamSlot {
  slot: number
  ready: Float32Array[]
  readyArrival: number[]
  partial: Float32Array
  partialLength: number
  /** 48 → 16 kHz decimation remainder (0..2 samples carried). */
  carry: number[]
  endpointer: Endpointer
  onEvent: (e: ServerVadEvent) => void
  onProbability: ((p: number) => void) | undefined
  /** Arrival epoch of each classified frame's end, for mapping stream ms → arrival time (last ~30 s). */
  arrivals: number[]
  arrivalsStartFrame: number
  closed: boolean
}

const ARRIVAL_HISTORY_FRAMES = 1000 // 32 s

export class BatchedServerVad {
  private batch: FrameBatch | null = null
  private loading: Promise<void> | null = null
  private loadError: Error | null = null
  private readonly streams: Array<StreamSlot | null> = []
  private timer: unknown = null
  private busy = false
  readonly stats: ServerVadStats = { ticks: 0, calls: 0, framesClassified: 0, framesDropped: 0, streams: 0, inferenceMs: 0 }
  private readonly clock: TickClock
  private readonly tickMs: number
  private readonly maxBacklog: number

  constructor(private readonly opts: BatchedServerVadOptions) {
    this.maxBacklog = opts.maxBacklogFrames ?? 8
    this.clock = opts.clock ?? { setInterval: (fn, ms) => setInterval(fn, ms), clearInterval: (h) => clearInterval(h as ReturnType<typeof setInterval>) }
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
      partial: new Float32Array(SERVER_VAD_FRAME),
      partialLength: 0,
      carry: [],
      endpointer: new Endpointer(config, SERVER_VAD_FRAME_MS),
      onEvent,
      onProbability,
      arrivals: [],
      arrivalsStartFrame: 0,
      closed: false
    }
    this.streams[slot] = s
    this.stats.streams++
    if (this.batch && slot < this.batch.size) this.batch.resetStream(slot)
    this.ensureRunning()
    const maxBacklog = this.maxBacklog
    const self = this
    return {
      push(pcm48, arrivedAt) {
        if (s.closed) return
        const decimated = decimate48to16(pcm48, s.carry)
        for (let i = 0; i < decimated.length; i++) {
          s.partial[s.partialLength++] = decimated[i]!
          if (s.partialLength === SERVER_VAD_FRAME) {
            s.ready.push(s.partial)
            s.readyArrival.push(arrivedAt)
            s.partial = new Float32Array(SERVER_VAD_FRAME)
            s.partialLength = 0
            if (s.ready.length > maxBacklog) {
              s.ready.shift()
              s.readyArrival.shift()
              self.stats.framesDropped++
              // Keep the endpointer's timeline in step with the audio: a dropped frame counts as silence.
              self.deliver(s, s.endpointer.push(0))
            }
          }
        }
      },
      close() {
        if (s.closed) return
        s.closed = true
        self.streams[s.slot] = null
        self.stats.streams--
        if (self.stats.streams === 0) self.stop()
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

  private ensureRunning(): void {
    if (this.timer === null) this.timer = this.clock.setInterval(() => void this.tick(), this.tickMs)
    if (!this.batch && !this.loading && !this.loadError) this.loading = this.grow(Math.max(this.opts.initialCapacity ?? 32, this.streams.length))
  }

  private async grow(size: number): Promise<void> {
    try {
      const batch = await this.opts.loadBatch(size)
      for (let b = 0; b < batch.size; b++) batch.resetStream(b)
      this.batch = batch
    } catch (error) {
      this.loadError = error instanceof Error ? error : new Error(String(error))
      this.opts.log?.(`server VAD unavailable: ${this.loadError.message}`)
    } finally {
      this.loading = null
    }
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
    if (this.streams.length > batch.size && !this.loading) {
      this.loading = this.grow(batch.size * 2)
    }
    const frames: Array<Float32Array | null> = new Array(batch.size).fill(null)
    const taken: Array<{ s: StreamSlot; arrival: number }> = []
    for (const s of this.streams) {
      if (!s || s.slot >= batch.size) continue
      const frame = s.ready.shift()
      if (!frame) continue
      frames[s.slot] = frame
      taken.push({ s, arrival: s.readyArrival.shift()! })
    }
    if (taken.length === 0) return false
    const t0 = performance.now()
    let probs: Float32Array
    try {
      probs = await batch.process(frames)
    } catch (error) {
      this.opts.log?.(`server VAD inference failed: ${(error as Error).message}`)
      return false
    } finally {
      this.stats.inferenceMs += performance.now() - t0
    }
    this.stats.calls++
    this.stats.framesClassified += taken.length
    for (const { s, arrival } of taken) {
      if (s.closed) continue
      const p = probs[s.slot]!
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

/** 48 kHz Int16 → 16 kHz float: a 3-tap box filter then every third sample (enough for a VAD). */
export function decimate48to16(pcm: Int16Array, carry: number[]): Float32Array {
  const all = carry.length ? Int16Array.from([...carry, ...pcm]) : pcm
  const n = Math.floor(all.length / 3)
  const out = new Float32Array(n)
  for (let i = 0; i < n; i++) out[i] = (all[3 * i]! + all[3 * i + 1]! + all[3 * i + 2]!) / (3 * 32768)
  carry.length = 0
  for (let i = n * 3; i < all.length; i++) carry.push(all[i]!)
  return out
}

let shared: BatchedServerVad | null = null

/** The process-wide batched VAD over the bundled Silero model (loaded when the first voice session opens). */
export function sharedServerVad(log?: (line: string) => void): BatchedServerVad {
  shared ??= new BatchedServerVad({
    loadBatch: async (size) => {
      const { SileroVadBatch } = await import('../../main/services/vad/sileroVad')
      return SileroVadBatch.create(size)
    },
    log
  })
  return shared
}

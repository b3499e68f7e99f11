import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import ort from 'onnxruntime-node'
import { SPEECH_FRAME_MS, SPEECH_FRAME_SAMPLES, SPEECH_SAMPLE_RATE } from '../../shared/audio/format'
import { blockRms } from '../../shared/voice/audioLevel'

/**
 * Silero VAD v6 on onnxruntime-node.
 *
 * Model contract (v5 and v6 share it): inputs `input` float32 [B, 576], `state` float32 [2, B, 128], `sr` int64
 * scalar; outputs `output` float32 [B, 1] (speech probability of the 512 new samples) and `stateN` float32
 * [2, B, 128]. The 576 input samples are 64 samples of context (the last 64 samples of the previous window, zeros at
 * stream start) followed by 512 new samples at 16 kHz. Feeding 512 bare samples runs without error but gives wrong
 * probabilities, so the context carry lives here, next to the state carry, and nowhere else.
 */
export const VAD_SAMPLE_RATE = SPEECH_SAMPLE_RATE
export const VAD_FRAME_SAMPLES = SPEECH_FRAME_SAMPLES
export const VAD_CONTEXT_SAMPLES = 64
export const VAD_WINDOW_SAMPLES = VAD_FRAME_SAMPLES + VAD_CONTEXT_SAMPLES
/** 512 samples at 16 kHz. */
export const VAD_FRAME_MS = SPEECH_FRAME_MS
const STATE_UNITS = 128

export const SILERO_MODEL_FILE = 'silero_vad_v6.onnx'

/** resources/silero/silero_vad_v6.onnx, found by walking up from this module (source tree, out/main bundle, or an
 * installed app where resources/ sits next to the bundle). */
export function resolveSileroModelPath(startDir: string = dirname(fileURLToPath(import.meta.url))): string {
  const fromEnv = process.env.VOICE_SILERO_MODEL
  if (fromEnv) return fromEnv
  let dir = startDir
  for (;;) {
    const candidate = join(dir, 'resources', 'silero', SILERO_MODEL_FILE)
    if (existsSync(candidate)) return candidate
    const parent = dirname(dir)
    if (parent === dir) throw new Error(`Silero VAD model not found: no resources/silero/${SILERO_MODEL_FILE} above ${startDir}`)
    dir = parent
  }
}

/** One thread per session: VAD frames are tiny, thread hand-off costs more than it saves, and the app shares its
 * cores with the UI, the WebRTC stack and (in the backend) hundreds of other sessions. */
export function vadSessionOptions(): ort.InferenceSession.SessionOptions {
  return {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    enableCpuMemArena: true,
    enableMemPattern: true
  }
}

export async function loadSileroSession(modelPath: string = resolveSileroModelPath()): Promise<ort.InferenceSession> {
  try {
    return await ort.InferenceSession.create(modelPath, vadSessionOptions())
  } catch (error) {
    throw new Error(`cannot load the Silero VAD model ${modelPath}: ${(error as Error).message}`, { cause: error })
  }
}

function checkFrame(frame: Float32Array, what: string): void {
  if (!(frame instanceof Float32Array)) throw new TypeError(`${what}: expected a Float32Array`)
  if (frame.length !== VAD_FRAME_SAMPLES) throw new RangeError(`${what}: expected ${VAD_FRAME_SAMPLES} samples (32 ms at 16 kHz), got ${frame.length}`)
}

export interface SileroVadBatchOptions {
  /** RMS (samples in [-1, 1]) below which a frame is silence; 0 or absent = no gate. 0.001 is -60 dBFS. */
  silenceGateRms?: number
}
/** The gate opens for a slot only after the model gave it a probability below this. */
const GATE_AFTER_PROBABILITY = 0.1

/**
 * Batched Silero VAD: many independent streams (slots) advance one 512-sample frame each in ONE inference. Each slot
 * keeps its own 64-sample context and [2, 128] state here; a call gathers only the slots that have a frame into a
 * dense [n, 576] input (and [2, n, 128] state), so slots without a frame cost nothing and the capacity can grow
 * without touching the streams already running. Stream b's probabilities equal what a single-stream `SileroVad`
 * gives on the same audio.
 *
 * Optional silence gate (the backend's VAD thread uses it): once the model has called a slot's audio silence
 * (probability < GATE_AFTER_PROBABILITY), a following frame whose RMS is below `silenceGateRms` is not run through
 * the model: its probability is 0, its last 64 samples become the slot's context, and its state stays where the
 * model left it (a silence state). The first quiet frames after speech still go through the model (Silero's
 * probability falls over a frame or two), so the gate never moves a speech end; and speech after a gated stretch
 * starts from that silence state, as it would have without the gate (resetting the state instead delayed the
 * detection of an interruption by ~110 ms in `npm run bench -- bargein`).
 * Listening sessions are silent most of the time, so most of their frames cost nothing.
 */
export class SileroVadBatch {
  private readonly session: ort.InferenceSession
  private capacity: number
  /** Per slot: the last 64 samples of its previous frame. */
  private contexts: Float32Array
  /** Per slot: its [2, 128] state, layer-major within the slot. */
  private states: Float32Array
  /** Dense call buffers, grown to the largest call seen. */
  private input = new Float32Array(0)
  private stateIn = new Float32Array(0)
  private readonly sr = new ort.Tensor('int64', BigInt64Array.from([BigInt(VAD_SAMPLE_RATE)]), [])
  /** Per slot: the call that last took it (catches a slot listed twice in one call). */
  private takenBy: Uint32Array
  /** Per slot: 1 when the model's last probability was below GATE_AFTER_PROBABILITY (the gate may answer). */
  private settled: Uint8Array
  private readonly gateRms: number
  /** Frames classified by the model / answered by the silence gate. */
  readonly stats = { inferred: 0, gated: 0 }
  private calls = 0
  private busy = false

  constructor(session: ort.InferenceSession, size: number, opts: SileroVadBatchOptions = {}) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`batch size must be a positive integer, got ${size}`)
    const gate = opts.silenceGateRms ?? 0
    this.gateRms = Number.isFinite(gate) && gate > 0 ? gate : 0
    this.session = session
    this.capacity = size
    this.contexts = new Float32Array(size * VAD_CONTEXT_SAMPLES)
    this.states = new Float32Array(size * 2 * STATE_UNITS)
    this.takenBy = new Uint32Array(size)
    this.settled = new Uint8Array(size)
  }

  static async create(size: number, modelPath?: string, opts?: SileroVadBatchOptions): Promise<SileroVadBatch> {
    return new SileroVadBatch(await loadSileroSession(modelPath), size, opts)
  }

  /** Slots 0..size-1 exist; `processPacked` grows it when a larger slot shows up. */
  get size(): number {
    return this.capacity
  }

  /** Make room for slots 0..size-1; the existing slots keep their context and state. */
  ensureSize(size: number): void {
    if (size <= this.capacity) return
    const capacity = Math.max(size, this.capacity * 2)
    const contexts = new Float32Array(capacity * VAD_CONTEXT_SAMPLES)
    contexts.set(this.contexts)
    const states = new Float32Array(capacity * 2 * STATE_UNITS)
    states.set(this.states)
    const takenBy = new Uint32Array(capacity)
    takenBy.set(this.takenBy)
    const settled = new Uint8Array(capacity)
    settled.set(this.settled)
    this.contexts = contexts
    this.states = states
    this.takenBy = takenBy
    this.settled = settled
    this.capacity = capacity
  }

  /** Forget stream b's history (a new speaker / session takes the slot). */
  resetStream(b: number): void {
    if (!Number.isInteger(b) || b < 0 || b >= this.capacity) throw new RangeError(`stream ${b} is not in 0..${this.capacity - 1}`)
    this.contexts.fill(0, b * VAD_CONTEXT_SAMPLES, (b + 1) * VAD_CONTEXT_SAMPLES)
    this.states.fill(0, b * 2 * STATE_UNITS, (b + 1) * 2 * STATE_UNITS)
    this.settled[b] = 0
  }

  reset(): void {
    this.contexts.fill(0)
    this.states.fill(0)
    this.settled.fill(0)
  }

  /**
   * One inference for all streams: frames[b] is stream b's next 512 samples, or null when stream b has no frame
   * ready (its context and state are left exactly as they were, so streams need not arrive in lock step). Returns the
   * speech probability per stream (NaN for skipped streams).
   */
  async process(frames: ArrayLike<Float32Array | null>): Promise<Float32Array> {
    if (frames.length !== this.capacity) throw new RangeError(`expected ${this.capacity} frames (one per stream), got ${frames.length}`)
    const slots: number[] = []
    for (let b = 0; b < frames.length; b++) {
      const frame = frames[b]
      if (frame === null || frame === undefined) continue
      checkFrame(frame, `stream ${b}`)
      slots.push(b)
    }
    const packed = new Float32Array(slots.length * VAD_FRAME_SAMPLES)
    slots.forEach((b, i) => packed.set(frames[b]!, i * VAD_FRAME_SAMPLES))
    const probs = new Float32Array(this.capacity).fill(Number.NaN)
    const dense = await this.processPacked(slots, packed)
    slots.forEach((b, i) => (probs[b] = dense[i]!))
    return probs
  }

  /** The last 64 samples of frame i become slot b's context for its next frame. */
  private keepContext(b: number, frames: Float32Array, i: number): void {
    this.contexts.set(frames.subarray((i + 1) * VAD_FRAME_SAMPLES - VAD_CONTEXT_SAMPLES, (i + 1) * VAD_FRAME_SAMPLES), b * VAD_CONTEXT_SAMPLES)
  }

  /**
   * The dense form: `frames` holds slots.length frames of 512 samples back to back, frame i for slot slots[i] (each
   * slot at most once). Returns one probability per frame, in the same order.
   */
  async processPacked(slots: ArrayLike<number>, frames: Float32Array): Promise<Float32Array> {
    const n = slots.length
    if (!(frames instanceof Float32Array)) throw new TypeError('frames: expected a Float32Array')
    if (frames.length !== n * VAD_FRAME_SAMPLES) throw new RangeError(`expected ${n} frames of ${VAD_FRAME_SAMPLES} samples (${n * VAD_FRAME_SAMPLES} in all), got ${frames.length}`)
    let top = -1
    for (let i = 0; i < n; i++) {
      const b = slots[i]!
      if (!Number.isInteger(b) || b < 0) throw new RangeError(`slot ${String(b)} is not a non-negative integer`)
      if (b > top) top = b
    }
    if (n === 0) return new Float32Array(0)
    if (this.busy) throw new Error('SileroVadBatch called again before the previous call finished')
    this.ensureSize(top + 1)
    const call = (this.calls = (this.calls + 1) >>> 0 || 1)
    for (let i = 0; i < n; i++) {
      const b = slots[i]!
      if (this.takenBy[b] === call) throw new RangeError(`slot ${b} appears twice in one call`)
      this.takenBy[b] = call
    }
    const result = new Float32Array(n)
    // Which frames go through the model (rows of the dense call); silent ones are answered here.
    const rows: number[] = []
    for (let i = 0; i < n; i++) {
      const b = slots[i]!
      if (this.gateRms > 0 && this.settled[b] === 1 && blockRms(frames.subarray(i * VAD_FRAME_SAMPLES, (i + 1) * VAD_FRAME_SAMPLES)) < this.gateRms) {
        this.stats.gated++
        this.keepContext(b, frames, i)
      } else {
        rows.push(i)
      }
    }
    const m = rows.length
    if (m === 0) return result
    if (this.input.length < m * VAD_WINDOW_SAMPLES) {
      this.input = new Float32Array(m * VAD_WINDOW_SAMPLES)
      this.stateIn = new Float32Array(m * 2 * STATE_UNITS)
    }
    const input = this.input.subarray(0, m * VAD_WINDOW_SAMPLES)
    const stateIn = this.stateIn.subarray(0, m * 2 * STATE_UNITS)
    for (let r = 0; r < m; r++) {
      const i = rows[r]!
      const b = slots[i]!
      const row = r * VAD_WINDOW_SAMPLES
      input.set(this.contexts.subarray(b * VAD_CONTEXT_SAMPLES, (b + 1) * VAD_CONTEXT_SAMPLES), row)
      input.set(frames.subarray(i * VAD_FRAME_SAMPLES, (i + 1) * VAD_FRAME_SAMPLES), row + VAD_CONTEXT_SAMPLES)
      for (let layer = 0; layer < 2; layer++) {
        const from = (b * 2 + layer) * STATE_UNITS
        stateIn.set(this.states.subarray(from, from + STATE_UNITS), (layer * m + r) * STATE_UNITS)
      }
    }
    this.busy = true
    try {
      const out = await this.session.run({
        input: new ort.Tensor('float32', input, [m, VAD_WINDOW_SAMPLES]),
        state: new ort.Tensor('float32', stateIn, [2, m, STATE_UNITS]),
        sr: this.sr
      })
      this.stats.inferred += m
      const probs = out.output!.data as Float32Array
      const next = out.stateN!.data as Float32Array
      for (let r = 0; r < m; r++) {
        const i = rows[r]!
        const b = slots[i]!
        result[i] = probs[r]!
        this.settled[b] = probs[r]! < GATE_AFTER_PROBABILITY ? 1 : 0
        this.keepContext(b, frames, i)
        for (let layer = 0; layer < 2; layer++) {
          const from = (layer * m + r) * STATE_UNITS
          this.states.set(next.subarray(from, from + STATE_UNITS), (b * 2 + layer) * STATE_UNITS)
        }
      }
      return result
    } finally {
      this.busy = false
    }
  }
}

/** Single-stream Silero VAD: one 512-sample frame in, one speech probability out. */
export class SileroVad {
  private readonly batch: SileroVadBatch
  private static readonly SLOT = [0]

  constructor(session: ort.InferenceSession) {
    this.batch = new SileroVadBatch(session, 1)
  }

  static async create(modelPath?: string): Promise<SileroVad> {
    return new SileroVad(await loadSileroSession(modelPath))
  }

  reset(): void {
    this.batch.reset()
  }

  async process(frame: Float32Array): Promise<number> {
    checkFrame(frame, 'frame')
    return (await this.batch.processPacked(SileroVad.SLOT, frame))[0]!
  }
}

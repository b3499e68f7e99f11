import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import ort from 'onnxruntime-node'

/**
 * Silero VAD v6 on onnxruntime-node.
 *
 * Model contract (v5 and v6 share it): inputs `input` float32 [B, 576], `state` float32 [2, B, 128], `sr` int64
 * scalar; outputs `output` float32 [B, 1] (speech probability of the 512 new samples) and `stateN` float32
 * [2, B, 128]. The 576 input samples are 64 samples of context (the last 64 samples of the previous window, zeros at
 * stream start) followed by 512 new samples at 16 kHz. Feeding 512 bare samples runs without error but gives wrong
 * probabilities, so the context carry lives here, next to the state carry, and nowhere else.
 */
export const VAD_SAMPLE_RATE = 16_000
export const VAD_FRAME_SAMPLES = 512
export const VAD_CONTEXT_SAMPLES = 64
export const VAD_WINDOW_SAMPLES = VAD_FRAME_SAMPLES + VAD_CONTEXT_SAMPLES
/** 512 samples at 16 kHz. */
export const VAD_FRAME_MS = (VAD_FRAME_SAMPLES / VAD_SAMPLE_RATE) * 1000
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
    throw new Error(`cannot load the Silero VAD model ${modelPath}: ${(error as Error).message}`)
  }
}

function checkFrame(frame: Float32Array, what: string): void {
  if (!(frame instanceof Float32Array)) throw new TypeError(`${what}: expected a Float32Array`)
  if (frame.length !== VAD_FRAME_SAMPLES) throw new RangeError(`${what}: expected ${VAD_FRAME_SAMPLES} samples (32 ms at 16 kHz), got ${frame.length}`)
}

/**
 * Batched Silero VAD: B independent streams advance one 512-sample frame per `process` call in one inference
 * ([B, 576] input, [2, B, 128] state). Each stream keeps its own context and state, so stream b's probabilities
 * equal what a single-stream `SileroVad` would give on the same audio. Input and state tensors are allocated once
 * and rewritten in place.
 */
export class SileroVadBatch {
  readonly size: number
  private readonly session: ort.InferenceSession
  private readonly input: Float32Array
  private readonly state: Float32Array
  private readonly feeds: Record<string, ort.Tensor>
  /** Pre-allocated outputs: ORT writes the probabilities and the next state straight into these. */
  private readonly fetches: Record<string, ort.Tensor>
  private readonly outProbs: Float32Array
  private readonly nextState: Float32Array
  private readonly probs: Float32Array
  private busy = false

  constructor(session: ort.InferenceSession, size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`batch size must be a positive integer, got ${size}`)
    this.session = session
    this.size = size
    this.input = new Float32Array(size * VAD_WINDOW_SAMPLES)
    this.state = new Float32Array(2 * size * STATE_UNITS)
    this.probs = new Float32Array(size)
    this.outProbs = new Float32Array(size)
    this.nextState = new Float32Array(2 * size * STATE_UNITS)
    this.feeds = {
      input: new ort.Tensor('float32', this.input, [size, VAD_WINDOW_SAMPLES]),
      state: new ort.Tensor('float32', this.state, [2, size, STATE_UNITS]),
      sr: new ort.Tensor('int64', BigInt64Array.from([BigInt(VAD_SAMPLE_RATE)]), [])
    }
    this.fetches = {
      output: new ort.Tensor('float32', this.outProbs, [size, 1]),
      stateN: new ort.Tensor('float32', this.nextState, [2, size, STATE_UNITS])
    }
  }

  static async create(size: number, modelPath?: string): Promise<SileroVadBatch> {
    return new SileroVadBatch(await loadSileroSession(modelPath), size)
  }

  /** Forget stream b's history (a new speaker / session takes the slot). */
  resetStream(b: number): void {
    if (!Number.isInteger(b) || b < 0 || b >= this.size) throw new RangeError(`stream ${b} is not in 0..${this.size - 1}`)
    this.input.fill(0, b * VAD_WINDOW_SAMPLES, (b + 1) * VAD_WINDOW_SAMPLES)
    for (let layer = 0; layer < 2; layer++) {
      const at = (layer * this.size + b) * STATE_UNITS
      this.state.fill(0, at, at + STATE_UNITS)
    }
  }

  reset(): void {
    this.input.fill(0)
    this.state.fill(0)
  }

  /**
   * One inference for all streams: frames[b] is stream b's next 512 samples, or null when stream b has no frame
   * ready (its context and state are left exactly as they were, so streams need not arrive in lock step). Returns the
   * speech probability per stream (NaN for skipped streams) in a view that the next call overwrites.
   */
  async process(frames: ArrayLike<Float32Array | null>): Promise<Float32Array> {
    if (frames.length !== this.size) throw new RangeError(`expected ${this.size} frames (one per stream), got ${frames.length}`)
    if (this.busy) throw new Error('SileroVadBatch.process called again before the previous call finished')
    let active = 0
    for (let b = 0; b < this.size; b++) {
      const frame = frames[b]
      if (frame === null || frame === undefined) continue
      checkFrame(frame, `stream ${b}`)
      active++
    }
    this.probs.fill(Number.NaN)
    if (active === 0) return this.probs
    this.busy = true
    try {
      const input = this.input
      for (let b = 0; b < this.size; b++) {
        const frame = frames[b]
        if (!frame) continue
        const row = b * VAD_WINDOW_SAMPLES
        // Context: the last 64 samples of this stream's previous frame, which sit at the end of its previous row.
        input.copyWithin(row, row + VAD_FRAME_SAMPLES, row + VAD_WINDOW_SAMPLES)
        input.set(frame, row + VAD_CONTEXT_SAMPLES)
      }
      await this.session.run(this.feeds, this.fetches)
      if (active === this.size) {
        this.state.set(this.nextState)
        this.probs.set(this.outProbs)
      } else {
        for (let b = 0; b < this.size; b++) {
          if (!frames[b]) continue
          this.probs[b] = this.outProbs[b]!
          for (let layer = 0; layer < 2; layer++) {
            const at = (layer * this.size + b) * STATE_UNITS
            this.state.set(this.nextState.subarray(at, at + STATE_UNITS), at)
          }
        }
      }
      return this.probs
    } finally {
      this.busy = false
    }
  }
}

/** Single-stream Silero VAD: one 512-sample frame in, one speech probability out. */
export class SileroVad {
  private readonly batch: SileroVadBatch
  private readonly one: Float32Array[] = [new Float32Array(0)]

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
    this.one[0] = frame
    return (await this.batch.process(this.one))[0]!
  }
}

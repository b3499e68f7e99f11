import { Endpointer, type EndpointEvent, type EndpointerConfig } from '../../shared/voice/endpointer'
import { VAD_FRAME_MS, VAD_FRAME_SAMPLES, VAD_SAMPLE_RATE } from './sileroVad'

/** What turns one frame into a speech probability: SileroVad, or a slot of a batch. */
export interface FrameClassifier {
  process(frame: Float32Array): Promise<number>
  reset(): void
}

export interface Utterance {
  utteranceId: number
  /** 16 kHz mono, from the pre-roll start to a little after the last speech frame. */
  audio: Float32Array
  audioStartMs: number
  startMs: number
  endMs: number
}

export interface VadStreamResult {
  events: EndpointEvent[]
  /** Utterances committed by these samples (end_of_utterance), with their audio. */
  utterances: Utterance[]
}

/** Audio kept after the last speech frame when an utterance is cut out: word tails Silero already called silence. */
const TAIL_MS = 160

/**
 * One live audio stream through VAD and endpointing: takes 16 kHz mono samples in any chunk size, runs the classifier
 * per 512-sample frame, and keeps just enough audio (pre-roll while silent, the whole utterance while speaking) to
 * hand each committed utterance to STT.
 */
export class VadStream {
  readonly endpointer: Endpointer
  private readonly pending = new Float32Array(VAD_FRAME_SAMPLES)
  private pendingLength = 0
  /** Frames of recent audio; frames[0] starts at bufferStartMs. */
  private frames: Float32Array[] = []
  private bufferStartMs = 0
  private readonly keepAudio: boolean
  private busy: Promise<unknown> = Promise.resolve()
  private readonly onProbability: ((p: number, frameEndMs: number) => void) | undefined

  constructor(
    private readonly classifier: FrameClassifier,
    config: Partial<EndpointerConfig> = {},
    opts: { keepAudio?: boolean; onProbability?: (p: number, frameEndMs: number) => void } = {}
  ) {
    this.endpointer = new Endpointer(config, VAD_FRAME_MS)
    this.keepAudio = opts.keepAudio ?? true
    this.onProbability = opts.onProbability
  }

  /** Stream position (ms of audio classified so far). */
  get timeMs(): number {
    return this.endpointer.timeMs
  }

  /** Push samples; calls are serialised, so callers may fire-and-forget in order. */
  push(samples: Float32Array): Promise<VadStreamResult> {
    const run = this.busy.then(() => this.pushNow(samples))
    this.busy = run.catch(() => undefined)
    return run
  }

  /** Commit any open utterance (push-to-talk release, stream end). Samples short of a full frame are dropped. */
  flush(): Promise<VadStreamResult> {
    const run = this.busy.then(() => {
      const result: VadStreamResult = { events: [], utterances: [] }
      this.handle(this.endpointer.flush(), result)
      this.pendingLength = 0
      return result
    })
    this.busy = run.catch(() => undefined)
    return run
  }

  reset(): void {
    this.classifier.reset()
    this.endpointer.reset()
    this.frames = []
    this.bufferStartMs = 0
    this.pendingLength = 0
  }

  private async pushNow(samples: Float32Array): Promise<VadStreamResult> {
    const result: VadStreamResult = { events: [], utterances: [] }
    let offset = 0
    while (offset < samples.length) {
      const take = Math.min(VAD_FRAME_SAMPLES - this.pendingLength, samples.length - offset)
      this.pending.set(samples.subarray(offset, offset + take), this.pendingLength)
      this.pendingLength += take
      offset += take
      if (this.pendingLength < VAD_FRAME_SAMPLES) break
      this.pendingLength = 0
      const frame = this.pending.slice()
      if (this.keepAudio) this.frames.push(frame)
      const p = await this.classifier.process(frame)
      const events = this.endpointer.push(p)
      this.onProbability?.(p, this.endpointer.timeMs)
      this.handle(events, result)
      if (this.keepAudio) this.trim()
    }
    return result
  }

  private handle(events: EndpointEvent[], result: VadStreamResult): void {
    for (const event of events) {
      result.events.push(event)
      if (event.type === 'end_of_utterance' && this.keepAudio) {
        const audio = this.slice(event.audioStartMs, Math.min(event.atMs, event.endMs + TAIL_MS))
        result.utterances.push({ utteranceId: event.utteranceId, audio, audioStartMs: event.audioStartMs, startMs: event.startMs, endMs: event.endMs })
      }
    }
  }

  private slice(fromMs: number, toMs: number): Float32Array {
    const msToSample = VAD_SAMPLE_RATE / 1000
    const bufferStart = Math.round(this.bufferStartMs * msToSample)
    const from = Math.max(0, Math.round(fromMs * msToSample) - bufferStart)
    const to = Math.min(this.frames.length * VAD_FRAME_SAMPLES, Math.round(toMs * msToSample) - bufferStart)
    const out = new Float32Array(Math.max(0, to - from))
    let written = 0
    for (let i = Math.floor(from / VAD_FRAME_SAMPLES); i < this.frames.length && written < out.length; i++) {
      const frame = this.frames[i]!
      const start = i === Math.floor(from / VAD_FRAME_SAMPLES) ? from % VAD_FRAME_SAMPLES : 0
      const part = frame.subarray(start, Math.min(VAD_FRAME_SAMPLES, start + out.length - written))
      out.set(part, written)
      written += part.length
    }
    return out
  }

  /** Outside an utterance keep pre-roll + a possible onset; inside, keep everything since the pre-roll start. */
  private trim(): void {
    const ep = this.endpointer
    const c = ep.config
    const keepMs = ep.inUtterance ? Infinity : c.preRollMs + c.minSpeechMs + 2 * VAD_FRAME_MS
    const maxFrames = Number.isFinite(keepMs) ? Math.ceil(keepMs / VAD_FRAME_MS) : Infinity
    const drop = this.frames.length - maxFrames
    if (drop > 0) {
      this.frames.splice(0, drop)
      this.bufferStartMs += drop * VAD_FRAME_MS
    }
  }
}

/** Run a whole recording (16 kHz mono) through a fresh stream; for the CLI, tests and benches. */
export async function segmentRecording(
  classifier: FrameClassifier,
  samples: Float32Array,
  config: Partial<EndpointerConfig> = {},
  opts: { keepAudio?: boolean; onProbability?: (p: number, frameEndMs: number) => void } = {}
): Promise<VadStreamResult> {
  classifier.reset()
  const stream = new VadStream(classifier, config, { keepAudio: opts.keepAudio ?? false, onProbability: opts.onProbability })
  const pushed = await stream.push(samples)
  // Pad with silence to a whole frame so the tail is classified, then commit whatever is still open.
  const remainder = samples.length % VAD_FRAME_SAMPLES
  const tail = remainder ? await stream.push(new Float32Array(VAD_FRAME_SAMPLES - remainder)) : { events: [], utterances: [] }
  const flushed = await stream.flush()
  return {
    events: [...pushed.events, ...tail.events, ...flushed.events],
    utterances: [...pushed.utterances, ...tail.utterances, ...flushed.utterances]
  }
}

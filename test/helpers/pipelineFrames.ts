import type { AudioFrame } from '../../src/server/audio/audioReceiver'
import { FRAME_SAMPLES } from '../../src/server/audio/opusCodec'
import type { PipelineContext } from '../../src/server/pipelines/types'

/** 20 ms frames and a recording pipeline context for the measurement pipelines' tests (echo, click, energy gate). */
export const silence = (): Int16Array => new Int16Array(FRAME_SAMPLES)
export const loud = (v: number): Int16Array => new Int16Array(FRAME_SAMPLES).fill(v)
export const frame = (pcm: Int16Array, i: number): AudioFrame => ({ pcm, sampleRate: 48_000, rtpTimestamp: i * FRAME_SAMPLES, concealed: false, receivedAt: i * 20 })

export function recordingContext(): PipelineContext & { replies: Int16Array[]; notes: string[] } {
  const replies: Int16Array[] = []
  const notes: string[] = []
  return { sessionId: 's', replies, notes, reply: (p) => replies.push(p), flushReply: () => (replies.length = 0), notify: (t) => notes.push(t) }
}

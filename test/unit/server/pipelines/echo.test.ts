import { describe, expect, it } from 'vitest'
import type { AudioFrame } from '../../../../src/server/audio/audioReceiver'
import { FRAME_SAMPLES } from '../../../../src/server/audio/opusCodec'
import { createEchoPipeline } from '../../../../src/server/pipelines/echo'
import type { PipelineContext } from '../../../../src/server/pipelines/types'

const silence = (): Int16Array => new Int16Array(FRAME_SAMPLES)
const loud = (v: number): Int16Array => new Int16Array(FRAME_SAMPLES).fill(v)
const frame = (pcm: Int16Array, i: number): AudioFrame => ({ pcm, sampleRate: 48_000, rtpTimestamp: i * FRAME_SAMPLES, concealed: false, receivedAt: i * 20 })

function ctx(): PipelineContext & { replies: Int16Array[]; notes: string[] } {
  const replies: Int16Array[] = []
  const notes: string[] = []
  return { sessionId: 's', replies, notes, reply: (p) => replies.push(p), flushReply: () => (replies.length = 0), notify: (t) => notes.push(t) }
}

describe('echo pipeline', () => {
  it('plays each utterance back (with pre-roll, without the trailing hangover) once it ends', () => {
    const c = ctx()
    const p = createEchoPipeline(c, { preRollFrames: 2, hangoverFrames: 5 })
    const input = [silence(), silence(), silence(), loud(1000), loud(2000), loud(3000), ...Array.from({ length: 5 }, silence)]
    input.forEach((pcm, i) => p.onFrame(frame(pcm, i)))
    expect(c.notes).toEqual(['utteranceStart', 'utteranceEnd', 'replyStart'])
    // 2 pre-roll + 3 loud + 5 hangover - (5 - 2) trimmed = 7 frames, starting with pre-roll silence.
    expect(c.replies.map((r) => r[0])).toEqual([0, 0, 1000, 2000, 3000, 0, 0])
  })
})

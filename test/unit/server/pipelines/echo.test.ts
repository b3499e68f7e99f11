import { describe, expect, it } from 'vitest'
import { createEchoPipeline } from '../../../../src/server/pipelines/echo'
import { frame, loud, recordingContext as ctx, silence } from '../../../helpers/pipelineFrames'

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

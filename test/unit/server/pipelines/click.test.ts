import { describe, expect, it } from 'vitest'
import { clickFrame, createClickPipeline } from '../../../../src/server/pipelines/click'
import type { PipelineContext } from '../../../../src/server/pipelines/types'
import { frame, loud, recordingContext as ctx, silence } from '../../../helpers/pipelineFrames'

describe('click pipeline', () => {
  it('answers each onset with one click, and needs quiet before the next', () => {
    const c = ctx()
    const p = createClickPipeline(c, { refractoryFrames: 3 })
    const seq = [silence(), loud(20000), loud(20000), silence(), loud(20000), silence(), silence(), silence(), loud(20000)]
    seq.forEach((pcm, i) => p.onFrame(frame(pcm, i)))
    expect(c.replies).toHaveLength(2)
    expect(c.replies[0]).toEqual(clickFrame())
    expect(Math.max(...clickFrame())).toBeGreaterThan(20000)
  })
})

describe('click pipeline, steady reply', () => {
  /** A paced sender: `tick()` sends one queued frame; `sent` is what went out, `queue` what waits. */
  function pacedCtx() {
    const sent: Int16Array[] = []
    const queue: Int16Array[] = []
    const c: PipelineContext = {
      sessionId: 's',
      reply: (p) => void queue.push(p),
      flushReply: () => void (queue.length = 0),
      replyQueued: () => queue.length,
      notify: () => undefined
    }
    return { c, sent, queue, tick: () => queue.length && sent.push(queue.shift()!) }
  }

  it('answers every uplink frame: the click at an onset, silence otherwise', () => {
    const { c, sent, tick } = pacedCtx()
    const p = createClickPipeline(c, { refractoryFrames: 3, steadyReply: true })
    const seq = [silence(), loud(20000), loud(20000), silence()]
    seq.forEach((pcm, i) => {
      p.onFrame(frame(pcm, i))
      tick()
    })
    expect(sent).toHaveLength(4)
    expect(sent[1]).toEqual(clickFrame())
    expect([0, 2, 3].every((i) => sent[i]!.every((x) => x === 0))).toBe(true)
  })

  it('builds no silence backlog when the sender falls behind, and the click goes out next', () => {
    const { c, sent, queue, tick } = pacedCtx()
    const p = createClickPipeline(c, { refractoryFrames: 3, steadyReply: true })
    // A stall: five uplink frames arrive at once while the sender sends nothing.
    for (let i = 0; i < 5; i++) p.onFrame(frame(silence(), i))
    expect(queue).toHaveLength(2)
    p.onFrame(frame(loud(20000), 5))
    expect(queue).toEqual([clickFrame()])
    tick()
    expect(sent.at(-1)).toEqual(clickFrame())
  })
})

import { describe, expect, it } from 'vitest'
import { VoiceRuntime } from '../../../../src/server/voice/voiceRuntime'
import { FakeClock } from '../../../helpers/fakeClock'
import type { PipelineContext } from '../../../../src/server/pipelines/types'

function fakeContext() {
  const replies: Int16Array[] = []
  const ctx: PipelineContext & { filler: (() => Int16Array | null) | null; replies: Int16Array[]; queued: number } = {
    sessionId: 'steady-test-session',
    replies,
    queued: 0,
    filler: null,
    reply: (pcm) => void replies.push(pcm),
    flushReply: () => undefined,
    replyQueued: () => ctx.queued,
    notify: () => undefined,
    setReplyFiller: (fill) => {
      ctx.filler = fill
    }
  }
  return ctx
}

describe('voice pipeline: the reply stream around a turn', () => {
  it('starts a steady (silent) reply stream when the user starts speaking and lets it idle again; idle sessions send nothing', async () => {
    const ctx = fakeContext()
    const clock = new FakeClock(1000)
    const runtime = new VoiceRuntime({ clock, loadVadBatch: null })
    const pipeline = runtime.startSession(ctx)
    try {
      expect(ctx.filler).toBeTypeOf('function')
      expect(ctx.filler!()).toBeNull() // nobody spoke yet: the sender may idle
      expect(ctx.replies).toHaveLength(0)

      pipeline.onClientEvent({ type: 'vadActive', clientTime: Date.now() })
      pipeline.onClientEvent({ type: 'speechStart', clientTime: Date.now(), turnId: 't1' })
      // One silent frame starts the stream; the sender then asks the filler whenever its queue is dry.
      expect(ctx.replies).toHaveLength(1)
      expect(ctx.replies[0]!.every((v) => v === 0)).toBe(true)
      const fill = ctx.filler!()
      expect(fill).not.toBeNull()
      expect(fill!.length).toBe(960)
      expect(fill!.every((v) => v === 0)).toBe(true)

      // Still steady: a second speech start does not kick the stream again.
      pipeline.onClientEvent({ type: 'speechEnd', clientTime: Date.now(), turnId: 't1' })
      pipeline.onClientEvent({ type: 'speechResume', clientTime: Date.now(), turnId: 't1' })
      expect(ctx.replies).toHaveLength(1)

      // No reply and no more speech: after the window the filler lets the sender idle.
      clock.advance(5900)
      expect(ctx.filler!()).not.toBeNull()
      clock.advance(200)
      expect(ctx.filler!()).toBeNull()
    } finally {
      pipeline.close()
      await runtime.close()
    }
    expect(ctx.filler).toBeNull()
  })
})

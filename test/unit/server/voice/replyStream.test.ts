import { describe, expect, it } from 'vitest'
import { ReplyStream, STEADY_AFTER_REPLY_MS, STEADY_AFTER_SPEECH_MS, type ReplyOutlet } from '../../../../src/server/voice/replyStream'
import { FakeClock } from '../../../helpers/fakeClock'

function outlet() {
  const replies: number[] = []
  const out: ReplyOutlet & { filler: (() => Int16Array | null) | null; queued: number } = {
    filler: null,
    queued: 0,
    reply: (pcm) => void replies.push(pcm[0]!),
    flushReply: () => undefined,
    replyQueued: () => out.queued,
    setReplyFiller: (fill) => void (out.filler = fill)
  }
  return { out, replies }
}

describe('ReplyStream', () => {
  it('speech makes the stream steady (one silent frame starts it, the filler keeps it) for 6 s; idle sessions send nothing', () => {
    const clock = new FakeClock()
    const { out, replies } = outlet()
    const stream = new ReplyStream(out, clock, { onPlaying: () => undefined, onFirstFrame: () => undefined })
    expect(out.filler!()).toBeNull()
    stream.keepSteadyAfterSpeech()
    expect(replies).toEqual([0])
    stream.keepSteadyAfterSpeech() // already steady: no second kick
    expect(replies).toEqual([0])
    clock.advance(STEADY_AFTER_SPEECH_MS - 1)
    expect(out.filler!()).not.toBeNull()
    clock.advance(1)
    expect(out.filler!()).toBeNull()
    stream.close()
    expect(out.filler).toBeNull()
  })

  it('a reply plays through the player and keeps the stream steady for 1.5 s after it', () => {
    const clock = new FakeClock()
    const { out, replies } = outlet()
    const events: string[] = []
    const stream = new ReplyStream(out, clock, { onPlaying: (p, id) => events.push(`${p}:${id}`), onFirstFrame: (id) => events.push(`first:${id}`) })
    stream.start('t1')
    for (let i = 1; i <= 4; i++) stream.push(new Int16Array(960).fill(i)) // the 4-frame prebuffer
    expect(replies).toEqual([1, 2, 3, 4])
    expect(stream.playing).toBe(true)
    stream.end()
    expect(events).toEqual(['true:t1', 'first:t1', 'false:t1'])
    clock.advance(STEADY_AFTER_REPLY_MS - 1)
    expect(out.filler!()).not.toBeNull()
    clock.advance(1)
    expect(out.filler!()).toBeNull()
    stream.close()
  })
})

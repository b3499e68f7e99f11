import { describe, expect, it } from 'vitest'
import { ReplyPlayer, type ReplyOutput } from '../../../../src/server/voice/replyPlayer'
import { FakeClock } from '../../../helpers/fakeClock'

/** A fake paced sender: `send()` takes one queued frame out (as one 20 ms tick would). */
function fakeSender() {
  const queue: number[] = []
  const sent: number[] = []
  const out: ReplyOutput = {
    reply: (pcm) => void queue.push(pcm[0]!),
    flushReply: () => void (queue.length = 0),
    replyQueued: () => queue.length
  }
  return { out, queue, sent, tick: () => sent.push(queue.shift()!) }
}
/** The player's poll runs every 5 ms (its default pollMs): one poll per `poll()`. */
const manualClock = () => {
  const clock = new FakeClock()
  return { clock, poll: () => clock.advance(5), get active() { return clock.liveTimers > 0 } }
}
const frame = (n: number): Int16Array => Int16Array.of(n)

describe('ReplyPlayer', () => {
  it('keeps only the lookahead queued in the sender; pause takes unsent frames back and resume replays them', () => {
    const s = fakeSender()
    const t = manualClock()
    const states: boolean[] = []
    const player = new ReplyPlayer(s.out, { lookaheadFrames: 2, clock: t.clock, onPlaying: (p) => states.push(p) })
    player.start('t1')
    for (let i = 1; i <= 6; i++) player.push(frame(i))
    expect(s.queue).toEqual([1, 2])
    s.tick()
    t.poll()
    expect(s.queue).toEqual([2, 3])
    player.pause()
    expect(s.queue).toEqual([])
    t.poll()
    expect(s.queue).toEqual([]) // paused: nothing fed
    player.resume()
    expect(s.queue).toEqual([2, 3]) // frame 2 and 3 were never sent: they play now
    player.end()
    for (let i = 0; i < 6; i++) {
      s.tick()
      t.poll()
    }
    expect(s.sent.filter((x) => x !== undefined)).toEqual([1, 2, 3, 4, 5, 6])
    expect(states).toEqual([true, false])
    expect(t.active).toBe(false)
  })

  it('rewindOnPauseFrames: a pause also takes back frames already sent (the client silenced them), never more than were sent', () => {
    const s = fakeSender()
    const t = manualClock()
    const player = new ReplyPlayer(s.out, { lookaheadFrames: 2, rewindOnPauseFrames: 2, clock: t.clock })
    player.start('t1')
    for (let i = 1; i <= 8; i++) player.push(frame(i))
    for (let i = 0; i < 3; i++) {
      s.tick()
      t.poll()
    }
    expect(s.sent).toEqual([1, 2, 3])
    player.pause()
    player.resume()
    expect(s.queue).toEqual([2, 3]) // 2 and 3 were sent but silenced at the client: they play again

    const early = fakeSender()
    const p2 = new ReplyPlayer(early.out, { lookaheadFrames: 2, rewindOnPauseFrames: 5, clock: manualClock().clock })
    p2.start('t2')
    for (let i = 1; i <= 4; i++) p2.push(frame(i))
    early.tick() // only frame 1 went out
    p2.pause()
    p2.resume()
    expect(early.queue).toEqual([1, 2])
  })

  it('starts a talkspurt only with the prebuffer ready (or at the end), also after an underrun', () => {
    const s = fakeSender()
    const t = manualClock()
    const player = new ReplyPlayer(s.out, { lookaheadFrames: 10, prebufferFrames: 3, clock: t.clock })
    player.start('t1')
    player.push(frame(1))
    player.push(frame(2))
    t.poll()
    expect(s.queue).toEqual([]) // 2 of 3: held, no lone frame followed by a gap
    player.push(frame(3))
    expect(s.queue).toEqual([1, 2, 3])
    player.push(frame(4))
    expect(s.queue).toEqual([1, 2, 3, 4]) // the talkspurt runs: later frames go straight to the sender
    for (let i = 0; i < 4; i++) s.tick()
    player.push(frame(5))
    t.poll()
    expect(s.queue).toEqual([]) // the sender ran dry: wait for a cushion again
    player.end()
    expect(s.queue).toEqual([5]) // the reply is complete: the rest goes out without waiting
    s.tick()
    t.poll()
    expect(s.sent).toEqual([1, 2, 3, 4, 5])
    expect(player.playing).toBe(false)
  })

  it('cancel drops the reply; frames pushed for a cancelled turn are ignored', () => {
    const s = fakeSender()
    const t = manualClock()
    const player = new ReplyPlayer(s.out, { clock: t.clock })
    player.start('t1')
    player.push(frame(1))
    player.push(frame(2))
    player.push(frame(3))
    player.cancel()
    expect(s.queue).toEqual([])
    expect(player.playing).toBe(false)
    player.push(frame(4))
    expect(s.queue).toEqual([])
  })

  it('reports the first frame of each turn once', () => {
    const s = fakeSender()
    const first: string[] = []
    const player = new ReplyPlayer(s.out, { clock: manualClock().clock, onFirstFrame: (id) => first.push(id) })
    player.start('a')
    player.push(frame(1))
    player.push(frame(2))
    player.start('b')
    player.push(frame(3))
    expect(first).toEqual(['a', 'b'])
  })
})

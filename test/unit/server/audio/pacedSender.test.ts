import { describe, expect, it } from 'vitest'
import { PacedSender, type PacedFrame } from '../../../../src/server/audio/pacedSender'
import { FakeClock } from '../../../helpers/fakeClock'

describe('PacedSender', () => {
  it('sends the first frame the moment it is ready, then one per 20 ms, and idles when dry', () => {
    const clock = new FakeClock()
    const sent: PacedFrame<number>[] = []
    const ps = new PacedSender<number>(clock, (f) => sent.push(f), { initialTimestamp: 1000, initialSequence: 65535 })
    clock.advance(7) // a free-running clock would be mid-period now
    ps.enqueue(1)
    expect(sent.map((s) => s.sentAt)).toEqual([7])
    ps.enqueue(2)
    ps.enqueue(3)
    clock.advance(100)
    expect(sent.map((s) => [s.frame, s.sentAt, s.marker, s.sequenceNumber, s.rtpTimestamp])).toEqual([
      [1, 7, true, 65535, 1000],
      [2, 27, false, 0, 1960],
      [3, 47, false, 1, 2920]
    ])
    expect(ps.idle).toBe(true)
    // A new talkspurt 1 s later: immediate, marker set, RTP time advanced by the real gap.
    ps.enqueue(4)
    expect(sent[3]).toMatchObject({ frame: 4, marker: true, sentAt: 107, sequenceNumber: 2 })
    expect(sent[3]!.rtpTimestamp - 2920).toBe(Math.round((107 - 47) / 20) * 960)
    ps.close()
    ps.enqueue(5)
    clock.advance(100)
    expect(sent).toHaveLength(4)
  })

  it('an idle filler keeps the stream steady (same talkspurt, no gaps) until it returns null', () => {
    const clock = new FakeClock()
    const sent: PacedFrame<number>[] = []
    let steady = true
    const ps = new PacedSender<number>(clock, (f) => sent.push(f), { initialTimestamp: 0, idleFill: () => (steady ? 0 : null) })
    ps.enqueue(1)
    clock.advance(50) // ticks at 20 and 40 find the queue dry: filler frames
    ps.enqueue(2) // queued behind nothing: goes out at the next tick, not at once, and is no new talkspurt
    clock.advance(20)
    steady = false
    clock.advance(60)
    expect(sent.map((f) => [f.frame, f.sentAt, f.marker, f.rtpTimestamp])).toEqual([
      [1, 0, true, 0],
      [0, 20, false, 960],
      [0, 40, false, 1920],
      [2, 60, false, 2880]
    ])
    expect(ps.filled).toBe(2)
    expect(ps.idle).toBe(true)
  })

  it('a long stall is not sent as a burst: the clock skips ahead and the RTP timestamp jumps by the stall; nothing is dropped', () => {
    const clock = new FakeClock()
    const sent: PacedFrame<number>[] = []
    let stall = 0
    const ps = new PacedSender<number>({ ...clock, setTimeout: (fn, ms) => clock.setTimeout(fn, ms + stall) }, (f) => sent.push(f), { initialTimestamp: 0 })
    for (let i = 0; i < 6; i++) ps.enqueue(i)
    clock.advance(25) // frames 0 (t=0) and 1 (t=20); frame 2's timer (t=40) is already set
    stall = 200 // the timer set next (frame 3, due 60) fires 200 ms late, at 260
    clock.advance(220)
    stall = 0
    clock.advance(100)
    expect(sent.map((f) => f.frame)).toEqual([0, 1, 2, 3, 4, 5])
    const times = sent.map((f) => f.sentAt)
    // After the stall: one frame at once, then the 20 ms cadence again (no back-to-back catch-up of 10 frames).
    expect(times).toEqual([0, 20, 40, 260, 280, 300])
    // RTP time follows wall time: the 200 ms stall is a 10-frame jump, so arrival vs timestamp stays the same.
    expect(sent[3]!.rtpTimestamp - sent[2]!.rtpTimestamp).toBe(11 * 960)
    expect(sent[4]!.rtpTimestamp - sent[3]!.rtpTimestamp).toBe(960)
    expect(ps.skips).toBe(1)
    expect(ps.skippedMs).toBe(200)
  })

  it('keeps a steady cadence from its origin even when timers fire late', () => {
    const clock = new FakeClock()
    const sent: number[] = []
    const ps = new PacedSender<number>({ ...clock, setTimeout: (fn, ms) => clock.setTimeout(fn, ms + 3) }, (f) => sent.push(f.sentAt))
    for (let i = 0; i < 5; i++) ps.enqueue(i)
    clock.advance(200)
    // Each tick is scheduled against origin + k*20, so lateness does not accumulate.
    expect(sent).toEqual([0, 23, 43, 63, 83])
  })
})

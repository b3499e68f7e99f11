import { describe, expect, it } from 'vitest'
import type { AudioFrame } from '../../../../src/server/audio/audioReceiver'
import { BackfillGate } from '../../../../src/server/audio/backfillGate'
import { FRAME_SAMPLES } from '../../../../src/server/audio/opusCodec'

const frame = (ts: number, v = 1): AudioFrame => ({ pcm: new Int16Array(FRAME_SAMPLES).fill(v), sampleRate: 48_000, rtpTimestamp: ts >>> 0, concealed: false, receivedAt: 0 })
const T = FRAME_SAMPLES

describe('BackfillGate: complete, ordered audio across an uplink outage', () => {
  it('holds live frames behind a gap, then releases the backfilled gap (holes as silence) and the held frames in order', () => {
    const out: AudioFrame[] = []
    const gate = new BackfillGate((f) => out.push(f))
    gate.frame(frame(0))
    expect(gate.gap({ from: T, frames: 4 }, 1000)).toBe(true)
    expect(gate.gap({ from: 9 * T, frames: 2 }, 1000)).toBe(false) // one at a time
    gate.frame(frame(5 * T, 5))
    gate.frame(frame(6 * T, 6))
    expect(out.map((f) => f.rtpTimestamp / T)).toEqual([0])
    // Client frames: out of range, duplicate and misaligned ones are ignored; frame 3 never comes.
    expect(gate.backfill([frame(2 * T, 2), frame(T, 1), frame(2 * T, 9), frame(4 * T, 4), frame(7 * T), frame(T + 5)])).toBe(3)
    gate.complete()
    expect(out.map((f) => f.rtpTimestamp / T)).toEqual([0, 1, 2, 3, 4, 5, 6])
    expect(out.map((f) => f.concealed)).toEqual([false, false, false, true, false, false, false])
    expect(out[2]!.pcm[0]).toBe(2) // the first copy of a duplicate wins
    expect(gate.stats).toMatchObject({ gaps: 1, backfilled: 3, unfilled: 1, released: 2 })
    gate.frame(frame(7 * T))
    expect(out).toHaveLength(8) // no longer holding
  })

  it('gives up after maxWaitMs (touch restarts the wait) and releases what it has', () => {
    const out: AudioFrame[] = []
    const gate = new BackfillGate((f) => out.push(f), { maxWaitMs: 500 })
    gate.gap({ from: 100 * T, frames: 2 }, 0)
    gate.frame(frame(102 * T))
    gate.poll(400)
    gate.touch(400)
    gate.poll(800)
    expect(out).toHaveLength(0)
    gate.poll(900)
    expect(out.map((f) => [f.rtpTimestamp / T, f.concealed])).toEqual([[100, true], [101, true], [102, false]])
    expect(gate.stats.timedOut).toBe(1)
    expect(gate.holding).toBe(false)
  })

  it('handles RTP timestamp wraparound in the gap range', () => {
    const out: AudioFrame[] = []
    const gate = new BackfillGate((f) => out.push(f))
    const from = 0xffffffff - T + 1 // the last frame before the wrap
    gate.gap({ from, frames: 3 }, 0)
    expect(gate.backfill([frame(from), frame(from + T), frame(from + 2 * T)])).toBe(3)
    gate.complete()
    expect(out.map((f) => f.concealed)).toEqual([false, false, false])
  })
})

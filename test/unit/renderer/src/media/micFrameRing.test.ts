import { describe, expect, it } from 'vitest'
import { MicFrameRing } from '../../../../../src/renderer/src/media/micFrameRing'

const T = 960 // one 20 ms frame at 48 kHz in RTP ticks

describe('MicFrameRing: the client keeps its last encoded mic frames by RTP timestamp', () => {
  it('returns the frames in a timestamp range, oldest first, and forgets the oldest past capacity', () => {
    const ring = new MicFrameRing(5)
    for (let i = 0; i < 8; i++) ring.push(1000 + i * T, Uint8Array.of(i))
    expect(ring.size).toBe(5)
    expect(ring.range(1000 + 4 * T, 3).map((f) => f.data[0])).toEqual([4, 5, 6])
    expect(ring.range(1000, 3)).toEqual([]) // already forgotten
    expect(ring.range(1000 + 6 * T, 10).map((f) => f.data[0])).toEqual([6, 7])
    ring.clear()
    expect(ring.range(0, 1e6)).toEqual([])
  })
  it('is wraparound aware', () => {
    const ring = new MicFrameRing(10)
    const start = 0xffffffff - T + 1
    for (let i = 0; i < 4; i++) ring.push(start + i * T, Uint8Array.of(i))
    expect(ring.range(start + T, 2).map((f) => f.data[0])).toEqual([1, 2])
  })
})

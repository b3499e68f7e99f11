import { describe, expect, it } from 'vitest'
import { SampleHistory } from '../../../../src/server/audio/sampleHistory'

/** Samples whose 16-bit value is their position (mod 30000), so reads can be checked exactly. */
const ramp = (from: number, n: number): Int16Array => Int16Array.from({ length: n }, (_, i) => (from + i) % 30_000)
const expectPositions = (pcm: Int16Array, from: number): void => {
  for (let i = 0; i < pcm.length; i++) if (pcm[i] !== (from + i) % 30_000) throw new Error(`sample ${i}: ${pcm[i]} is not position ${from + i}`)
}

describe('SampleHistory', () => {
  it('keeps only what is asked for while it fits, and reads it back in order across the wrap', () => {
    const h = new SampleHistory(16_000, 1000)
    for (let t = 0; t < 5000; t += 320) h.append(ramp(t, 320), h.total - 640) // a 640-sample pre-roll
    expect(h.capacity).toBe(1000) // never needed more
    expect(h.total).toBe(5120)
    const tail = h.from(h.total - 640)
    expect(tail.length).toBe(640)
    expectPositions(tail, 5120 - 640)
    // An utterance opens at the pre-roll's start and runs on: the ring, wrapped by now, grows around its contents.
    const start = h.total - 640
    for (let t = 5120; t < 9600; t += 320) h.append(ramp(t, 320), start)
    expect(h.capacity).toBeGreaterThan(1000)
    const utterance = h.from(start)
    expect(utterance.length).toBe(9600 - start)
    expectPositions(utterance, start)
  })

  it('grows for a long utterance, up to its limit, then drops the oldest', () => {
    const h = new SampleHistory(4000, 1000)
    const start = 200
    for (let t = 0; t < 3200; t += 320) h.append(ramp(t, 320), start)
    expect(h.capacity).toBeGreaterThanOrEqual(3000) // grew to hold everything since 200
    const all = h.from(start)
    expect(all.length).toBe(3000)
    expectPositions(all, start)
    for (let t = 3200; t < 6400; t += 320) h.append(ramp(t, 320), start)
    expect(h.capacity).toBe(4000)
    expect(h.oldest).toBe(6400 - 4000)
    const capped = h.from(start) // asks for more than is left: gets the last 4000
    expect(capped.length).toBe(4000)
    expectPositions(capped, 2400)
  })

  it('copies in and out, keeps only the tail of a chunk longer than it can hold', () => {
    const h = new SampleHistory(100, 10)
    const chunk = Int16Array.of(1, 2, 3, 4)
    h.append(chunk, 0)
    chunk[0] = 9
    const a = h.from(0)
    expect(Array.from(a)).toEqual([1, 2, 3, 4])
    a[0] = 7
    expect(h.from(0)[0]).toBe(1)
    h.append(ramp(0, 250), 0) // more than the 100-sample limit in one go
    expect(h.capacity).toBe(100)
    expectPositions(h.from(0), 150)
    expect(h.from(10_000).length).toBe(0)
    expect(() => new SampleHistory(0)).toThrow(/positive integer/)
  })
})

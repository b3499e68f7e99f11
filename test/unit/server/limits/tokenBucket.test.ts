import { describe, expect, it } from 'vitest'
import { TokenBucket } from '../../../../src/server/limits/tokenBucket'

describe('TokenBucket (fake clock)', () => {
  it('lets a burst through, then refills at the rate, never above capacity', () => {
    const b = new TokenBucket(3, 2, 0)
    expect([b.take(0), b.take(0), b.take(0), b.take(0)]).toEqual([true, true, true, false])
    expect(b.waitMs(0)).toBe(500)
    expect(b.take(499)).toBe(false)
    expect(b.take(500)).toBe(true)
    expect(b.available(100_000)).toBe(3)
    expect(b.isFull(100_000)).toBe(true)
  })
  it('a bucket with no refill waits forever once empty', () => {
    const b = new TokenBucket(1, 0, 0)
    expect(b.take(0)).toBe(true)
    expect(b.waitMs(1e9)).toBe(Number.POSITIVE_INFINITY)
  })
  it('time going backwards does not mint tokens', () => {
    const b = new TokenBucket(1, 1, 1000)
    expect(b.take(1000)).toBe(true)
    expect(b.take(0)).toBe(false)
    expect(b.take(1999)).toBe(false)
    expect(b.take(2000)).toBe(true)
  })
})

import { describe, expect, it } from 'vitest'
import { KeyedRateLimiter } from '../../../../src/server/limits/keyedRateLimiter'

describe('KeyedRateLimiter', () => {
  it('keeps one bucket per key: one key running dry does not touch another', () => {
    const r = new KeyedRateLimiter(2, 1)
    expect([r.take('a', 0), r.take('a', 0), r.take('a', 0)]).toEqual([true, true, false])
    expect(r.take('b', 0)).toBe(true)
    expect(r.waitMs('a', 0)).toBe(1000)
    expect(r.waitMs('never-seen', 0)).toBe(0)
  })
  it('stays within maxKeys when a caller cycles through keys; refilled buckets go first, then the least recent', () => {
    const r = new KeyedRateLimiter(1, 1, 100)
    r.take('drained', 0)
    for (let i = 0; i < 10_000; i++) r.take(`k${i}`, 0)
    expect(r.size).toBeLessThanOrEqual(100)
    const s = new KeyedRateLimiter(1, 1, 2)
    s.take('old', 0)
    s.take('recent', 0)
    s.take('old', 0) // touch: recent is now the least recently used
    s.take('new', 0)
    expect(s.waitMs('old', 0)).toBeGreaterThan(0)
    expect(s.waitMs('recent', 0)).toBe(0) // evicted: a fresh bucket
  })
})

import { describe, expect, it } from 'vitest'
import { percentile, summarize } from '../../../../src/shared/latency/stats'

describe('percentile (linear interpolation between closest ranks)', () => {
  it('no values: null, whatever p', () => {
    expect(percentile([], 50)).toBeNull()
    expect(percentile([], 100)).toBeNull()
    expect(percentile([Number.NaN, Number.POSITIVE_INFINITY], 50)).toBeNull()
  })

  it('n = 1: the value is every percentile', () => {
    for (const p of [0, 50, 95, 100]) expect(percentile([7], p)).toBe(7)
  })

  it('n = 2: p50 is the mean of the two, p95 95% of the way up, p100 the maximum', () => {
    expect(percentile([20, 10], 50)).toBe(15)
    expect(percentile([20, 10], 95)).toBeCloseTo(19.5, 10)
    expect(percentile([20, 10], 100)).toBe(20)
  })

  it('n = 3: p50 is the middle value, p95 90% of the way from the middle to the top', () => {
    expect(percentile([30, 10, 20], 50)).toBe(20)
    expect(percentile([30, 10, 20], 95)).toBeCloseTo(29, 10)
    expect(percentile([30, 10, 20], 100)).toBe(30)
  })

  it('n = 20: p50 between the 10th and 11th, p95 5% of the way from the 19th to the 20th', () => {
    const values = Array.from({ length: 20 }, (_, i) => (20 - i) * 10) // 200, 190, …, 10
    expect(percentile(values, 50)).toBeCloseTo(105, 10)
    expect(percentile(values, 95)).toBeCloseTo(190.5, 10)
    expect(percentile(values, 100)).toBe(200)
    expect(percentile(values, 0)).toBe(10)
  })

  it('n = 101: whole ranks give the sample itself', () => {
    const values = Array.from({ length: 101 }, (_, i) => 100 - i)
    expect(percentile(values, 50)).toBe(50)
    expect(percentile(values, 95)).toBe(95)
  })

  it('skips non-finite values and leaves the input as it was', () => {
    const values = [300, Number.NaN, 100, 200]
    expect(percentile(values, 50)).toBe(200)
    expect(values).toEqual([300, Number.NaN, 100, 200])
  })

  it('refuses p outside 0–100', () => {
    expect(() => percentile([1], 101)).toThrow(/0–100/)
    expect(() => percentile([1], -1)).toThrow(/0–100/)
    expect(() => percentile([1], Number.NaN)).toThrow(/0–100/)
  })
})

describe('summarize', () => {
  it('counts, p50, p95, min and max of the finite values', () => {
    expect(summarize([300, 100, Number.NaN, 200])).toEqual({ count: 3, p50: 200, p95: 290, min: 100, max: 300 })
  })

  it('nothing to summarize: zero count and nulls', () => {
    expect(summarize([])).toEqual({ count: 0, p50: null, p95: null, min: null, max: null })
  })
})

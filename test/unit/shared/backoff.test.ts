import { describe, expect, it } from 'vitest'
import { backoffDelayMs, delayUnlessAborted } from '../../../src/shared/backoff'

describe('backoffDelayMs', () => {
  const policy = { baseMs: 100, maxMs: 1000, jitter: 0.5 }
  it('doubles per attempt and caps', () => {
    const noJitter = () => 0
    expect([0, 1, 2, 3, 4, 10, 1000].map((a) => backoffDelayMs(a, policy, noJitter))).toEqual([100, 200, 400, 800, 1000, 1000, 1000])
  })
  it('jitter only shortens, by at most the jitter share', () => {
    expect(backoffDelayMs(3, policy, () => 1)).toBe(400)
    expect(backoffDelayMs(3, policy, () => 0.5)).toBe(600)
  })
  it('treats negative attempts as the first', () => {
    expect(backoffDelayMs(-5, policy, () => 0)).toBe(100)
  })
})

describe('delayUnlessAborted', () => {
  it('resolves true after the delay, false at once on abort (before or during), and leaves no timer behind', async () => {
    expect(await delayUnlessAborted(5, new AbortController().signal)).toBe(true)
    const aborted = new AbortController()
    aborted.abort()
    expect(await delayUnlessAborted(60_000, aborted.signal)).toBe(false)
    const later = new AbortController()
    const t0 = Date.now()
    const waiting = delayUnlessAborted(60_000, later.signal)
    later.abort()
    expect(await waiting).toBe(false)
    expect(Date.now() - t0).toBeLessThan(1000)
  })
})

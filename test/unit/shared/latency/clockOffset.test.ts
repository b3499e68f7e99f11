import { describe, expect, it } from 'vitest'
import { ClockOffsetEstimator, estimateOffset, sampleOffset, type PingSample } from '../../../../src/shared/latency/clockOffset'

/** A fake remote clock: remote = local + offset; each probe's two legs take the given one-way delays. */
function probe(localSend: number, offset: number, upMs: number, downMs: number, processingMs = 0): PingSample {
  const t1 = localSend + upMs + offset
  return { t0: localSend, t1, t2: t1 + processingMs, t3: localSend + upMs + processingMs + downMs }
}

describe('clock offset (NTP-style, min-RTT filter)', () => {
  it('a symmetric probe gives the exact offset and its RTT', () => {
    expect(sampleOffset(probe(1000, 250, 5, 5, 2))).toEqual({ offsetMs: 250, rttMs: 10 })
  })

  it('asymmetric probes are off by half the asymmetry; the min-RTT sample wins', () => {
    const samples = [probe(0, -40, 30, 2), probe(100, -40, 3, 3), probe(200, -40, 2, 50), probe(300, -40, 12, 4)]
    const est = estimateOffset(samples)!
    expect(est.offsetMs).toBe(-40)
    expect(est.rttMs).toBe(6)
    expect(est.errorBoundMs).toBe(3)
    expect(est.samples).toBe(4)
  })

  it('the estimate is always within ± rtt/2 of the truth, whatever the asymmetry', () => {
    let seed = 7
    const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 40
    const estimator = new ClockOffsetEstimator(8)
    for (let i = 0; i < 50; i++) {
      const est = estimator.add(probe(i * 1000, 1234.5, rand(), rand(), 1))!
      expect(Math.abs(est.offsetMs - 1234.5)).toBeLessThanOrEqual(est.errorBoundMs + 1e-9)
    }
  })

  it('follows a clock step once the old samples leave the window', () => {
    const e = new ClockOffsetEstimator(4)
    for (let i = 0; i < 4; i++) e.add(probe(i * 10, 100, 1, 1))
    expect(e.estimate!.offsetMs).toBe(100)
    for (let i = 4; i < 8; i++) e.add(probe(i * 10, 500, 3, 3))
    expect(e.estimate!.offsetMs).toBe(500)
    expect(e.toLocal(10_500)).toBe(10_000)
    expect(e.toRemote(10_000)).toBe(10_500)
  })

  it('ignores impossible samples and has no estimate from none', () => {
    const e = new ClockOffsetEstimator()
    expect(e.add({ t0: 10, t1: 5, t2: 5, t3: 9 })).toBeNull()
    expect(e.add({ t0: 0, t1: Number.NaN, t2: 1, t3: 2 })).toBeNull()
    expect(estimateOffset([])).toBeNull()
  })
})

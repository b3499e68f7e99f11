/**
 * The one percentile of the project: the latency overlay, the benches and the server's figures all use it, so a p95
 * means the same thing everywhere.
 *
 * Linear interpolation between closest ranks (Hyndman & Fan type 7: numpy's and R's default), chosen over nearest
 * rank because (a) the median of an even count is the mean of the middle two, as everyone expects (p50 of [100, 200]
 * is 150, not 100), (b) a figure can be checked with `numpy.percentile` as is, and (c) it moves smoothly as turns are
 * added instead of jumping from sample to sample. At small n it stays inside the data: one value is every
 * percentile, and p100 is the maximum. For n = 20 (a bench's default run) p95 is 5% of the way from the 19th to the
 * 20th smallest value, where nearest rank would give the 19th.
 */
export function percentile(values: readonly number[], p: number): number | null {
  if (!(p >= 0 && p <= 100)) throw new Error(`percentile must be 0–100, got ${p}`)
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b)
  if (sorted.length === 0) return null
  const rank = (p / 100) * (sorted.length - 1)
  const lo = Math.floor(rank)
  const hi = Math.ceil(rank)
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (rank - lo)
}

export interface Summary {
  count: number
  p50: number | null
  p95: number | null
  min: number | null
  max: number | null
}

export function summarize(values: readonly number[]): Summary {
  const finite = values.filter(Number.isFinite)
  return {
    count: finite.length,
    p50: percentile(finite, 50),
    p95: percentile(finite, 95),
    min: finite.length ? Math.min(...finite) : null,
    max: finite.length ? Math.max(...finite) : null
  }
}

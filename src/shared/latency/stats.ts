/**
 * Percentiles over a session's turns. Linear interpolation between closest ranks (the "type 7" definition used
 * by numpy and R's default), so p50 of [100, 200] is 150 and a single value is every percentile.
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

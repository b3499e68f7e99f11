/**
 * The relay's own forwarding time, measured inside the relay process: from the moment its 'message' handler starts
 * (the datagram is in JS) to the moment the send on the other socket completes (the kernel accepted it). This
 * isolates what the relay adds from what the machine's scheduler adds around it; it cannot see the time a datagram
 * waits in the kernel receive queue before the handler runs (Node has no SO_TIMESTAMP), which the end-to-end
 * comparison in bench/relay.ts covers.
 *
 * A fixed-bucket histogram: recording is one array increment (no allocation on the hot path), percentiles are exact
 * to the bucket width (0.1 µs below 10 ms; longer ones are counted and reported through `max`).
 */
export const FORWARD_BUCKET_US = 0.1
const BUCKETS = 100_000 // 0.1 µs × 100 000 = 10 ms

export interface ForwardTimeSummary {
  count: number
  p50_us: number
  p90_us: number
  p99_us: number
  p999_us: number
  max_us: number
  /** Samples longer than the histogram's 10 ms range (they count towards the percentiles as 10 ms). */
  over_10ms: number
}

export class ForwardTimeHistogram {
  private readonly buckets = new Uint32Array(BUCKETS)
  private count = 0
  private maxUs = 0
  private over = 0

  /** Record one forward time in microseconds (negative or non-finite values are ignored). */
  record(us: number): void {
    if (!(us >= 0) || !Number.isFinite(us)) return
    this.count++
    if (us > this.maxUs) this.maxUs = us
    const i = Math.floor(us / FORWARD_BUCKET_US)
    if (i >= BUCKETS) {
      this.over++
      this.buckets[BUCKETS - 1]!++
    } else this.buckets[i]!++
  }

  /** Upper edge of the bucket holding the p-quantile (0 < p ≤ 1); NaN when empty. */
  percentile(p: number): number {
    if (this.count === 0) return NaN
    const rank = Math.max(1, Math.ceil(p * this.count))
    let seen = 0
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.buckets[i]!
      if (seen >= rank) return Math.min(this.maxUs, (i + 1) * FORWARD_BUCKET_US)
    }
    return this.maxUs
  }

  summary(): ForwardTimeSummary {
    const r = (x: number): number => (Number.isNaN(x) ? x : Math.round(x * 10) / 10)
    return {
      count: this.count,
      p50_us: r(this.percentile(0.5)),
      p90_us: r(this.percentile(0.9)),
      p99_us: r(this.percentile(0.99)),
      p999_us: r(this.percentile(0.999)),
      max_us: r(this.maxUs),
      over_10ms: this.over
    }
  }

  reset(): void {
    this.buckets.fill(0)
    this.count = 0
    this.maxUs = 0
    this.over = 0
  }
}

/** One histogram per direction: client → worker (up) and worker → client (down). */
export interface ForwardTimers {
  up: ForwardTimeHistogram
  down: ForwardTimeHistogram
}

export function createForwardTimers(): ForwardTimers {
  return { up: new ForwardTimeHistogram(), down: new ForwardTimeHistogram() }
}

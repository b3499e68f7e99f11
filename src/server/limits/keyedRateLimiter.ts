import { TokenBucket } from './tokenBucket'

/**
 * One token bucket per key (a source address, a principal), in a map of bounded size so that a caller cycling
 * through keys cannot grow memory without bound: when the map is full, buckets that have refilled completely are
 * dropped first (they carry no information), then the least recently used ones. Pure: time is passed in.
 */
export class KeyedRateLimiter {
  private readonly buckets = new Map<string, TokenBucket>()

  constructor(
    readonly capacity: number,
    readonly refillPerSecond: number,
    readonly maxKeys = 10_000
  ) {}

  get size(): number {
    return this.buckets.size
  }

  /** How long until `key` may act (0 = now). Does not take a token. */
  waitMs(key: string, now: number): number {
    return this.buckets.get(key)?.waitMs(now) ?? 0
  }

  /** Take one token from `key`'s bucket; false if it is empty. */
  take(key: string, now: number): boolean {
    return this.bucket(key, now).take(now)
  }

  private bucket(key: string, now: number): TokenBucket {
    let bucket = this.buckets.get(key)
    if (bucket) {
      this.buckets.delete(key) // re-insert: Map order is recency order
      this.buckets.set(key, bucket)
      return bucket
    }
    if (this.buckets.size >= this.maxKeys) this.evict(now)
    bucket = new TokenBucket(this.capacity, this.refillPerSecond, now)
    this.buckets.set(key, bucket)
    return bucket
  }

  private evict(now: number): void {
    for (const [key, bucket] of this.buckets) if (bucket.isFull(now)) this.buckets.delete(key)
    while (this.buckets.size >= this.maxKeys) this.buckets.delete(this.buckets.keys().next().value!)
  }
}

/**
 * A token bucket: holds up to `capacity` tokens, refills `refillPerSecond` per second, and each admitted action takes
 * one. Pure: the caller passes the time, so the policy is tested with a fake clock.
 */
export class TokenBucket {
  private tokens: number
  private updatedAt: number

  constructor(
    readonly capacity: number,
    readonly refillPerSecond: number,
    now: number
  ) {
    this.tokens = capacity
    this.updatedAt = now
  }

  /** Tokens available at `now` (fractional while refilling). */
  available(now: number): number {
    this.refill(now)
    return this.tokens
  }

  /** How long until one token is available (0 if one is). */
  waitMs(now: number): number {
    this.refill(now)
    if (this.tokens >= 1) return 0
    return this.refillPerSecond > 0 ? ((1 - this.tokens) / this.refillPerSecond) * 1000 : Number.POSITIVE_INFINITY
  }

  /** Take one token if there is one. */
  take(now: number): boolean {
    this.refill(now)
    if (this.tokens < 1) return false
    this.tokens -= 1
    return true
  }

  isFull(now: number): boolean {
    return this.available(now) >= this.capacity
  }

  private refill(now: number): void {
    if (now > this.updatedAt) {
      this.tokens = Math.min(this.capacity, this.tokens + ((now - this.updatedAt) / 1000) * this.refillPerSecond)
      this.updatedAt = now
    }
  }
}

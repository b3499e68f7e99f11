import type { Clock, TimerHandle } from '../../src/shared/clock'

interface FakeTimer {
  id: number
  at: number
  fn: () => void
  /** Period of an interval; null for a one-shot timeout. */
  every: number | null
}

/**
 * A Clock that moves only when a test says so. `advance(ms)` runs every timer that falls due on the way, in time
 * order (timers set by a firing timer included), with `now()` at each one's due time. `liveTimers` counts timeouts
 * not yet fired or cleared plus intervals not cleared: 0 after a close means nothing was left running. The functions
 * are own properties, so `{ ...clock, setTimeout: … }` makes a clock with one function swapped (e.g. a late timer).
 */
export class FakeClock implements Clock {
  private t: number
  private nextId = 1
  private readonly timers = new Map<number, FakeTimer>()

  constructor(start = 0) {
    this.t = start
  }

  readonly now = (): number => this.t

  readonly setTimeout = (fn: () => void, ms: number): TimerHandle => this.add(fn, ms, null)
  readonly clearTimeout = (handle: TimerHandle): void => void this.timers.delete(handle as number)
  readonly setInterval = (fn: () => void, ms: number): TimerHandle => this.add(fn, ms, Math.max(1, ms))
  readonly clearInterval = (handle: TimerHandle): void => void this.timers.delete(handle as number)

  /** Timers that may still fire. */
  get liveTimers(): number {
    return this.timers.size
  }

  /** Move time forward by `ms`, firing what falls due on the way. */
  advance(ms: number): void {
    const end = this.t + ms
    for (;;) {
      let next: FakeTimer | null = null
      for (const timer of this.timers.values()) if (timer.at <= end && (next === null || timer.at < next.at || (timer.at === next.at && timer.id < next.id))) next = timer
      if (!next) break
      this.t = Math.max(this.t, next.at)
      if (next.every === null) this.timers.delete(next.id)
      else next.at += next.every
      next.fn()
    }
    this.t = end
  }

  private add(fn: () => void, ms: number, every: number | null): number {
    const id = this.nextId++
    this.timers.set(id, { id, at: this.t + Math.max(0, ms), fn, every })
    return id
  }
}

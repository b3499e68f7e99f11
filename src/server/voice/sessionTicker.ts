import type { Clock, TimerHandle } from '../../shared/clock'

/** The turn detectors' clock tick (their timeouts are multiples of it: 160 ms early reply, 250 ms, 300 ms, 700 ms). */
export const TURN_TICK_MS = 20

/**
 * One 20 ms timer for the turn detectors of every voice session of this process (hundreds of sessions would
 * otherwise run hundreds of timers). It runs while anyone listens. Each listener catches and logs its own failures.
 */
export class SessionTicker {
  private readonly listeners = new Set<() => void>()
  private timer: TimerHandle | null = null

  constructor(
    private readonly clock: Clock,
    private readonly periodMs = TURN_TICK_MS
  ) {}

  get listening(): number {
    return this.listeners.size
  }

  /** Call `fn` every tick until the returned function is called. */
  add(fn: () => void): () => void {
    this.listeners.add(fn)
    this.timer ??= this.clock.setInterval(() => {
      for (const listener of this.listeners) listener()
    }, this.periodMs)
    return () => {
      this.listeners.delete(fn)
      if (this.listeners.size === 0) this.stop()
    }
  }

  /** Stop ticking and forget every listener. */
  close(): void {
    this.listeners.clear()
    this.stop()
  }

  private stop(): void {
    if (this.timer !== null) this.clock.clearInterval(this.timer)
    this.timer = null
  }
}

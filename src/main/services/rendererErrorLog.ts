import type { RendererError } from '../../shared/contract/api'
import type { Logger } from '../../shared/logging/logger'

/**
 * The window's uncaught errors, written to the app's log (the renderer has no file of its own). A page stuck in a
 * loop that throws on every frame would write 60 lines a second; a budget of `perMinute` reports per minute keeps
 * the log readable, and how many were dropped is said once the next minute begins.
 */
export class RendererErrorLog {
  private windowStart = -Infinity
  private inWindow = 0
  private dropped = 0

  constructor(
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
    private readonly perMinute = 20
  ) {}

  /** Log one report; false when this minute's budget is spent (the report is counted, not written). */
  report(error: RendererError): boolean {
    const at = this.now()
    if (at - this.windowStart >= 60_000) {
      if (this.dropped > 0) this.logger.warn('renderer errors dropped: more than the budget in a minute', { dropped: this.dropped, perMinute: this.perMinute })
      this.windowStart = at
      this.inWindow = 0
      this.dropped = 0
    }
    if (this.inWindow >= this.perMinute) {
      this.dropped++
      return false
    }
    this.inWindow++
    this.logger.error(error.kind === 'error' ? 'renderer error' : 'renderer unhandled rejection', { message: error.message, stack: error.stack, source: error.source })
    return true
  }
}

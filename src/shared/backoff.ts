/**
 * Reconnect/restart delay policy: exponential from `baseMs`, capped at `maxMs`, with proportional jitter so many
 * clients that lost the same backend do not return in lockstep. `random` is injectable for tests.
 */
export interface BackoffPolicy {
  baseMs: number
  maxMs: number
  /** 0..1: the delay is drawn from [d*(1-jitter), d]. */
  jitter: number
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 250, maxMs: 10_000, jitter: 0.3 }

export function backoffDelayMs(attempt: number, policy: BackoffPolicy = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const exp = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, Math.min(attempt, 30)))
  return Math.round(exp * (1 - policy.jitter * random()))
}

/** Wait `ms` (a backoff delay); resolves false at once when `signal` aborts first, true when the time has passed. */
export function delayUnlessAborted(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false)
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve(true)
    }, ms)
    const onAbort = (): void => {
      clearTimeout(timer)
      resolve(false)
    }
    signal.addEventListener('abort', onAbort, { once: true })
  })
}

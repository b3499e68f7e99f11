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

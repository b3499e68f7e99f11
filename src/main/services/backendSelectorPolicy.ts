/**
 * Nearest-backend choice, as pure policy (no sockets, no timers): rank backends by measured signaling RTT, pick the
 * lowest, keep it while it stays reachable and not much worse than the best, fail over to the next on loss.
 */

export interface BackendProbe {
  url: string
  /** Round-trip times of the pings that were answered, ms. */
  rttsMs: number[]
  /** Pings that failed (timeout, connection refused/closed). */
  failures: number
}

export interface RankedBackend {
  url: string
  /** Median RTT of the answered pings; null when none was answered. */
  rttMs: number | null
  lossRatio: number
  reachable: boolean
}

export interface SelectionPolicy {
  /** A backend with a higher loss ratio than this in a probe round counts as unreachable. */
  maxLossRatio: number
  /** Only move off a working current backend if another is faster by more than this (avoids flapping). */
  switchMarginMs: number
}

export const DEFAULT_SELECTION_POLICY: SelectionPolicy = { maxLossRatio: 0.5, switchMarginMs: 15 }

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

/** Reachable backends first, by median RTT (ties keep the configured order), then the unreachable ones. */
export function rankBackends(probes: readonly BackendProbe[], policy: SelectionPolicy = DEFAULT_SELECTION_POLICY): RankedBackend[] {
  const ranked = probes.map((p, order) => {
    const total = p.rttsMs.length + p.failures
    const lossRatio = total === 0 ? 1 : p.failures / total
    const rttMs = p.rttsMs.length ? median(p.rttsMs) : null
    return { order, backend: { url: p.url, rttMs, lossRatio, reachable: rttMs !== null && lossRatio <= policy.maxLossRatio } }
  })
  ranked.sort((a, b) => {
    if (a.backend.reachable !== b.backend.reachable) return a.backend.reachable ? -1 : 1
    if (a.backend.reachable && a.backend.rttMs !== b.backend.rttMs) return a.backend.rttMs! - b.backend.rttMs!
    return a.order - b.order
  })
  return ranked.map((r) => r.backend)
}

export interface SelectionDecision {
  /** The backend to use, or null when none is reachable. */
  url: string | null
  reason: 'initial' | 'kept' | 'faster' | 'failover' | 'none_reachable'
}

/** Decide which backend to use after a probe round, given the one in use (if any). */
export function chooseBackend(ranked: readonly RankedBackend[], current: string | null, policy: SelectionPolicy = DEFAULT_SELECTION_POLICY): SelectionDecision {
  const best = ranked.find((b) => b.reachable)
  if (!best) return { url: null, reason: 'none_reachable' }
  if (current === null) return { url: best.url, reason: 'initial' }
  const mine = ranked.find((b) => b.url === current)
  if (!mine || !mine.reachable) return { url: best.url, reason: 'failover' }
  if (best.url !== current && mine.rttMs! - best.rttMs! > policy.switchMarginMs) return { url: best.url, reason: 'faster' }
  return { url: current, reason: 'kept' }
}

/** The next reachable backend after `failed` (used at once when the current one drops, before a new probe round). */
export function nextAfterFailure(ranked: readonly RankedBackend[], failed: string): string | null {
  return ranked.find((b) => b.reachable && b.url !== failed)?.url ?? null
}

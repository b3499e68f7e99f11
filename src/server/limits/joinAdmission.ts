import { ContractError } from '../../shared/contract/errors'
import { DEFAULT_FAIR_LIMITS, type FairLimits, type SessionOwner } from './fairLimits'
import { KeyedRateLimiter } from './keyedRateLimiter'

/**
 * Whether a join may create a session: the join rate (one token bucket per address and one per principal) and the
 * session quotas (all sessions, per principal, per address). A refusal is a ContractError `limit_exceeded` naming
 * the limit, so one client's flood is refused as that client's, and nobody else's join is. Pure: time is passed in.
 */
export class JoinAdmission {
  readonly limits: FairLimits
  private readonly rate: KeyedRateLimiter
  private readonly perPrincipal = new Map<string, number>()
  private readonly perAddress = new Map<string, number>()
  private total = 0

  constructor(limits: Partial<FairLimits> = {}) {
    this.limits = { ...DEFAULT_FAIR_LIMITS, ...limits }
    this.rate = new KeyedRateLimiter(this.limits.joinBurst, this.limits.joinsPerSecond)
  }

  /** Sessions counted against a principal / an address right now. */
  sessionsOf(key: { principal?: string; address?: string }): number {
    return key.principal !== undefined ? (this.perPrincipal.get(key.principal) ?? 0) : (this.perAddress.get(key.address ?? '') ?? 0)
  }

  /** Throws limit_exceeded if `owner` may not open a session now; otherwise counts it (call `release` when it closes). */
  admit(owner: SessionOwner, now: number): void {
    const l = this.limits
    const addressKey = `a:${owner.address}`
    const principalKey = `p:${owner.principal}`
    const wait = Math.max(this.rate.waitMs(addressKey, now), this.rate.waitMs(principalKey, now))
    if (wait > 0) {
      throw ContractError.limit('join_rate', `joining too fast: at most ${l.joinBurst} joins at once, then ${l.joinsPerSecond} per second; try again in ${Math.ceil(wait)} ms`, wait)
    }
    if (this.total >= l.maxSessions) throw ContractError.limit('sessions_total', `backend is full: all ${l.maxSessions} session slots are in use`)
    if ((this.perPrincipal.get(owner.principal) ?? 0) >= l.sessionsPerPrincipal) {
      throw ContractError.limit('sessions_per_principal', `you already hold ${l.sessionsPerPrincipal} sessions (the limit per user); leave one, or wait for a dropped one to expire`)
    }
    if ((this.perAddress.get(owner.address) ?? 0) >= l.sessionsPerAddress) {
      throw ContractError.limit('sessions_per_address', `${l.sessionsPerAddress} sessions are already open from your address (the limit per address)`)
    }
    this.rate.take(addressKey, now)
    this.rate.take(principalKey, now)
    this.total++
    this.perPrincipal.set(owner.principal, (this.perPrincipal.get(owner.principal) ?? 0) + 1)
    this.perAddress.set(owner.address, (this.perAddress.get(owner.address) ?? 0) + 1)
  }

  /** A session admitted for `owner` closed (or was never created after all). */
  release(owner: SessionOwner): void {
    this.total = Math.max(0, this.total - 1)
    decrement(this.perPrincipal, owner.principal)
    decrement(this.perAddress, owner.address)
  }
}

function decrement(map: Map<string, number>, key: string): void {
  const n = (map.get(key) ?? 0) - 1
  if (n > 0) map.set(key, n)
  else map.delete(key)
}

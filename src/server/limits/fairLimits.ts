/**
 * The fairness limits of one backend. Defaults are sized for a backend shared by a few dozen people: one person's
 * app holds one session (two for a moment while a resume races a grace period), so 10 per principal leaves room for
 * several devices on one token, and 20 per address for a household or office behind one NAT. Joins refill at 2 per
 * second with a burst of 10: an app reconnecting after a network change joins once; a flood of 2000 joins from one
 * address gets 10 through, then one every 500 ms, and those hit the per-principal cap.
 */
export interface FairLimits {
  /** All sessions of the backend (also bounds memory: each is a mediasoup router + transports). */
  maxSessions: number
  /** Sessions per principal (token subject, the embedded app, or an anonymous address), detached ones included. */
  sessionsPerPrincipal: number
  /** Sessions per source address (IPv6: per /64). */
  sessionsPerAddress: number
  /** Join token bucket, per address and per principal: burst size. */
  joinBurst: number
  /** Join token bucket refill, per second. */
  joinsPerSecond: number
  /** Open signaling connections per source address (an extra one is refused at the upgrade with HTTP 429). */
  connectionsPerAddress: number
}

export const DEFAULT_FAIR_LIMITS: FairLimits = {
  maxSessions: 2000,
  sessionsPerPrincipal: 10,
  sessionsPerAddress: 20,
  joinBurst: 10,
  joinsPerSecond: 2,
  connectionsPerAddress: 50
}

/** Who a session is counted against: the principal's id and the source address key (see addressKey). */
export interface SessionOwner {
  principal: string
  address: string
}

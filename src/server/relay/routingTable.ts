/**
 * The relay's soft state, as a pure data structure (no sockets, no timers: the caller passes `now`).
 *
 * - Routes: server ICE ufrag → the worker that owns it (its WebRtcServer address), registered by a backend (the
 *   route's owner) over the control channel. When a backend's control connection drops, its routes are kept for
 *   `orphanRouteMs` (the backend re-registers everything when it reconnects); after that they are dropped.
 * - Flows: one client 5-tuple (transport + remote address + port) → one route, created when the flow's first STUN
 *   binding request names a known ufrag; dropped after `flowIdleMs` without a packet in either direction.
 * - Limits (each flow costs the relay a UDP socket, a file descriptor): a server ufrag (one ICE transport of one
 *   session) holds at most `maxFlowsPerUfrag` flows and a new one replaces its least recently seen; one client
 *   address holds at most `maxFlowsPerAddress`, more are refused; when the whole table is full, a new client's flow
 *   replaces the least recently seen flow of the address holding the most flows, so one client that filled the table
 *   cannot keep others out (measured before the limits: one client with one session's credentials opened 676 flows,
 *   the relay ran out of descriptors and a second client's media was no longer forwarded).
 *
 * Nothing here must survive a relay restart: backends re-register routes, and the client's next consent check
 * (a STUN binding request) re-creates the flow.
 */

export interface RouteTarget {
  host: string
  port: number
}

export interface Route {
  ufrag: string
  /** The ICE password, if the backend shared it: the relay then only opens flows for correctly signed checks. */
  password: string | null
  target: RouteTarget
  owner: string
  /** The relay-side UDP port mediasoup last saw for this ufrag; a restarted relay tries to reuse it. */
  stickyPort: number | null
}

export interface Flow<H> {
  readonly key: string
  /** The client's IP address (the per-address limit counts flows by it). */
  readonly address: string
  readonly ufrag: string
  target: RouteTarget
  readonly createdAt: number
  lastSeen: number
  handle: H
}

export interface RoutingTableOptions {
  /** A flow with no packet for this long is closed. Browsers send a consent check at least every ~5 s. */
  flowIdleMs: number
  /** Routes of a backend whose control channel is gone are kept this long for it to come back. */
  orphanRouteMs: number
  /** Upper bounds so a misbehaving peer cannot exhaust memory (maxFlows: see flowBudget.ts for the relay's). */
  maxRoutes?: number
  maxFlows?: number
  /** Flows of one server ufrag; a new one replaces the least recently seen (default 8). */
  maxFlowsPerUfrag?: number
  /** Flows from one client IP address; more are refused (default 32). */
  maxFlowsPerAddress?: number
}

export const DEFAULT_MAX_FLOWS_PER_UFRAG = 8
export const DEFAULT_MAX_FLOWS_PER_ADDRESS = 32

export type AddRouteOutcome = 'added' | 'updated' | 'conflict' | 'full'

/** A new flow, with the flows it replaced (the caller closes their sockets); or why none was made. */
export type AddFlowOutcome<H> = { ok: true; flow: Flow<H>; evicted: Flow<H>[] } | { ok: false; reason: 'address_limit' | 'table_full' }

export interface ExpiredState<H> {
  flows: Flow<H>[]
  routes: Route[]
}

export class RoutingTable<H> {
  private readonly routes = new Map<string, Route>()
  private readonly flows = new Map<string, Flow<H>>()
  private readonly flowsByUfrag = new Map<string, Set<string>>()
  private readonly flowsByAddress = new Map<string, Set<string>>()
  /** owner → time its control channel went away. */
  private readonly orphanedSince = new Map<string, number>()

  constructor(readonly opts: RoutingTableOptions) {}

  get routeCount(): number {
    return this.routes.size
  }

  get flowCount(): number {
    return this.flows.size
  }

  route(ufrag: string): Route | undefined {
    return this.routes.get(ufrag)
  }

  /** Hot path: the flow for a 5-tuple key, if any. */
  flow(key: string): Flow<H> | undefined {
    return this.flows.get(key)
  }

  flowsOf(ufrag: string): Flow<H>[] {
    const keys = this.flowsByUfrag.get(ufrag)
    return keys ? [...keys].map((k) => this.flows.get(k)!).filter(Boolean) : []
  }

  /** Register or update a route. A ufrag owned by another backend is a conflict (ufrags are random; this is a bug or an attack). */
  addRoute(route: Route): AddRouteOutcome {
    const existing = this.routes.get(route.ufrag)
    if (existing && existing.owner !== route.owner) return 'conflict'
    if (!existing && this.routes.size >= (this.opts.maxRoutes ?? 100_000)) return 'full'
    this.routes.set(route.ufrag, { ...route, target: { ...route.target } })
    return existing ? 'updated' : 'added'
  }

  /** Remove routes (only the owner's own) and return the flows that used them, for the caller to close. */
  removeRoutes(owner: string, ufrags: Iterable<string>): Flow<H>[] {
    const closed: Flow<H>[] = []
    for (const ufrag of ufrags) {
      const route = this.routes.get(ufrag)
      if (!route || route.owner !== owner) continue
      this.routes.delete(ufrag)
      closed.push(...this.dropFlowsOf(ufrag))
    }
    return closed
  }

  /** A full re-registration: every route of `owner` not in `keep` is removed. Returns flows to close. */
  retainOnly(owner: string, keep: ReadonlySet<string>): Flow<H>[] {
    const gone: string[] = []
    for (const route of this.routes.values()) if (route.owner === owner && !keep.has(route.ufrag)) gone.push(route.ufrag)
    return this.removeRoutes(owner, gone)
  }

  ownerDisconnected(owner: string, now: number): void {
    if (!this.orphanedSince.has(owner)) this.orphanedSince.set(owner, now)
  }

  ownerConnected(owner: string): void {
    this.orphanedSince.delete(owner)
  }

  setStickyPort(ufrag: string, owner: string, port: number | null): void {
    const route = this.routes.get(ufrag)
    if (route && route.owner === owner) route.stickyPort = port
  }

  /** Flows from one client address right now. */
  flowCountOf(address: string): number {
    return this.flowsByAddress.get(address)?.size ?? 0
  }

  /**
   * Create the flow for a 5-tuple (the caller has checked the route exists), within the limits described at the top:
   * the ufrag's least recently seen flow makes room for it, the client address may be at its limit (refused), and a
   * full table gives way only to an address with fewer flows than the one holding the most.
   */
  addFlow(key: string, address: string, ufrag: string, target: RouteTarget, handle: H, now: number): AddFlowOutcome<H> {
    if (this.flows.has(key)) throw new Error(`flow ${key} already exists`)
    const evict: Flow<H>[] = []
    const ofUfrag = this.flowsOf(ufrag)
    if (ofUfrag.length >= (this.opts.maxFlowsPerUfrag ?? DEFAULT_MAX_FLOWS_PER_UFRAG)) evict.push(leastRecentlySeen(ofUfrag))
    const sameAddress = evict.filter((f) => f.address === address).length
    if (this.flowCountOf(address) - sameAddress >= (this.opts.maxFlowsPerAddress ?? DEFAULT_MAX_FLOWS_PER_ADDRESS)) return { ok: false, reason: 'address_limit' }
    if (this.flows.size - evict.length >= (this.opts.maxFlows ?? 100_000)) {
      const heaviest = this.heaviestAddress()
      const mine = this.flowCountOf(address) - sameAddress
      if (!heaviest || heaviest.count <= mine + 1) return { ok: false, reason: 'table_full' }
      evict.push(leastRecentlySeen([...heaviest.keys].map((k) => this.flows.get(k)!)))
    }
    for (const f of evict) this.removeFlow(f.key)
    const flow: Flow<H> = { key, address, ufrag, target: { ...target }, createdAt: now, lastSeen: now, handle }
    this.flows.set(key, flow)
    addTo(this.flowsByUfrag, ufrag, key)
    addTo(this.flowsByAddress, address, key)
    return { ok: true, flow, evicted: evict }
  }

  removeFlow(key: string): Flow<H> | undefined {
    const flow = this.flows.get(key)
    if (!flow) return undefined
    this.flows.delete(key)
    removeFrom(this.flowsByUfrag, flow.ufrag, key)
    removeFrom(this.flowsByAddress, flow.address, key)
    return flow
  }

  private heaviestAddress(): { address: string; count: number; keys: Set<string> } | null {
    let best: { address: string; count: number; keys: Set<string> } | null = null
    for (const [address, keys] of this.flowsByAddress) if (!best || keys.size > best.count) best = { address, count: keys.size, keys }
    return best
  }

  /** Drop idle flows and routes orphaned too long; returns what was dropped so the caller can close sockets. */
  expire(now: number): ExpiredState<H> {
    const flows: Flow<H>[] = []
    for (const flow of this.flows.values()) {
      if (now - flow.lastSeen >= this.opts.flowIdleMs) flows.push(flow)
    }
    for (const flow of flows) this.removeFlow(flow.key)
    const routes: Route[] = []
    for (const [owner, since] of this.orphanedSince) {
      if (now - since < this.opts.orphanRouteMs) continue
      this.orphanedSince.delete(owner)
      for (const route of this.routes.values()) if (route.owner === owner) routes.push(route)
    }
    for (const route of routes) {
      this.routes.delete(route.ufrag)
      flows.push(...this.dropFlowsOf(route.ufrag))
    }
    return { flows, routes }
  }

  /** Everything, for shutdown. */
  allFlows(): Flow<H>[] {
    return [...this.flows.values()]
  }

  private dropFlowsOf(ufrag: string): Flow<H>[] {
    const out: Flow<H>[] = []
    for (const key of [...(this.flowsByUfrag.get(ufrag) ?? [])]) {
      const flow = this.removeFlow(key)
      if (flow) out.push(flow)
    }
    return out
  }
}

function leastRecentlySeen<H>(flows: Flow<H>[]): Flow<H> {
  let oldest = flows[0]!
  for (const f of flows) if (f.lastSeen < oldest.lastSeen) oldest = f
  return oldest
}

function addTo(index: Map<string, Set<string>>, name: string, key: string): void {
  let keys = index.get(name)
  if (!keys) index.set(name, (keys = new Set()))
  keys.add(key)
}

function removeFrom(index: Map<string, Set<string>>, name: string, key: string): void {
  const keys = index.get(name)
  keys?.delete(key)
  if (keys && keys.size === 0) index.delete(name)
}

/**
 * The relay's soft state, as a pure data structure (no sockets, no timers: the caller passes `now`).
 *
 * - Routes: server ICE ufrag → the worker that owns it (its WebRtcServer address), registered by a backend (the
 *   route's owner) over the control channel. When a backend's control connection drops, its routes are kept for
 *   `orphanRouteMs` (the backend re-registers everything when it reconnects); after that they are dropped.
 * - Flows: one client 5-tuple (transport + remote address + port) → one route, created when the flow's first STUN
 *   binding request names a known ufrag; dropped after `flowIdleMs` without a packet in either direction.
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
  /** Upper bounds so a misbehaving peer cannot exhaust memory. */
  maxRoutes?: number
  maxFlows?: number
}

export type AddRouteOutcome = 'added' | 'updated' | 'conflict' | 'full'

export interface ExpiredState<H> {
  flows: Flow<H>[]
  routes: Route[]
}

export class RoutingTable<H> {
  private readonly routes = new Map<string, Route>()
  private readonly flows = new Map<string, Flow<H>>()
  private readonly flowsByUfrag = new Map<string, Set<string>>()
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

  /** Create the flow for a 5-tuple; the caller has checked the route exists. Returns null when at capacity. */
  addFlow(key: string, ufrag: string, target: RouteTarget, handle: H, now: number): Flow<H> | null {
    if (this.flows.has(key)) throw new Error(`flow ${key} already exists`)
    if (this.flows.size >= (this.opts.maxFlows ?? 100_000)) return null
    const flow: Flow<H> = { key, ufrag, target: { ...target }, createdAt: now, lastSeen: now, handle }
    this.flows.set(key, flow)
    let keys = this.flowsByUfrag.get(ufrag)
    if (!keys) this.flowsByUfrag.set(ufrag, (keys = new Set()))
    keys.add(key)
    return flow
  }

  removeFlow(key: string): Flow<H> | undefined {
    const flow = this.flows.get(key)
    if (!flow) return undefined
    this.flows.delete(key)
    const keys = this.flowsByUfrag.get(flow.ufrag)
    keys?.delete(key)
    if (keys && keys.size === 0) this.flowsByUfrag.delete(flow.ufrag)
    return flow
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

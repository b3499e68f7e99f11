import { describe, expect, it } from 'vitest'
import { RoutingTable, type Route } from '../../../../src/server/relay/routingTable'

const route = (ufrag: string, owner = 'b1', port = 40000): Route => ({ ufrag, password: null, target: { host: '10.0.0.2', port }, owner, stickyPort: null })

describe('RoutingTable', () => {
  it('routes by ufrag; another backend cannot take a ufrag over; the owner can update it', () => {
    const t = new RoutingTable<string>({ flowIdleMs: 30_000, orphanRouteMs: 60_000 })
    expect(t.addRoute(route('aaaa'))).toBe('added')
    expect(t.addRoute(route('aaaa', 'b2', 41000))).toBe('conflict')
    expect(t.route('aaaa')?.target.port).toBe(40000)
    expect(t.addRoute(route('aaaa', 'b1', 40001))).toBe('updated')
    expect(t.route('aaaa')?.target.port).toBe(40001)
    expect(t.route('nope')).toBeUndefined()
  })

  it('flows expire after flowIdleMs without traffic; touched flows stay', () => {
    const t = new RoutingTable<string>({ flowIdleMs: 1000, orphanRouteMs: 60_000 })
    t.addRoute(route('aaaa'))
    const f1 = t.addFlow('1.1.1.1|1', 'aaaa', { host: 'h', port: 1 }, 'sock1', 0)!
    t.addFlow('1.1.1.1|2', 'aaaa', { host: 'h', port: 1 }, 'sock2', 0)
    expect(t.expire(999).flows).toHaveLength(0)
    f1.lastSeen = 900
    const gone = t.expire(1000)
    expect(gone.flows.map((f) => f.handle)).toEqual(['sock2'])
    expect(t.flow('1.1.1.1|1')).toBeDefined()
    expect(t.expire(1900).flows.map((f) => f.handle)).toEqual(['sock1'])
    expect(t.flowCount).toBe(0)
    expect(t.routeCount).toBe(1) // routes are not idle-expired: their backend says when they end
  })

  it('removing a route returns its flows; only the owner can remove it', () => {
    const t = new RoutingTable<string>({ flowIdleMs: 1000, orphanRouteMs: 60_000 })
    t.addRoute(route('aaaa'))
    t.addRoute(route('bbbb'))
    t.addFlow('k1', 'aaaa', { host: 'h', port: 1 }, 's1', 0)
    t.addFlow('k2', 'bbbb', { host: 'h', port: 1 }, 's2', 0)
    expect(t.removeRoutes('b2', ['aaaa'])).toEqual([])
    expect(t.removeRoutes('b1', ['aaaa']).map((f) => f.handle)).toEqual(['s1'])
    expect(t.route('aaaa')).toBeUndefined()
    expect(t.flowsOf('bbbb').map((f) => f.handle)).toEqual(['s2'])
  })

  it('replace-all registration drops the owner routes that are gone, and only those', () => {
    const t = new RoutingTable<string>({ flowIdleMs: 1000, orphanRouteMs: 60_000 })
    t.addRoute(route('aaaa'))
    t.addRoute(route('bbbb'))
    t.addRoute(route('cccc', 'b2'))
    t.addFlow('k', 'bbbb', { host: 'h', port: 1 }, 's', 0)
    expect(t.retainOnly('b1', new Set(['aaaa'])).map((f) => f.handle)).toEqual(['s'])
    expect([t.route('aaaa'), t.route('bbbb'), t.route('cccc')].map(Boolean)).toEqual([true, false, true])
  })

  it('routes of a backend whose control channel dropped survive orphanRouteMs, and are dropped after unless it returns', () => {
    const t = new RoutingTable<string>({ flowIdleMs: 1e9, orphanRouteMs: 5000 })
    t.addRoute(route('aaaa', 'b1'))
    t.addRoute(route('bbbb', 'b2'))
    t.addFlow('k', 'aaaa', { host: 'h', port: 1 }, 's', 0)
    t.ownerDisconnected('b1', 1000)
    t.ownerDisconnected('b2', 1000)
    t.ownerConnected('b2') // b2 came back in time
    expect(t.expire(5999).routes).toHaveLength(0)
    const gone = t.expire(6000)
    expect(gone.routes.map((r) => r.ufrag)).toEqual(['aaaa'])
    expect(gone.flows.map((f) => f.handle)).toEqual(['s'])
    expect(t.route('bbbb')).toBeDefined()
  })

  it('enforces capacity limits instead of growing without bound', () => {
    const t = new RoutingTable<string>({ flowIdleMs: 1000, orphanRouteMs: 1000, maxRoutes: 2, maxFlows: 1 })
    expect(t.addRoute(route('aaaa'))).toBe('added')
    expect(t.addRoute(route('bbbb'))).toBe('added')
    expect(t.addRoute(route('cccc'))).toBe('full')
    expect(t.addFlow('k1', 'aaaa', { host: 'h', port: 1 }, 's', 0)).not.toBeNull()
    expect(t.addFlow('k2', 'aaaa', { host: 'h', port: 1 }, 's', 0)).toBeNull()
    expect(() => t.addFlow('k1', 'aaaa', { host: 'h', port: 1 }, 's', 0)).toThrow(/already exists/)
  })

  it('sticky port is set only by the route owner', () => {
    const t = new RoutingTable<string>({ flowIdleMs: 1000, orphanRouteMs: 1000 })
    t.addRoute(route('aaaa'))
    t.setStickyPort('aaaa', 'b2', 5555)
    expect(t.route('aaaa')?.stickyPort).toBeNull()
    t.setStickyPort('aaaa', 'b1', 5555)
    expect(t.route('aaaa')?.stickyPort).toBe(5555)
  })
})

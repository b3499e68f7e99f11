import { describe, expect, it } from 'vitest'
import { RoutingTable, type AddFlowOutcome, type Flow, type Route } from '../../../../src/server/relay/routingTable'

const flowOf = <H>(outcome: AddFlowOutcome<H>): Flow<H> => {
  if (!outcome.ok) throw new Error(`no flow: ${outcome.reason}`)
  return outcome.flow
}
const target = { host: 'h', port: 1 }

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
    const f1 = flowOf(t.addFlow('1.1.1.1|1', '1.1.1.1', 'aaaa', { host: 'h', port: 1 }, 'sock1', 0))
    t.addFlow('1.1.1.1|2', '1.1.1.1', 'aaaa', { host: 'h', port: 1 }, 'sock2', 0)
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
    t.addFlow('k1', '9.9.9.9', 'aaaa', { host: 'h', port: 1 }, 's1', 0)
    t.addFlow('k2', '9.9.9.9', 'bbbb', { host: 'h', port: 1 }, 's2', 0)
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
    t.addFlow('k', '9.9.9.9', 'bbbb', { host: 'h', port: 1 }, 's', 0)
    expect(t.retainOnly('b1', new Set(['aaaa'])).map((f) => f.handle)).toEqual(['s'])
    expect([t.route('aaaa'), t.route('bbbb'), t.route('cccc')].map(Boolean)).toEqual([true, false, true])
  })

  it('routes of a backend whose control channel dropped survive orphanRouteMs, and are dropped after unless it returns', () => {
    const t = new RoutingTable<string>({ flowIdleMs: 1e9, orphanRouteMs: 5000 })
    t.addRoute(route('aaaa', 'b1'))
    t.addRoute(route('bbbb', 'b2'))
    t.addFlow('k', '9.9.9.9', 'aaaa', { host: 'h', port: 1 }, 's', 0)
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
    expect(t.addFlow('k1', '9.9.9.9', 'aaaa', { host: 'h', port: 1 }, 's', 0).ok).toBe(true)
    expect(t.addFlow('k2', '9.9.9.9', 'aaaa', { host: 'h', port: 1 }, 's', 0)).toEqual({ ok: false, reason: 'table_full' })
    expect(() => t.addFlow('k1', '9.9.9.9', 'aaaa', { host: 'h', port: 1 }, 's', 0)).toThrow(/already exists/)
  })

  it('sticky port is set only by the route owner', () => {
    const t = new RoutingTable<string>({ flowIdleMs: 1000, orphanRouteMs: 1000 })
    t.addRoute(route('aaaa'))
    t.setStickyPort('aaaa', 'b2', 5555)
    expect(t.route('aaaa')?.stickyPort).toBeNull()
    t.setStickyPort('aaaa', 'b1', 5555)
    expect(t.route('aaaa')?.stickyPort).toBe(5555)
  })

  it('a ufrag holds at most maxFlowsPerUfrag flows: a new one replaces its least recently seen', () => {
    const t = new RoutingTable<string>({ flowIdleMs: 1e9, orphanRouteMs: 1000, maxFlowsPerUfrag: 3 })
    t.addRoute(route('aaaa'))
    t.addRoute(route('bbbb'))
    const other = flowOf(t.addFlow('2.2.2.2|1', '2.2.2.2', 'bbbb', target, 'victim', 0))
    const flows = [1, 2, 3].map((port) => flowOf(t.addFlow(`1.1.1.1|${port}`, '1.1.1.1', 'aaaa', target, `a${port}`, port)))
    flows[0]!.lastSeen = 100 // a1 is in use; a2 is now the least recently seen
    // 900 more flows of the same ufrag: the table never holds more than 3 of them, and the other ufrag is untouched.
    const evicted: string[] = []
    for (let port = 4; port < 904; port++) {
      const outcome = t.addFlow(`1.1.1.1|${port}`, '1.1.1.1', 'aaaa', target, `a${port}`, 200 + port)
      if (!outcome.ok) throw new Error('refused')
      evicted.push(...outcome.evicted.map((f) => f.handle))
    }
    expect(evicted.slice(0, 2)).toEqual(['a2', 'a3'])
    expect(t.flowsOf('aaaa')).toHaveLength(3)
    expect(t.flowCount).toBe(4)
    expect(t.flow(other.key)?.handle).toBe('victim')
  })

  it('a client address holds at most maxFlowsPerAddress flows; more are refused, other addresses are served', () => {
    const t = new RoutingTable<string>({ flowIdleMs: 1e9, orphanRouteMs: 1000, maxFlowsPerUfrag: 2, maxFlowsPerAddress: 5 })
    const ufrags = Array.from({ length: 20 }, (_, i) => `u${String(i).padStart(3, '0')}`)
    for (const u of ufrags) t.addRoute(route(u))
    const outcomes = ufrags.map((u, i) => t.addFlow(`6.6.6.6|${i}`, '6.6.6.6', u, target, u, i))
    expect(outcomes.filter((o) => o.ok)).toHaveLength(5)
    expect(outcomes.filter((o) => !o.ok && o.reason === 'address_limit')).toHaveLength(15)
    expect(t.flowCountOf('6.6.6.6')).toBe(5)
    expect(t.addFlow('7.7.7.7|1', '7.7.7.7', 'u019', target, 'legit', 50).ok).toBe(true)
    // Once flows of that address expire, it may open new ones.
    t.expire(2e9)
    expect(t.addFlow('6.6.6.6|99', '6.6.6.6', 'u000', target, 'again', 2e9).ok).toBe(true)
  })

  it('a full table gives way to a new client: the address holding the most flows loses its least recently seen', () => {
    const t = new RoutingTable<string>({ flowIdleMs: 1e9, orphanRouteMs: 1000, maxFlows: 10, maxFlowsPerUfrag: 100, maxFlowsPerAddress: 100 })
    t.addRoute(route('aaaa'))
    t.addRoute(route('bbbb'))
    for (let i = 0; i < 8; i++) flowOf(t.addFlow(`6.6.6.6|${i}`, '6.6.6.6', 'aaaa', target, `flood${i}`, i))
    flowOf(t.addFlow('5.5.5.5|1', '5.5.5.5', 'aaaa', target, 'five-1', 100))
    flowOf(t.addFlow('5.5.5.5|2', '5.5.5.5', 'aaaa', target, 'five-2', 101))
    expect(t.flowCount).toBe(10)
    // The flooding address cannot grow further, and neither can one with as many flows as the heaviest less one.
    expect(t.addFlow('6.6.6.6|99', '6.6.6.6', 'aaaa', target, 'more', 200)).toEqual({ ok: false, reason: 'table_full' })
    const legit = t.addFlow('7.7.7.7|1', '7.7.7.7', 'bbbb', target, 'legit', 300)
    expect(legit.ok && legit.evicted.map((f) => f.handle)).toEqual(['flood0'])
    expect(t.flowCount).toBe(10)
    expect(t.flowCountOf('6.6.6.6')).toBe(7)
  })
})

import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { BackendSelector, probeBackend } from '../../../../src/main/services/backendSelector'
import { chooseBackend, nextAfterFailure, rankBackends } from '../../../../src/main/services/backendSelectorPolicy'
import { attachSignalingServer } from '../../../../src/server/signalingServer'

describe('nearest-backend policy (pure)', () => {
  const probes = [
    { url: 'ws://a', rttsMs: [40, 42, 90], failures: 0 },
    { url: 'ws://b', rttsMs: [5, 6, 7], failures: 0 },
    { url: 'ws://c', rttsMs: [], failures: 3 },
    { url: 'ws://d', rttsMs: [1], failures: 2 } // answers, but loses most pings
  ]
  it('ranks reachable backends by median RTT; lossy or silent ones last', () => {
    const ranked = rankBackends(probes)
    expect(ranked.map((b) => [b.url, b.rttMs, b.reachable])).toEqual([
      ['ws://b', 6, true],
      ['ws://a', 42, true],
      ['ws://c', null, false],
      ['ws://d', 1, false]
    ])
  })
  it('picks the lowest, keeps a working choice within the margin, switches when another is clearly faster, fails over on loss', () => {
    const ranked = rankBackends(probes)
    expect(chooseBackend(ranked, null)).toEqual({ url: 'ws://b', reason: 'initial' })
    expect(chooseBackend(rankBackends([{ url: 'ws://a', rttsMs: [20], failures: 0 }, { url: 'ws://b', rttsMs: [10], failures: 0 }]), 'ws://a')).toEqual({ url: 'ws://a', reason: 'kept' })
    expect(chooseBackend(ranked, 'ws://a')).toEqual({ url: 'ws://b', reason: 'faster' })
    expect(chooseBackend(ranked, 'ws://c')).toEqual({ url: 'ws://b', reason: 'failover' })
    expect(chooseBackend(rankBackends([{ url: 'ws://c', rttsMs: [], failures: 3 }]), 'ws://c')).toEqual({ url: null, reason: 'none_reachable' })
    expect(nextAfterFailure(ranked, 'ws://b')).toBe('ws://a')
  })
})

describe('BackendSelector service (real signaling servers on loopback)', () => {
  const closers: Array<() => Promise<void>> = []
  afterEach(async () => {
    for (const c of closers.splice(0)) await c()
  })
  async function backend(delayMs: number): Promise<string> {
    const http = createServer()
    const sig = attachSignalingServer({
      server: http,
      path: '/signaling',
      handlers: {
        hello: () => ({ protocolVersion: 1, serverVersion: 't', workers: 1 }),
        ping: async ({ clientTime }: { clientTime: number }) => {
          await new Promise((r) => setTimeout(r, delayMs))
          return { clientTime, serverTime: Date.now() }
        }
      } as never
    })
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r))
    closers.push(async () => {
      await sig.close()
      await new Promise<void>((r) => http.close(() => r()))
    })
    return `ws://127.0.0.1:${(http.address() as AddressInfo).port}/signaling`
  }

  it('measures RTT, joins the nearest, fails over to the next when told the current one is lost', async () => {
    const far = await backend(60)
    const near = await backend(5)
    const dead = 'ws://127.0.0.1:1/signaling'
    const p = await probeBackend(near, 2)
    expect(p.rttsMs).toHaveLength(2)
    expect(p.rttsMs[0]).toBeGreaterThanOrEqual(4)
    const selector = new BackendSelector({ urls: [far, dead, near], probeEveryMs: 0 })
    const changes: Array<string | null> = []
    selector.on('change', (s) => changes.push(s.current))
    const s = await selector.probe()
    expect(s.current).toBe(near)
    expect(s.ranked.map((b) => b.url)).toEqual([near, far, dead])
    expect(selector.reportFailure(near)).toBe(far)
    expect(changes.slice(0, 2)).toEqual([near, far])
    expect(() => new BackendSelector({ urls: [] })).toThrow(/at least one/)
    expect(() => new BackendSelector({ urls: ['http://x'] })).toThrow(/ws:\/\//)
  })
})

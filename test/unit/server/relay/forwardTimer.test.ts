import { createSocket } from 'node:dgram'
import { describe, expect, it } from 'vitest'
import { createForwardTimers, ForwardTimeHistogram } from '../../../../src/server/relay/forwardTimer'
import { RoutingTable } from '../../../../src/server/relay/routingTable'
import { UdpRelay, type UdpFlowHandle } from '../../../../src/server/relay/udpRelay'
import { encodeIceBindingRequest } from '../../../../src/server/relay/stun'
import { randomBytes } from 'node:crypto'

describe('ForwardTimeHistogram', () => {
  it('gives percentiles to the 0.1 µs bucket, the max, and ignores nonsense', () => {
    const h = new ForwardTimeHistogram()
    expect(h.summary().count).toBe(0)
    expect(Number.isNaN(h.summary().p50_us)).toBe(true)
    for (let i = 1; i <= 1000; i++) h.record(i) // 1..1000 µs
    h.record(-5)
    h.record(Number.NaN)
    h.record(Number.POSITIVE_INFINITY)
    const s = h.summary()
    expect(s.count).toBe(1000)
    expect(s.p50_us).toBeCloseTo(500, 0)
    expect(s.p90_us).toBeCloseTo(900, 0)
    expect(s.p99_us).toBeCloseTo(990, 0)
    expect(s.p999_us).toBeCloseTo(999, 0)
    expect(s.max_us).toBe(1000)
    expect(s.over_10ms).toBe(0)
  })

  it('counts samples beyond its 10 ms range and still reports the true max', () => {
    const h = new ForwardTimeHistogram()
    for (let i = 0; i < 98; i++) h.record(3.04)
    h.record(25_000)
    h.record(40_000)
    const s = h.summary()
    expect(s.p50_us).toBeCloseTo(3.1, 5) // upper edge of the 3.0–3.1 bucket
    expect(s.p99_us).toBe(10_000)
    expect(s.max_us).toBe(40_000)
    expect(s.over_10ms).toBe(2)
    h.reset()
    expect(h.summary()).toMatchObject({ count: 0, max_us: 0, over_10ms: 0 })
  })
})

describe('UdpRelay with forward timers', () => {
  it('records one forward time per media packet in each direction, measured in the relay', async () => {
    const worker = createSocket('udp4')
    await new Promise<void>((r) => worker.bind(0, '127.0.0.1', r))
    worker.on('message', (m, r) => worker.send(m, r.port, r.address)) // echo
    const table = new RoutingTable<UdpFlowHandle>({ flowIdleMs: 30_000, orphanRouteMs: 60_000 })
    const timers = createForwardTimers()
    const relay = await UdpRelay.start({ bindIp: '127.0.0.1', port: 0, upstreamIp: '127.0.0.1', table, forwardTimers: timers })
    expect(table.addRoute({ ufrag: 'timedufrag', password: null, target: { host: '127.0.0.1', port: worker.address().port }, owner: 'b', stickyPort: null })).not.toBe('conflict')
    const client = createSocket('udp4')
    await new Promise<void>((r) => client.bind(0, '127.0.0.1', r))
    const received: Buffer[] = []
    client.on('message', (m) => received.push(m))
    const send = (b: Uint8Array): void => void client.send(b, relay.address.port, '127.0.0.1')
    send(encodeIceBindingRequest({ serverUfrag: 'timedufrag', clientUfrag: 'cli', transactionId: randomBytes(12), useCandidate: true }))
    await expect.poll(() => received.length).toBe(1)
    for (let i = 0; i < 20; i++) send(Buffer.from([0x80, 111, 0, i, ...new Array(40).fill(7)]))
    await expect.poll(() => received.length, { timeout: 3000 }).toBe(21)
    await new Promise((r) => setTimeout(r, 20))
    const up = timers.up.summary()
    const down = timers.down.summary()
    expect(up.count).toBe(20) // media only: the STUN that opened the flow is not on the timed path
    expect(down.count).toBe(21) // every packet back, the STUN answer included
    expect(up.p50_us).toBeGreaterThan(0)
    expect(up.max_us).toBeLessThan(1_000_000)
    client.close()
    worker.close()
    await relay.close()
  })
})

describe('relay CLI --measure-forward', () => {
  it('turns the forward timers on only when asked', async () => {
    const { parseRelayArgs } = await import('../../../../src/server/relay/main')
    const env = { RELAY_CONTROL_TOKEN: 'a-token-of-enough-length' }
    expect(parseRelayArgs([], env).forwardTimers).toBeUndefined()
    expect(parseRelayArgs(['--measure-forward'], env).forwardTimers?.up).toBeInstanceOf(ForwardTimeHistogram)
  })
})

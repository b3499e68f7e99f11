import { createSocket, type Socket } from 'node:dgram'
import { connect } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import type { RelayStats } from '../../../../src/shared/contract/relay'
import { RelayRegistrar } from '../../../../src/server/relay/registrar'
import { killRelay, spawnRelay, type RelayProcess } from '../../../helpers/relay-process'
import { check, rtp } from '../../../helpers/relayPackets'
import { MemoryLogger } from '../../../helpers/memoryLogger'

/**
 * The relay's flow limits against a flood, with the relay in its own process under a lowered descriptor limit
 * (`ulimit -n 256`), as the probe ran it: one client opening 900 flows must not stop a second client's media, the
 * control channel must keep working, and a new client must still get a flow when the table is full.
 */
const TOKEN = 'limits-token-0123456789abcdef'
const cleanups: Array<() => unknown> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

const passwordOf = (ufrag: string) => `pw${ufrag}0123456789abcdefghijkl`

async function udp(bindIp: string): Promise<Socket> {
  const socket = createSocket('udp4')
  await new Promise<void>((r) => socket.bind(0, bindIp, r))
  return socket
}

/** A stand-in worker: echoes every datagram. */
async function fakeWorker(): Promise<number> {
  const socket = await udp('127.0.0.1')
  socket.on('message', (m, r) => socket.send(m, r.port, r.address))
  cleanups.push(() => new Promise<void>((r) => socket.close(() => r())))
  return socket.address().port
}

/** A media client on its own loopback address: opens its flow, then counts RTP echoes. */
async function mediaClient(bindIp: string, relayPort: number, ufrag: string) {
  const socket = await udp(bindIp)
  cleanups.push(() => new Promise<void>((r) => socket.close(() => r())))
  const echoed = new Set<number>()
  let stunAnswers = 0
  socket.on('message', (m) => {
    if (m[0]! > 3) echoed.add(m.readUInt16BE(2))
    else stunAnswers++
  })
  return {
    async open(): Promise<boolean> {
      for (let i = 0; i < 10 && stunAnswers === 0; i++) {
        socket.send(check(ufrag, passwordOf(ufrag)), relayPort, '127.0.0.1')
        await new Promise((r) => setTimeout(r, 100))
      }
      return stunAnswers > 0
    },
    /** Send `n` RTP packets 20 ms apart from `first`; how many came back. */
    async media(first: number, n: number): Promise<number> {
      for (let seq = first; seq < first + n; seq++) {
        socket.send(rtp(seq), relayPort, '127.0.0.1')
        await new Promise((r) => setTimeout(r, 20))
      }
      await new Promise((r) => setTimeout(r, 200))
      let got = 0
      for (let seq = first; seq < first + n; seq++) if (echoed.has(seq)) got++
      return got
    }
  }
}

/** Open `count` flows from `bindIp`, one socket (source port) each, cycling through `ufrags`. */
async function flood(bindIp: string, relayPort: number, ufrags: string[], count: number): Promise<void> {
  const sockets: Socket[] = []
  cleanups.push(() => Promise.all(sockets.map((s) => new Promise<void>((r) => s.close(() => r())))))
  for (let i = 0; i < count; i++) {
    const s = await udp(bindIp)
    s.on('message', () => undefined)
    sockets.push(s)
    const ufrag = ufrags[i % ufrags.length]!
    s.send(check(ufrag, passwordOf(ufrag)), relayPort, '127.0.0.1')
    if (i % 50 === 49) await new Promise((r) => setTimeout(r, 10)) // bounded rate: 900 flows in well under a second
  }
  await new Promise((r) => setTimeout(r, 300))
}

async function startLimitedRelay(): Promise<RelayProcess> {
  const relay = await spawnRelay({
    token: TOKEN,
    prefix: ['bash', '-c', 'ulimit -n 256 && exec "$0" "$@"'],
    args: ['--listen', '127.0.0.1', '--port', '0', '--control', '127.0.0.1:0']
  })
  cleanups.push(() => killRelay(relay))
  return relay
}

/** The in-process registrars' lines (the relay's own are its stderr, relay.logs). */
const registrarLog = new MemoryLogger()

async function registrar(relay: RelayProcess, backendId: string): Promise<RelayRegistrar> {
  const reg = new RelayRegistrar({ controlUrl: relay.controlUrl, token: TOKEN, backendId, logger: registrarLog })
  cleanups.push(() => reg.close())
  reg.start()
  await reg.ready(5000)
  return reg
}

describe('relay flow limits under a lowered descriptor limit (ulimit -n 256, relay in its own process)', () => {
  it('one client opening 900 flows cannot stop a second client’s media; the control channel and new clients are served', { timeout: 90_000 }, async () => {
    const relay = await startLimitedRelay()
    const limits = relay.logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'relay limits')
    expect(limits).toMatchObject({ level: 'info', name: 'relay', maxFlows: 168, maxFlowsPerUfrag: 8, maxFlowsPerAddress: 32, maxTcpConnections: 12, descriptorLimit: 256, reservedDescriptors: 64 })
    const port = relay.publicUdp.port
    const worker = await fakeWorker()
    const reg = await registrar(relay, 'b1')
    const attackerUfrags = Array.from({ length: 40 }, (_, i) => `atk${String(i).padStart(3, '0')}`)
    await reg.upsertMany([...attackerUfrags, 'victim01', 'newcomer'].map((ufrag) => ({ ufrag, password: passwordOf(ufrag), target: { host: '127.0.0.1', port: worker } })))

    const victim = await mediaClient('127.0.0.3', port, 'victim01')
    expect(await victim.open()).toBe(true)
    expect(await victim.media(0, 10)).toBe(10)

    // 1. One client, one session's credentials, 900 source ports: at most 8 flows for that ufrag at any time.
    await flood('127.0.0.2', port, attackerUfrags.slice(0, 1), 900)
    let stats = await reg.request('stats', {})
    expect(stats.flowsEvicted).toBeGreaterThanOrEqual(900 - 8)
    expect(stats.flows).toBeLessThanOrEqual(1 + 8)
    expect(await victim.media(100, 10)).toBe(10)

    // 2. The same client with 40 sessions' credentials: at most 32 flows from its address.
    await flood('127.0.0.2', port, attackerUfrags, 900)
    stats = await reg.request('stats', {})
    expect(stats.dropped.flow_limit_address).toBeGreaterThan(0)
    expect(stats.flows).toBeLessThanOrEqual(1 + 32)
    expect(await victim.media(200, 10)).toBe(10)

    // 3. 900 flows from 30 addresses fill the table (168): the relay stays within its descriptors, the victim's
    //    media flows on, a newcomer still gets a flow, and the control channel takes a new backend connection.
    for (let a = 1; a <= 30; a++) await flood(`127.0.1.${a}`, port, attackerUfrags, 30)
    stats = await reg.request('stats', {})
    expect(stats.flows).toBe(stats.limits.maxFlows)
    expect(await victim.media(300, 10)).toBe(10)
    const newcomer = await mediaClient('127.0.0.4', port, 'newcomer')
    expect(await newcomer.open()).toBe(true)
    expect(await newcomer.media(0, 10)).toBe(10)
    const second = await registrar(relay, 'b2')
    await second.upsert({ ufrag: 'lateroute', password: passwordOf('lateroute'), target: { host: '127.0.0.1', port: worker } })
    const final: RelayStats = await second.request('stats', {})
    expect(final.routes).toBe(43)
    // ICE-TCP still accepts (and refuses beyond its own cap, not by running out of descriptors).
    const tcp = connect(relay.publicTcp!.port, '127.0.0.1')
    await new Promise<void>((resolve, reject) => tcp.once('connect', resolve).once('error', reject))
    tcp.destroy()
    expect(`${relay.logs.join('\n')}\n${registrarLog.text()}`).not.toMatch(/EMFILE|ENFILE/)
    expect(relay.proc.exitCode).toBeNull()
  })
})

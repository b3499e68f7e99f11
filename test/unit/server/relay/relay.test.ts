import { createSocket, type Socket } from 'node:dgram'
import { createConnection, createServer, type Server } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { RELAY_PROTOCOL_VERSION } from '../../../../src/shared/contract/relay'
import { RelayRegistrar } from '../../../../src/server/relay/registrar'
import { startRelay, type RunningRelay } from '../../../../src/server/relay/relay'
import { check, rtp } from '../../../helpers/relayPackets'

const TOKEN = 'test-token-0123456789abcdef'
const PASSWORD_A = 'passwordAAAAAAAAAAAAAAAA'
const PASSWORD_B = 'passwordBBBBBBBBBBBBBBBB'
const cleanups: Array<() => unknown> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

/** A stand-in worker: echoes every datagram back with a one-byte worker tag appended, and records who sent it. */
async function fakeWorker(tag: number): Promise<{ socket: Socket; port: number; seen: Array<{ port: number; first: number }> }> {
  const socket = createSocket('udp4')
  const seen: Array<{ port: number; first: number }> = []
  socket.on('message', (m, r) => {
    seen.push({ port: r.port, first: m[0]! })
    socket.send(Buffer.concat([m, Buffer.from([tag])]), r.port, r.address)
  })
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r))
  cleanups.push(() => new Promise<void>((r) => socket.close(() => r())))
  return { socket, port: socket.address().port, seen }
}

/** A client socket that talks to the relay's public port. */
async function client(target: number): Promise<{ send(b: Buffer): void; next(ms?: number): Promise<Buffer | null>; port: number }> {
  const socket = createSocket('udp4')
  const inbox: Buffer[] = []
  let wake: (() => void) | null = null
  socket.on('message', (m) => {
    inbox.push(m)
    wake?.()
  })
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r))
  cleanups.push(() => new Promise<void>((r) => socket.close(() => r())))
  return {
    port: socket.address().port,
    send(b) {
      socket.send(b, target, '127.0.0.1')
    },
    async next(ms = 500) {
      if (!inbox.length) await new Promise<void>((r) => { wake = r; setTimeout(r, ms) })
      wake = null
      return inbox.shift() ?? null
    }
  }
}

async function relay(opts: { port?: number; controlPort?: number; flowIdleMs?: number } = {}): Promise<RunningRelay> {
  const r = await startRelay({ bindIp: '127.0.0.1', port: opts.port ?? 0, controlIp: '127.0.0.1', controlPort: opts.controlPort ?? 0, token: TOKEN, flowIdleMs: opts.flowIdleMs })
  cleanups.push(() => r.close())
  return r
}

const until = async (cond: () => boolean, ms = 3000): Promise<void> => {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 10))
  }
}

describe('edge relay (UDP + control channel) on loopback', () => {
  it('routes new flows by the STUN ufrag to the owning worker, both ways; drops and counts everything else', async () => {
    const r = await relay()
    const w1 = await fakeWorker(1)
    const w2 = await fakeWorker(2)
    const reg = new RelayRegistrar({ controlUrl: r.controlUrl, token: TOKEN, backendId: 'b1' })
    cleanups.push(() => reg.close())
    reg.start()
    const info = await reg.ready()
    expect(info.publicUdp).toEqual(r.publicUdp)
    await reg.upsert({ ufrag: 'ufragAAA', password: PASSWORD_A, target: { host: '127.0.0.1', port: w1.port } })
    await reg.upsert({ ufrag: 'ufragBBB', password: PASSWORD_B, target: { host: '127.0.0.1', port: w2.port } })

    const c1 = await client(r.publicUdp.port)
    c1.send(rtp(1)) // media before any STUN: unknown flow
    c1.send(Buffer.from([0x00, 0x01, 0x00])) // garbage that looks like STUN
    c1.send(check('ufragAAA', PASSWORD_B)) // wrong password
    c1.send(check('nosuchufrag', null))
    expect(await c1.next(200)).toBeNull()
    expect(r.stats().dropped).toMatchObject({ unknown_flow_not_stun: 1, stun_malformed: 1, stun_bad_integrity: 1, stun_unknown_ufrag: 1 })
    expect(r.stats().flows).toBe(0)

    c1.send(check('ufragAAA', PASSWORD_A))
    const stunBack = await c1.next()
    expect(stunBack?.at(-1)).toBe(1) // came back through worker 1
    for (let i = 0; i < 20; i++) c1.send(rtp(i))
    for (let i = 0; i < 20; i++) expect((await c1.next())?.readUInt16BE(2)).toBe(i)

    const c2 = await client(r.publicUdp.port)
    c2.send(check('ufragBBB', PASSWORD_B))
    expect((await c2.next())?.at(-1)).toBe(2)
    c2.send(rtp(7))
    expect((await c2.next())?.at(-1)).toBe(2)
    expect(w1.seen.every((s) => s.port === w1.seen[0]!.port)).toBe(true) // one upstream tuple per client flow
    expect(r.stats()).toMatchObject({ routes: 2, flows: 2, flowsOpened: 2 })

    // Unregistering a route closes its flows; later media from that client is dropped.
    await reg.remove('ufragBBB')
    c2.send(rtp(8))
    expect(await c2.next(200)).toBeNull()
    expect(r.stats().flows).toBe(1)
  })

  it('expires idle flows; the next consent check re-creates them', async () => {
    const r = await relay({ flowIdleMs: 1000 })
    const w = await fakeWorker(1)
    const reg = new RelayRegistrar({ controlUrl: r.controlUrl, token: TOKEN, backendId: 'b1' })
    cleanups.push(() => reg.close())
    reg.start()
    await reg.ready()
    await reg.upsert({ ufrag: 'ufragAAA', target: { host: '127.0.0.1', port: w.port } })
    const c = await client(r.publicUdp.port)
    c.send(check('ufragAAA', null))
    expect(await c.next()).not.toBeNull()
    await until(() => r.stats().flows === 0, 3000)
    expect(r.stats().flowsExpired).toBe(1)
    c.send(rtp(1))
    expect(await c.next(200)).toBeNull()
    c.send(check('ufragAAA', null))
    expect(await c.next()).not.toBeNull()
    expect(r.stats().flows).toBe(1)
  })

  it('restart: the backend re-registers on reconnect, the next check re-creates the flow on the same (sticky) upstream port', async () => {
    const r1 = await relay()
    const { port } = r1.publicUdp
    const controlPort = Number(new URL(r1.controlUrl).port)
    const w = await fakeWorker(1)
    const reg = new RelayRegistrar({ controlUrl: r1.controlUrl, token: TOKEN, backendId: 'b1', backoff: { baseMs: 50, maxMs: 200, jitter: 0 } })
    cleanups.push(() => reg.close())
    reg.start()
    await reg.ready()
    await reg.upsert({ ufrag: 'ufragAAA', password: PASSWORD_A, target: { host: '127.0.0.1', port: w.port } })
    const c = await client(port)
    c.send(check('ufragAAA', PASSWORD_A))
    expect(await c.next()).not.toBeNull()
    const seenPort = w.seen[0]!.port
    // What the backend does on mediasoup's iceselectedtuplechange: report the relay-side port the worker sees.
    await reg.upsert({ ufrag: 'ufragAAA', password: PASSWORD_A, target: { host: '127.0.0.1', port: w.port }, stickyPort: seenPort })

    await r1.close()
    const r2 = await startRelay({ bindIp: '127.0.0.1', port, controlIp: '127.0.0.1', controlPort, token: TOKEN })
    cleanups.push(() => r2.close())
    await until(() => reg.registrations >= 2 && r2.stats().routes === 1)
    c.send(rtp(1))
    expect(await c.next(200)).toBeNull() // media alone cannot re-create a flow
    c.send(check('ufragAAA', PASSWORD_A))
    expect(await c.next()).not.toBeNull()
    c.send(rtp(2))
    expect((await c.next())?.readUInt16BE(2)).toBe(2)
    expect(w.seen.at(-1)!.port).toBe(seenPort)
  })

  it('control channel: wrong token is refused and the socket closed; nothing works before hello; bad frames get errors', async () => {
    const r = await relay()
    const ws = new WebSocket(r.controlUrl)
    cleanups.push(() => ws.terminate())
    await new Promise((res) => ws.once('open', res))
    const replies: Array<{ id: number | null; ok: boolean; error?: { code: string } }> = []
    ws.on('message', (d) => replies.push(JSON.parse(d.toString())))
    const closed = new Promise<number>((res) => ws.once('close', (code) => res(code)))
    ws.send('not json')
    ws.send(JSON.stringify({ id: 1, method: 'addRoutes', params: { routes: [] } }))
    ws.send(JSON.stringify({ id: 2, method: 'hello', params: { protocolVersion: RELAY_PROTOCOL_VERSION, backendId: 'x', token: 'wrong-token-wrong-token' } }))
    expect(await closed).toBe(4001)
    expect(replies.map((x) => [x.id, x.error?.code])).toEqual([[null, 'bad_message'], [1, 'unauthorized'], [2, 'unauthorized']])
    expect(r.stats().routes).toBe(0)

    const reg = new RelayRegistrar({ controlUrl: r.controlUrl, token: TOKEN, backendId: 'b1' })
    cleanups.push(() => reg.close())
    reg.start()
    await reg.ready()
    await expect(reg.request('addRoutes', { routes: [{ ufrag: 'bad ufrag!', target: { host: 'h', port: 1 } }] })).rejects.toMatchObject({ code: 'invalid_params' })
  })

  it('ICE-TCP: the first RFC 4571 frame picks the worker, then bytes are piped both ways', async () => {
    const r = await relay()
    const echo: Server = createServer((s) => s.pipe(s))
    await new Promise<void>((res) => echo.listen(0, '127.0.0.1', res))
    cleanups.push(() => new Promise<void>((res) => echo.close(() => res())))
    const reg = new RelayRegistrar({ controlUrl: r.controlUrl, token: TOKEN, backendId: 'b1' })
    cleanups.push(() => reg.close())
    reg.start()
    await reg.ready()
    await reg.upsert({ ufrag: 'ufragTCP', password: PASSWORD_A, target: { host: '127.0.0.1', port: (echo.address() as { port: number }).port } })
    const stun = check('ufragTCP', PASSWORD_A)
    const frame = Buffer.concat([Buffer.from([stun.length >> 8, stun.length & 0xff]), stun, Buffer.from([0, 3, 0x80, 1, 2])])
    const sock = createConnection({ host: '127.0.0.1', port: r.publicTcp!.port })
    cleanups.push(() => sock.destroy())
    const got: Buffer[] = []
    sock.on('data', (d) => got.push(d))
    sock.write(frame.subarray(0, 5)) // split across segments
    await new Promise((res) => setTimeout(res, 20))
    sock.write(frame.subarray(5))
    await until(() => Buffer.concat(got).length >= frame.length)
    expect(Buffer.concat(got).equals(frame)).toBe(true)

    // A connection whose first frame is not a check for a known ufrag is closed.
    const bad = createConnection({ host: '127.0.0.1', port: r.publicTcp!.port })
    const badStun = check('unknownufrag', null)
    bad.write(Buffer.concat([Buffer.from([0, badStun.length]), badStun]))
    await new Promise((res) => bad.once('close', res))
    expect(r.stats().dropped.tcp_stun_unknown_ufrag).toBe(1)
  })
})

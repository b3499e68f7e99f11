import { connect, type Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { DEFAULT_SIGNALING_TIMEOUTS } from '../../../src/server/signalingServer'
import { DEFAULT_DETACHED_GRACE_MS } from '../../../src/server/sessions/sessionManager'
import { startSignalingStub } from '../../helpers/fakeBackend'

const open = (url: string, opts: WebSocket.ClientOptions = {}): Promise<WebSocket> =>
  new Promise((resolve, reject) => {
    const ws = new WebSocket(url, opts)
    ws.once('open', () => resolve(ws))
    ws.once('error', reject)
  })
const closed = (ws: WebSocket): Promise<{ code: number; reason: string; afterMs: number }> => {
  const t0 = Date.now()
  return new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString(), afterMs: Date.now() - t0 })))
}

describe('signaling liveness: dead peers, idle and half-finished connections are closed', () => {
  const stubs: Array<{ close(): Promise<void> }> = []
  afterEach(async () => {
    for (const s of stubs.splice(0)) await s.close()
  })

  it('the defaults free a half-open peer\'s session within 30 s: ping + pong timeout + session grace', () => {
    const worst = DEFAULT_SIGNALING_TIMEOUTS.pingIntervalMs + DEFAULT_SIGNALING_TIMEOUTS.pongTimeoutMs + DEFAULT_DETACHED_GRACE_MS
    expect(worst).toBeLessThanOrEqual(25_000)
  })

  it('a peer that stops answering pings is terminated after ping interval + pong timeout; one that answers is kept', async () => {
    const stub = await startSignalingStub({ timeouts: { pingIntervalMs: 100, pongTimeoutMs: 150, idleTimeoutMs: 60_000 } })
    stubs.push(stub)
    const dead = await open(stub.url, { autoPong: false })
    const alive = await open(stub.url)
    const gone = await closed(dead)
    expect(gone.code).toBe(1006) // terminated: no close handshake with a peer that is not there
    expect(gone.afterMs).toBeGreaterThanOrEqual(200)
    expect(gone.afterMs).toBeLessThan(1500)
    expect(stub.stats.deadPeers).toBe(1)
    await new Promise((r) => setTimeout(r, 500))
    expect(alive.readyState).toBe(WebSocket.OPEN)
    alive.close()
  })

  it('a connection that holds no session and sends nothing is closed after the idle timeout; one that talks is not', async () => {
    const stub = await startSignalingStub({ timeouts: { pingIntervalMs: 100, pongTimeoutMs: 1000, idleTimeoutMs: 400 } })
    stubs.push(stub)
    const silent = await open(stub.url)
    const talker = await open(stub.url)
    const chatter = setInterval(() => talker.send(JSON.stringify({ id: 1, method: 'ping', params: { clientTime: 1 } })), 100)
    const gone = await closed(silent)
    expect(gone).toMatchObject({ code: 4408, reason: 'idle: no request and no session' })
    expect(gone.afterMs).toBeGreaterThanOrEqual(350)
    await new Promise((r) => setTimeout(r, 300))
    expect(talker.readyState).toBe(WebSocket.OPEN)
    clearInterval(chatter)
    talker.close()
    expect(stub.stats.idleClosed).toBe(1)
  })

  it('TCP connections that never finish an upgrade (silent, or headers trickling) are destroyed after the handshake timeout', async () => {
    const stub = await startSignalingStub({ timeouts: { handshakeTimeoutMs: 300 } })
    stubs.push(stub)
    const port = Number(new URL(stub.url).port)
    const raw = (): Promise<Socket> => new Promise((resolve) => { const s = connect(port, '127.0.0.1', () => resolve(s)) })
    const sockets = await Promise.all(Array.from({ length: 20 }, raw))
    sockets[0]!.write('GET /signaling HTTP/1.1\r\nHost: x\r\n') // never finishes the headers
    const t0 = Date.now()
    await Promise.all(sockets.map((s) => new Promise<void>((resolve) => { s.on('error', () => undefined); s.once('close', () => resolve()) })))
    expect(Date.now() - t0).toBeLessThan(2000)
    expect(sockets.every((s) => s.destroyed)).toBe(true)
  })
})

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { startBackend, type RunningBackend } from '../../../../src/server/backend'
import { connectSignaling, type SignalingClient, type WebSocketLike } from '../../../../src/shared/signalingClient'

const factory = (url: string): WebSocketLike => new WebSocket(url) as unknown as WebSocketLike
/** A client whose socket stops answering pings, as a peer whose link vanished does (its requests still work). */
const deafFactory = (url: string): WebSocketLike => new WebSocket(url, { autoPong: false }) as unknown as WebSocketLike

const PING_MS = 100
const PONG_MS = 150
const GRACE_MS = 1200

/**
 * Dead-peer detection end to end on a real backend: a peer that stops answering pings loses its signaling
 * connection after ping interval + pong timeout, its session is detached, a resume within the session grace gets it
 * back with its transports, and without a resume the session and its transports are closed when the grace ends.
 */
describe('session grace after a dead peer (real mediasoup worker)', () => {
  let backend: RunningBackend
  const clients: SignalingClient[] = []
  beforeAll(async () => {
    backend = await startBackend(
      { listenIp: '127.0.0.1', announcedIp: null, rtcPort: 0, signalingPort: 0, workers: 1, logLevel: 'none' },
      { sessions: { detachedGraceMs: GRACE_MS }, access: { timeouts: { pingIntervalMs: PING_MS, pongTimeoutMs: PONG_MS, idleTimeoutMs: 400 } } }
    )
  })
  afterAll(async () => {
    for (const c of clients) c.close()
    await backend?.close()
  })

  it('resume within the grace still works after the connection was declared dead', async () => {
    const peer = await connectSignaling(backend.signalingUrl, deafFactory)
    const joined = await peer.request('join', { pipeline: 'echo' })
    const transport = await peer.request('createTransport', { direction: 'send' })
    const { code } = await peer.closed
    expect(code).toBe(1006)
    const resumer = await connectSignaling(backend.signalingUrl, factory)
    clients.push(resumer)
    const resumed = await resumer.request('resume', { sessionId: joined.sessionId, token: joined.token })
    expect(resumed.transports.map((t) => t.id)).toEqual([transport.id])
    // Bound to a session, a quiet connection is not closed as idle (idle timeout 400 ms).
    await new Promise((r) => setTimeout(r, 900))
    expect((await resumer.request('ping', { clientTime: 1 })).clientTime).toBe(1)
    await resumer.request('leave', {})
  })

  it('without a resume, the session and its transports close within ping + pong timeout + grace', async () => {
    const worker = backend.workers[0]!.worker
    const baseline = (await worker.dump()).routerIds.length
    const peer = await connectSignaling(backend.signalingUrl, deafFactory)
    const t0 = Date.now()
    await peer.request('join', { pipeline: 'echo' })
    await peer.request('createTransport', { direction: 'send' })
    expect((await worker.dump()).routerIds.length).toBe(baseline + 1)
    await expect.poll(() => backend.sessions.size, { timeout: 10_000, interval: 50 }).toBe(0)
    const freedAfter = Date.now() - t0
    expect(freedAfter).toBeGreaterThanOrEqual(GRACE_MS)
    expect(freedAfter).toBeLessThan(PING_MS + PONG_MS + GRACE_MS + 1500)
    expect((await worker.dump()).routerIds.length).toBe(baseline)
    expect(backend.sessions.admission.sessionsOf({ address: '127.0.0.1' })).toBe(0)
  })
})

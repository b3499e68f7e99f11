import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import type { types as ms } from 'mediasoup'
import { startBackend, type RunningBackend } from '../../../../src/server/backend'
import type { Session } from '../../../../src/server/sessions/session'
import { connectSignaling, type SignalingClient, type WebSocketLike } from '../../../../src/shared/signalingClient'

const factory = (url: string): WebSocketLike => new WebSocket(url) as unknown as WebSocketLike

/**
 * The send transport a session makes ahead when it is joined (the cold-join path, bench/uplink.ts): handed to the
 * first createTransport('send') only, never listed before that, and closed with the session when nobody asks for it.
 */
describe('the send transport prepared at join (real mediasoup worker)', () => {
  let backend: RunningBackend
  /** Every WebRtcTransport each new session's router makes, in order, by session id. */
  const made = new Map<string, ms.WebRtcTransport[]>()
  const sessions = new Map<string, Session>()
  const clients: SignalingClient[] = []

  beforeAll(async () => {
    backend = await startBackend(
      { listenIp: '127.0.0.1', announcedIp: null, rtcPort: 0, signalingPort: 0, workers: 1, logLevel: 'none' },
      { sessions: { detachedGraceMs: 200 } }
    )
    backend.sessions.onSessionCreated((s) => {
      const list: ms.WebRtcTransport[] = []
      made.set(s.id, list)
      sessions.set(s.id, s)
      s.router.observer.on('newtransport', (t) => {
        if ('iceParameters' in t) list.push(t as ms.WebRtcTransport)
      })
    })
  })
  afterAll(async () => {
    for (const c of clients) c.close()
    await backend?.close()
  })

  const join = async (): Promise<{ client: SignalingClient; sessionId: string; token: string }> => {
    const client = await connectSignaling(backend.signalingUrl, factory)
    clients.push(client)
    const joined = await client.request('join', { pipeline: 'echo' })
    return { client, sessionId: joined.sessionId, token: joined.token }
  }
  const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 100))

  it('the first send transport is the prepared one; a second one is newly made, with its own ICE credentials', async () => {
    const { client, sessionId } = await join()
    await settle()
    expect(made.get(sessionId)!).toHaveLength(1) // made at join, before anyone asked
    const prepared = made.get(sessionId)![0]!
    const first = await client.request('createTransport', { direction: 'send' })
    expect(first.id).toBe(prepared.id)
    expect(made.get(sessionId)!).toHaveLength(1)
    const second = await client.request('createTransport', { direction: 'send' })
    expect(second.id).not.toBe(first.id)
    expect(made.get(sessionId)!).toHaveLength(2)
    expect(second.iceParameters.usernameFragment).not.toBe(first.iceParameters.usernameFragment)
    expect(sessions.get(sessionId)!.hasPreparedSendTransport).toBe(false)
    await client.request('leave', {})
    expect(prepared.closed).toBe(true)
  })

  it('a recv transport never takes the prepared one, and resume lists only transports the client asked for', async () => {
    const { client, sessionId, token } = await join()
    const recv = await client.request('createTransport', { direction: 'recv' })
    const preparedId = made.get(sessionId)![0]!.id
    expect(recv.id).not.toBe(preparedId)
    const resumer = await connectSignaling(backend.signalingUrl, factory)
    clients.push(resumer)
    const resumed = await resumer.request('resume', { sessionId, token })
    expect(resumed.transports).toEqual([{ id: recv.id, direction: 'recv', iceState: 'new' }])
    const send = await resumer.request('createTransport', { direction: 'send' })
    expect(send.id).toBe(preparedId)
    await resumer.request('leave', {})
    client.close()
  })

  it('the prepared transport does not count towards the 4-transport limit until it is handed out', async () => {
    const { client } = await join()
    for (let i = 0; i < 4; i++) await client.request('createTransport', { direction: i % 2 ? 'recv' : 'send' })
    await expect(client.request('createTransport', { direction: 'send' })).rejects.toMatchObject({ code: 'conflict' })
    await client.request('leave', {})
  })

  it('an unused prepared transport closes with the session: on leave, and when a dropped session expires', async () => {
    const worker = backend.workers[0]!.worker
    const a = await join()
    await settle()
    const preparedA = made.get(a.sessionId)![0]!
    expect(preparedA.closed).toBe(false)
    await a.client.request('leave', {})
    expect(preparedA.closed).toBe(true)

    const b = await join()
    await settle()
    const preparedB = made.get(b.sessionId)![0]!
    b.client.close() // signaling dropped: the session waits detachedGraceMs to be resumed, then closes
    await new Promise((r) => setTimeout(r, 500))
    expect(preparedB.closed).toBe(true)
    expect(backend.sessions.size).toBe(0)
    expect((await worker.dump()).routerIds).toEqual([])
  })

  it('a session closed while its send transport is still being prepared leaves nothing behind and fails nothing', async () => {
    const worker = backend.workers[0]!.worker
    const unhandled: unknown[] = []
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason)
    process.on('unhandledRejection', onUnhandled)
    try {
      for (let i = 0; i < 5; i++) {
        const session = await backend.sessions.create('echo')
        session.prepareSendTransport()
        session.prepareSendTransport() // idempotent: still one
        await session.close()
        await expect(session.createTransport('send')).rejects.toMatchObject({ code: 'unavailable' })
      }
      await settle()
      expect(unhandled).toEqual([])
      expect(backend.sessions.size).toBe(0)
      expect((await worker.dump()).routerIds).toEqual([])
    } finally {
      process.off('unhandledRejection', onUnhandled)
    }
  })
})

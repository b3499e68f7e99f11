import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { ProviderAuthority } from '../../../../src/server/auth/providerAuthority'
import { startBackend, type RunningBackend } from '../../../../src/server/backend'
import { connectSignaling, type SignalingClient, type WebSocketLike } from '../../../../src/shared/signalingClient'
import { TURN_TRACE_NOTIFICATION, TYPED_TURN_NOTE } from '../../../../src/shared/contract/signaling'

const factory = (url: string): WebSocketLike => new WebSocket(url) as unknown as WebSocketLike

/** A loopback-only service that counts every request it gets (what an attacker would like the backend to reach). */
async function loopbackService(): Promise<{ server: Server; url: string; requests: string[] }> {
  const requests: string[] = []
  const server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`)
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"text":"secret from the loopback service"}')
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, requests }
}

/**
 * The SSRF reproduction of issue 14: a client joins a voice session and points its STT at a loopback-only HTTP
 * service. On a standalone backend (client providers: none, or public-https) that is refused with a clear error,
 * nothing is configured and the service receives nothing; the embedded backend (any) accepts the app's choice.
 */
describe('provider authority on observeSession (real backend, voice pipeline)', () => {
  let service: Awaited<ReturnType<typeof loopbackService>>
  const backends: RunningBackend[] = []
  const clients: SignalingClient[] = []
  beforeAll(async () => {
    service = await loopbackService()
  })
  afterAll(async () => {
    for (const c of clients) c.close()
    for (const b of backends) await b.close()
    await new Promise<void>((r) => service.server.close(() => r()))
  })

  async function voiceSession(authority?: ProviderAuthority): Promise<{ client: SignalingClient; sessionId: string; token: string }> {
    const backend = await startBackend(
      { listenIp: '127.0.0.1', announcedIp: null, rtcPort: 0, signalingPort: 0, workers: 1, logLevel: 'none' },
      { access: authority ? { providers: authority } : {} }
    )
    backends.push(backend)
    const client = await connectSignaling(backend.signalingUrl, factory)
    clients.push(client)
    const joined = await client.request('join', { pipeline: 'voice' })
    return { client, sessionId: joined.sessionId, token: joined.token }
  }
  const turn = async (client: SignalingClient): Promise<void> => {
    for (const type of ['speechStart', 'speechEnd', 'endOfUtterance'] as const) await client.request('clientEvent', { type, clientTime: Date.now(), turnId: 't1' })
    await new Promise((r) => setTimeout(r, 500))
  }
  const attack = (url: string) => ({ stt: [{ kind: 'openai-compatible' as const, baseUrl: url, apiKey: null, model: 'whisper-1' }], llm: [], tts: [] })

  it('default (client providers: none): refused, nothing configured, nothing sent', async () => {
    const { client, sessionId, token } = await voiceSession()
    await expect(client.request('observeSession', { sessionId, token, voice: attack(service.url) })).rejects.toMatchObject({
      code: 'forbidden',
      message: expect.stringMatching(/STT provider http:\/\/127\.0\.0\.1:\d+\/v1 was refused: this backend does not accept providers from clients/)
    })
    const after = await client.request('observeSession', { sessionId, token })
    expect(after.providers?.stt).toEqual([])
    // A turn goes through the session (the app's VAD events; the voice loop transcribes what it holds): the refused
    // provider is not called. The last test shows the same turn does call an accepted one.
    await turn(client)
    expect(service.requests).toEqual([])
  })

  it('public-https: loopback by IP, by mapped IPv6 and by name (localhost) are all refused with the reason', async () => {
    const { client, sessionId, token } = await voiceSession(new ProviderAuthority({ clientProviders: 'public-https' }))
    const port = new URL(service.url).port
    const refused: Array<[string, RegExp]> = [
      [service.url, /over https:\/\/ only/],
      [`https://127.0.0.1:${port}/v1`, /a loopback address/],
      [`https://[::ffff:127.0.0.1]:${port}/v1`, /a loopback address/],
      [`https://localhost:${port}/v1`, /localhost resolves to (127\.0\.0\.1|::1), a loopback address/],
      ['https://169.254.169.254/latest', /a link-local address/]
    ]
    for (const [url, reason] of refused) {
      await expect(client.request('observeSession', { sessionId, token, voice: attack(url) }), url).rejects.toMatchObject({ code: 'forbidden', message: reason })
    }
    await turn(client)
    expect(service.requests).toEqual([])
  })

  it('the embedded backend (any) takes the app\'s own choice, loopback included', async () => {
    const { client, sessionId, token } = await voiceSession(new ProviderAuthority({ clientProviders: 'any' }))
    const result = await client.request('observeSession', { sessionId, token, voice: attack(service.url) })
    expect(result.providers?.stt).toHaveLength(1)
    // The positive control for the tests above: the same turn, with the provider accepted, does reach it.
    await turn(client)
    expect(service.requests).toEqual(['POST /v1/audio/transcriptions'])
  })
})

/**
 * typedTurn on a real backend: the text of the window's text box becomes a turn of the session's voice loop (the
 * embedded skills answer, espeak-ng speaks) and an observer gets its trace marked typed; a wrong token, or a session
 * of another pipeline, is refused and runs nothing.
 */
describe('typedTurn (real backend)', () => {
  let backend: RunningBackend
  const clients: SignalingClient[] = []
  beforeAll(async () => {
    backend = await startBackend({ listenIp: '127.0.0.1', announcedIp: null, rtcPort: 0, signalingPort: 0, workers: 1, logLevel: 'none' })
  })
  afterAll(async () => {
    for (const c of clients) c.close()
    await backend?.close()
  })
  const client = async (): Promise<SignalingClient> => {
    const c = await connectSignaling(backend.signalingUrl, factory)
    clients.push(c)
    return c
  }

  it('answers a typed question through LLM → TTS, the trace says typed; the observer on another connection sees it', async () => {
    const owner = await client()
    const { sessionId, token } = await owner.request('join', { pipeline: 'voice' })
    const observer = await client()
    const traces: Array<{ turnId: string; status: string; transcript?: string; reply?: string; notes?: string[] }> = []
    observer.onNotification((name, data) => {
      if (name === TURN_TRACE_NOTIFICATION) traces.push(data as (typeof traces)[number])
    })
    await observer.request('observeSession', { sessionId, token })
    const { turnId } = await observer.request('typedTurn', { sessionId, token, text: 'what is twelve times seven', turnId: 'typed-e2e-1' })
    expect(turnId).toBe('typed-e2e-1')
    await expect.poll(() => traces.find((t) => t.turnId === turnId && t.status !== 'running'), { timeout: 15_000 }).toBeTruthy()
    const done = traces.filter((t) => t.turnId === turnId).at(-1)!
    expect(done).toMatchObject({ status: 'done', transcript: 'what is twelve times seven', notes: [TYPED_TURN_NOTE] })
    expect(done.reply).toMatch(/84/)
  })

  it('a wrong token is unauthorized and an echo session is a conflict; blank text is invalid', async () => {
    const c = await client()
    const voice = await c.request('join', { pipeline: 'voice' })
    await expect(c.request('typedTurn', { sessionId: voice.sessionId, token: 'x'.repeat(32), text: 'hello' })).rejects.toMatchObject({ code: 'unauthorized' })
    await expect(c.request('typedTurn', { sessionId: voice.sessionId, token: voice.token, text: '   ' })).rejects.toMatchObject({ code: 'invalid_params' })
    const other = await client()
    const echo = await other.request('join', { pipeline: 'echo' })
    await expect(other.request('typedTurn', { sessionId: echo.sessionId, token: echo.token, text: 'hello' })).rejects.toMatchObject({ code: 'conflict', message: expect.stringMatching(/echo pipeline/) })
  })
})

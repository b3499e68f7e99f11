import { afterEach, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { issueAccessToken } from '../../../src/server/auth/accessToken'
import { createConnectionGate } from '../../../src/server/auth/connectionGate'
import { connectSignaling, type WebSocketLike } from '../../../src/shared/signalingClient'
import { startSignalingStub } from '../../helpers/fakeBackend'

const secret = 'operator-secret-0123456789abcdefghijklmnop'
const factory = (url: string): WebSocketLike => new WebSocket(url) as unknown as WebSocketLike

/** Try a WebSocket upgrade; resolves with `open` or the HTTP status and body of the refusal. */
function attempt(url: string, opts: WebSocket.ClientOptions = {}): Promise<{ open: true; ws: WebSocket } | { open: false; status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, opts)
    ws.once('open', () => resolve({ open: true, ws }))
    ws.once('unexpected-response', (_req, res) => {
      let body = ''
      res.on('data', (c: Buffer) => (body += c.toString()))
      res.on('end', () => resolve({ open: false, status: res.statusCode ?? 0, body: body.trim() }))
    })
    ws.once('error', (e) => reject(e))
  })
}

describe('signaling access is decided at the upgrade, before any handler runs', () => {
  const stubs: Array<{ close(): Promise<void> }> = []
  afterEach(async () => {
    for (const s of stubs.splice(0)) await s.close()
  })

  it('refuses without a token (401), with a bad or expired one (401), from a foreign origin (403), on another path (404) — each with its reason', async () => {
    const stub = await startSignalingStub({ gate: createConnectionGate({ auth: { kind: 'tokens', secret }, origins: { allowed: ['app://bundle'] } }) })
    stubs.push(stub)
    const good = issueAccessToken(secret, { sub: 'alice', ttlMs: 60_000 })
    const expired = issueAccessToken(secret, { sub: 'alice', ttlMs: 1000 }, Date.now() - 10_000)
    const forged = issueAccessToken('some-other-secret-0123456789abcdefghijk', { sub: 'alice', ttlMs: 60_000 })
    expect(await attempt(stub.url)).toMatchObject({ open: false, status: 401, body: expect.stringMatching(/access token is required/) })
    expect(await attempt(`${stub.url}?token=${expired}`)).toMatchObject({ open: false, status: 401, body: expect.stringMatching(/expired at/) })
    expect(await attempt(`${stub.url}?token=${forged}`)).toMatchObject({ open: false, status: 401, body: expect.stringMatching(/signature does not match/) })
    expect(await attempt(`${stub.url}?token=${good}`, { origin: 'https://evil.example' })).toMatchObject({ open: false, status: 403, body: 'origin https://evil.example is not allowed to use this backend' })
    expect(await attempt(`${stub.url.replace('/signaling', '/other')}?token=${good}`)).toMatchObject({ open: false, status: 404 })
    expect(stub.stats.connections).toBe(0)
    expect(stub.stats.refused).toBe(5)
    // The rightful holder gets in, from the app's origin or as a Node client, with the token in the URL or a header.
    const viaUrl = await connectSignaling(`${stub.url}?token=${good}`, factory)
    expect((await viaUrl.request('hello', { protocolVersion: 1, client: 't' })).workers).toBe(2)
    viaUrl.close()
    const viaHeader = await attempt(stub.url, { headers: { authorization: `Bearer ${good}` }, origin: 'app://bundle' })
    expect(viaHeader.open).toBe(true)
    if (viaHeader.open) viaHeader.ws.close()
  })

  it('the typed client reports a refused upgrade instead of hanging', async () => {
    const stub = await startSignalingStub({ gate: createConnectionGate({ auth: { kind: 'app-secret', secret }, origins: { allowed: [] } }) })
    stubs.push(stub)
    await expect(connectSignaling(stub.url, factory)).rejects.toThrow(/closed before it opened \(code 1006: Unexpected server response: 401\)/)
  })

  it('caps open connections per source address (429) without touching other addresses', async () => {
    const stub = await startSignalingStub({ connectionsPerAddress: 3 })
    stubs.push(stub)
    const held: WebSocket[] = []
    for (let i = 0; i < 3; i++) {
      const r = await attempt(stub.url, { localAddress: '127.0.0.2' })
      expect(r.open).toBe(true)
      if (r.open) held.push(r.ws)
    }
    expect(await attempt(stub.url, { localAddress: '127.0.0.2' })).toMatchObject({ open: false, status: 429, body: expect.stringMatching(/limit 3; limit: connections_per_address/) })
    const other = await attempt(stub.url, { localAddress: '127.0.0.3' })
    expect(other.open).toBe(true)
    if (other.open) other.ws.close()
    held[0]!.close()
    await new Promise((r) => setTimeout(r, 100))
    const again = await attempt(stub.url, { localAddress: '127.0.0.2' })
    expect(again.open).toBe(true)
    for (const ws of [...held, ...(again.open ? [again.ws] : [])]) ws.close()
  })
})

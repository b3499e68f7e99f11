import { describe, expect, it } from 'vitest'
import { issueAccessToken } from '../../../../src/server/auth/accessToken'
import { createConnectionGate } from '../../../../src/server/auth/connectionGate'

const secret = 'operator-secret-0123456789abcdefghijklmnop'
const origins = { allowed: ['app://bundle'] }
const req = (url: string, headers: Record<string, string> = {}, remoteAddress = '198.51.100.7') => ({ url, headers, remoteAddress })

describe('connection gate: the decision at the WebSocket upgrade', () => {
  it('open: anyone from an allowed origin, as an anonymous principal counted by address', () => {
    const gate = createConnectionGate({ auth: { kind: 'open' }, origins })
    expect(gate(req('/signaling'))).toEqual({ ok: true, principal: { kind: 'anonymous', id: 'anonymous:198.51.100.7', pipelines: null } })
    expect(gate(req('/signaling', { origin: 'https://evil.example' }))).toEqual({ ok: false, status: 403, reason: 'origin https://evil.example is not allowed to use this backend' })
  })
  it('app secret: only the app that started the backend', () => {
    const gate = createConnectionGate({ auth: { kind: 'app-secret', secret }, origins })
    expect(gate(req(`/signaling?token=${secret}`))).toMatchObject({ ok: true, principal: { kind: 'app', id: 'app' } })
    expect(gate(req(`/signaling?token=${secret}`, { origin: 'app://bundle' }))).toMatchObject({ ok: true })
    expect(gate(req('/signaling'))).toMatchObject({ ok: false, status: 401, reason: expect.stringMatching(/only the app that started it \(no token\)/) })
    expect(gate(req('/signaling?token=guess'))).toMatchObject({ ok: false, status: 401, reason: expect.stringMatching(/wrong token/) })
    // Even with the secret, a page of another origin is refused (a leaked URL opened in a browser tab).
    expect(gate(req(`/signaling?token=${secret}`, { origin: 'http://127.0.0.1:9999' }))).toMatchObject({ ok: false, status: 403 })
  })
  it('tokens: from ?token= or Authorization: Bearer; the subject and scope become the principal', () => {
    let now = 1_000_000
    const gate = createConnectionGate({ auth: { kind: 'tokens', secret }, origins, now: () => now })
    const token = issueAccessToken(secret, { sub: 'alice', scope: ['voice'], ttlMs: 60_000 }, now)
    expect(gate(req(`/signaling?token=${token}`))).toEqual({ ok: true, principal: { kind: 'token', id: 'token:alice', pipelines: ['voice'] } })
    expect(gate(req('/signaling', { authorization: `Bearer ${token}` }))).toMatchObject({ ok: true })
    expect(gate(req('/signaling'))).toMatchObject({ ok: false, status: 401, reason: expect.stringMatching(/access token is required.*npm run server -- token/) })
    expect(gate(req('/signaling?token=va1.x.y'))).toMatchObject({ ok: false, status: 401, reason: expect.stringMatching(/signature does not match|malformed/) })
    now += 60_000
    expect(gate(req(`/signaling?token=${token}`))).toMatchObject({ ok: false, status: 401, reason: expect.stringMatching(/expired at/) })
  })
})

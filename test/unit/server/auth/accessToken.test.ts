import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { checkSecret, issueAccessToken, makeSecret, parseDuration, secretsMatch, verifyAccessToken } from '../../../../src/server/auth/accessToken'

const secret = 'operator-secret-0123456789abcdefghijklmnop'
const now = Date.UTC(2025, 0, 1)

describe('access tokens: HMAC-signed, with expiry and scope', () => {
  it('round-trips subject and scope, and defaults the scope to every pipeline', () => {
    const token = issueAccessToken(secret, { sub: 'alice', scope: ['voice'], ttlMs: 3_600_000 }, now)
    expect(token).toMatch(/^va1\.[\w-]+\.[\w-]+$/)
    expect(verifyAccessToken(secret, token, now + 1000)).toEqual({ ok: true, claims: { sub: 'alice', scope: ['voice'], iat: now, exp: now + 3_600_000 } })
    const all = verifyAccessToken(secret, issueAccessToken(secret, { sub: 'bob', ttlMs: 1000 }, now), now)
    expect(all.ok && all.claims.scope).toEqual(['echo', 'click', 'voice'])
  })
  it('refuses expired, future, forged, re-signed and malformed tokens, each with its reason', () => {
    const token = issueAccessToken(secret, { sub: 'alice', ttlMs: 60_000 }, now)
    expect(verifyAccessToken(secret, token, now + 60_000)).toEqual({ ok: false, reason: 'access token expired at 2025-01-01T00:01:00.000Z' })
    expect(verifyAccessToken(secret, token, now - 3_600_000)).toMatchObject({ ok: false, reason: expect.stringMatching(/not valid yet/) })
    expect(verifyAccessToken('another-secret-0123456789abcdefghijklmn', token, now)).toMatchObject({ ok: false, reason: expect.stringMatching(/signature does not match/) })
    // Claims edited (a longer expiry, another subject) with the old signature kept.
    const [prefix, , sig] = token.split('.')
    const forged = Buffer.from(JSON.stringify({ sub: 'admin', scope: ['voice'], iat: now, exp: now + 1e12 })).toString('base64url')
    expect(verifyAccessToken(secret, `${prefix}.${forged}.${sig}`, now)).toMatchObject({ ok: false, reason: expect.stringMatching(/signature/) })
    for (const bad of ['', 'va1', 'va1..', 'va2.a.b', 'x'.repeat(5000), `${token}.extra`, token.slice(0, -2)]) {
      expect(verifyAccessToken(secret, bad, now).ok, bad.slice(0, 20)).toBe(false)
    }
    // A validly signed token whose claims are not ours.
    const odd = `va1.${Buffer.from('{"sub":1}').toString('base64url')}`
    const signed = `${odd}.${createHmac('sha256', secret).update(odd).digest('base64url')}`
    expect(verifyAccessToken(secret, signed, now)).toEqual({ ok: false, reason: 'malformed access token claims' })
  })
  it('secrets: at least 32 characters; fresh ones are random', () => {
    expect(() => checkSecret('short')).toThrow(/too short \(5 characters; at least 32\)/)
    expect(checkSecret(`  ${secret}\n`)).toBe(secret)
    expect(makeSecret()).not.toBe(makeSecret())
    expect(makeSecret().length).toBeGreaterThanOrEqual(43)
    expect(secretsMatch(secret, secret)).toBe(true)
    expect(secretsMatch(`${secret}x`, secret)).toBe(false)
    expect(secretsMatch(null, secret)).toBe(false)
  })
  it('durations', () => {
    expect(parseDuration('90s')).toBe(90_000)
    expect(parseDuration('12h')).toBe(43_200_000)
    expect(parseDuration('7d')).toBe(604_800_000)
    expect(() => parseDuration('0h')).toThrow(/more than zero/)
    expect(() => parseDuration('1w')).toThrow(/bad duration/)
  })
})

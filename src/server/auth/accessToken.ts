import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { z } from 'zod'
import { sessionPipelineSchema, type SessionPipelineName } from '../../shared/contract/signaling'

/**
 * Operator-issued access tokens for a standalone backend: `va1.<claims>.<mac>`, the claims base64url JSON
 * ({sub, scope, iat, exp}), the mac HMAC-SHA256 over `va1.<claims>` with the operator's secret. Stateless: the
 * backend checks the mac (timing-safe) and the expiry at the WebSocket upgrade, before any session exists. A token
 * cannot be revoked before it expires: rotate the secret (every token dies) or keep TTLs short.
 */
export const TOKEN_PREFIX = 'va1'
/** 256-bit secrets; a shorter one is refused rather than silently weak. */
export const MIN_SECRET_LENGTH = 32
const MAX_TOKEN_LENGTH = 2048
/** Clock skew tolerated between the issuing machine and the backend, for `iat`. */
const SKEW_MS = 5 * 60_000

export const accessClaimsSchema = z
  .object({
    /** Who the token is for: per-principal limits count by it, logs name it. */
    sub: z.string().min(1).max(128),
    /** Pipelines the holder may join. */
    scope: z.array(sessionPipelineSchema).min(1).max(8),
    /** Issued at / expires at, ms since epoch. */
    iat: z.number().int().nonnegative(),
    exp: z.number().int().positive()
  })
  .strict()
export type AccessClaims = z.infer<typeof accessClaimsSchema>

export type TokenCheck = { ok: true; claims: AccessClaims } | { ok: false; reason: string }

export function checkSecret(secret: string): string {
  const trimmed = secret.trim()
  if (trimmed.length < MIN_SECRET_LENGTH) throw new Error(`the token secret is too short (${trimmed.length} characters; at least ${MIN_SECRET_LENGTH})`)
  return trimmed
}

/** A fresh random secret (base64url, 256 bits). */
export function makeSecret(): string {
  return randomBytes(32).toString('base64url')
}

export function issueAccessToken(secret: string, claims: { sub: string; scope?: readonly SessionPipelineName[]; ttlMs: number }, now = Date.now()): string {
  const full = accessClaimsSchema.parse({ sub: claims.sub, scope: [...(claims.scope ?? sessionPipelineSchema.options)], iat: now, exp: now + claims.ttlMs })
  const body = `${TOKEN_PREFIX}.${Buffer.from(JSON.stringify(full)).toString('base64url')}`
  return `${body}.${mac(secret, body).toString('base64url')}`
}

/** Check a presented token: well formed, signed with `secret`, issued (not in the future), not expired. */
export function verifyAccessToken(secret: string, token: string, now = Date.now()): TokenCheck {
  if (token.length > MAX_TOKEN_LENGTH) return { ok: false, reason: 'malformed access token (too long)' }
  const parts = token.split('.')
  if (parts.length !== 3 || parts[0] !== TOKEN_PREFIX) return { ok: false, reason: `malformed access token (expected ${TOKEN_PREFIX}.<claims>.<signature>)` }
  const expected = mac(secret, `${parts[0]}.${parts[1]}`)
  const given = Buffer.from(parts[2]!, 'base64url')
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'access token signature does not match (not issued with this backend\'s secret)' }
  let claims: AccessClaims
  try {
    claims = accessClaimsSchema.parse(JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')))
  } catch {
    return { ok: false, reason: 'malformed access token claims' }
  }
  if (claims.exp <= now) return { ok: false, reason: `access token expired at ${new Date(claims.exp).toISOString()}` }
  if (claims.iat > now + SKEW_MS) return { ok: false, reason: `access token is not valid yet (issued at ${new Date(claims.iat).toISOString()})` }
  return { ok: true, claims }
}

/** Compare a presented secret with the expected one without leaking either's length or content through timing. */
export function secretsMatch(given: string | null, expected: string): boolean {
  if (given === null) return false
  const a = createHmac('sha256', 'secret-compare').update(given).digest()
  const b = createHmac('sha256', 'secret-compare').update(expected).digest()
  return timingSafeEqual(a, b)
}

function mac(secret: string, body: string): Buffer {
  return createHmac('sha256', secret).update(body).digest()
}

/** "90s", "30m", "12h", "7d" → ms. */
export function parseDuration(text: string): number {
  const m = /^(\d+)(s|m|h|d)$/.exec(text.trim())
  if (!m) throw new Error(`bad duration ${JSON.stringify(text)}: use a number with s, m, h or d (e.g. 12h)`)
  const ms = Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd']
  if (ms <= 0) throw new Error(`bad duration ${JSON.stringify(text)}: must be more than zero`)
  return ms
}

import type { IncomingHttpHeaders } from 'node:http'
import { addressKey } from '../limits/addressKey'
import { verifyAccessToken, secretsMatch } from './accessToken'
import { originAllowed, type OriginPolicy } from './originPolicy'
import { anonymousPrincipal, APP_PRINCIPAL, type Principal } from './principal'

/** How a backend authenticates signaling connections. */
export type ConnectionAuth =
  /** None: every connection is anonymous (a loopback-only backend: tests, development). */
  | { kind: 'open' }
  /** The embedded backend: the per-run secret the app put in its environment. */
  | { kind: 'app-secret'; secret: string }
  /** A standalone backend: an access token its operator issued (accessToken.ts). */
  | { kind: 'tokens'; secret: string }

export interface UpgradeRequest {
  /** The request target (`/signaling?token=…`). */
  url: string
  headers: IncomingHttpHeaders
  remoteAddress: string
}

export type GateDecision = { ok: true; principal: Principal } | { ok: false; status: 401 | 403; reason: string }
export type ConnectionGate = (request: UpgradeRequest) => GateDecision

/**
 * The decision at the WebSocket upgrade, before any handler or session exists: the Origin (403 if not allowed) and
 * the credential (401 with the reason: missing, malformed, bad signature, expired). The credential comes as the
 * `token` query parameter (browsers cannot set headers on a WebSocket) or an `Authorization: Bearer` header.
 */
export function createConnectionGate(opts: { auth: ConnectionAuth; origins: OriginPolicy; now?: () => number }): ConnectionGate {
  const now = opts.now ?? Date.now
  return (request) => {
    const origin = request.headers.origin
    if (!originAllowed(origin, opts.origins)) return { ok: false, status: 403, reason: `origin ${origin} is not allowed to use this backend` }
    const auth = opts.auth
    if (auth.kind === 'open') return { ok: true, principal: anonymousPrincipal(addressKey(request.remoteAddress)) }
    const presented = presentedToken(request)
    if (auth.kind === 'app-secret') {
      return secretsMatch(presented, auth.secret) ? { ok: true, principal: APP_PRINCIPAL } : { ok: false, status: 401, reason: presented === null ? 'this backend serves only the app that started it (no token)' : 'this backend serves only the app that started it (wrong token)' }
    }
    if (presented === null) return { ok: false, status: 401, reason: 'an access token is required: connect with ?token=<token> (the operator issues one with `npm run server -- token`)' }
    const check = verifyAccessToken(auth.secret, presented, now())
    if (!check.ok) return { ok: false, status: 401, reason: check.reason }
    return { ok: true, principal: { kind: 'token', id: `token:${check.claims.sub}`, pipelines: check.claims.scope } }
  }
}

function presentedToken(request: UpgradeRequest): string | null {
  const header = request.headers.authorization
  if (typeof header === 'string' && /^bearer /i.test(header)) return header.slice(7).trim()
  try {
    return new URL(request.url, 'http://signaling').searchParams.get('token')
  } catch {
    return null
  }
}

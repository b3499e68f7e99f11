import type { SessionPipelineName } from '../../shared/contract/signaling'

/**
 * Who is on the other end of a signaling connection, decided once at the WebSocket upgrade (connectionGate.ts):
 *  - app: the embedded backend's only client, the app that started it (it presented the per-run secret);
 *  - token: a holder of an operator-issued access token (standalone backend), by the token's subject;
 *  - anonymous: a backend without authentication (loopback only; tests, development), counted by source address.
 */
export interface Principal {
  readonly kind: 'app' | 'token' | 'anonymous'
  /** What per-principal limits count by: `app`, `token:<subject>`, `anonymous:<address key>`. */
  readonly id: string
  /** Pipelines this principal may join (the token's scope); null = all. */
  readonly pipelines: readonly SessionPipelineName[] | null
}

export const APP_PRINCIPAL: Principal = { kind: 'app', id: 'app', pipelines: null }

export function anonymousPrincipal(addressKey: string): Principal {
  return { kind: 'anonymous', id: `anonymous:${addressKey}`, pipelines: null }
}

import { z } from 'zod'

/** Error codes every request/response channel (IPC, browser-mode WebSocket, signaling) can answer with. */
export const errorCodeSchema = z.enum([
  'bad_message', // not JSON / not an object / envelope fields missing
  'unknown_method',
  'invalid_params',
  'unauthorized', // not authenticated for this (no session joined, wrong session token, no or bad access token)
  'forbidden', // authenticated, but this principal may not do it (token scope, provider authority)
  'limit_exceeded', // a fairness limit refused it; `limit` says which one, `retryAfterMs` when a rate limit refills
  'not_found',
  'conflict',
  'unavailable',
  'internal',
  'storage_error' // the request was valid but could not be saved: read-only folder (EROFS/EACCES), disk full; the message says which
])
export type ErrorCode = z.infer<typeof errorCodeSchema>

/**
 * The fairness limits a backend enforces (src/server/limits), named in limit_exceeded refusals so a client (and its
 * user) can tell "this backend is full" from "you are joining too fast" from "you already hold too many sessions".
 */
export const limitNameSchema = z.enum([
  'sessions_total', // the backend's session slots (--max-sessions)
  'sessions_per_principal', // sessions one token subject (or the embedded app) holds, detached ones included
  'sessions_per_address', // sessions from one source address (IPv6: one /64)
  'join_rate', // joins per source address and per principal (token bucket)
  'connections_per_address' // open signaling connections from one source address (refused at the upgrade: HTTP 429)
])
export type LimitName = z.infer<typeof limitNameSchema>

export const errorBodySchema = z.object({
  code: errorCodeSchema,
  message: z.string(),
  /** For invalid_params: one line per failed field, e.g. "audio.echoCancellation: expected boolean". */
  issues: z.array(z.string()).optional(),
  /** For limit_exceeded: which limit refused the request. */
  limit: limitNameSchema.optional(),
  /** For a rate limit: when the next attempt can succeed. */
  retryAfterMs: z.number().int().nonnegative().optional()
})
export type ErrorBody = z.infer<typeof errorBodySchema>

/** An error that crosses a process boundary as an ErrorBody. */
export class ContractError extends Error {
  readonly code: ErrorCode
  readonly issues: string[] | undefined
  readonly limit: LimitName | undefined
  readonly retryAfterMs: number | undefined
  constructor(code: ErrorCode, message: string, issues?: string[], extra: { limit?: LimitName; retryAfterMs?: number } = {}) {
    super(message)
    this.name = 'ContractError'
    this.code = code
    this.issues = issues
    this.limit = extra.limit
    this.retryAfterMs = extra.retryAfterMs
  }
  toBody(): ErrorBody {
    return {
      code: this.code,
      message: this.message,
      ...(this.issues ? { issues: this.issues } : {}),
      ...(this.limit ? { limit: this.limit } : {}),
      ...(this.retryAfterMs !== undefined ? { retryAfterMs: this.retryAfterMs } : {})
    }
  }
  static fromBody(body: ErrorBody): ContractError {
    return new ContractError(body.code, body.message, body.issues, { limit: body.limit, retryAfterMs: body.retryAfterMs })
  }
  /** A fairness limit refused the request (see limitNameSchema). */
  static limit(limit: LimitName, message: string, retryAfterMs?: number): ContractError {
    return new ContractError('limit_exceeded', message, undefined, { limit, ...(retryAfterMs !== undefined ? { retryAfterMs: Math.ceil(retryAfterMs) } : {}) })
  }
}

/** Human-readable one-liners for zod issues ("path: message"), capped so a hostile payload cannot blow up a reply. */
export function describeIssues(error: z.ZodError, max = 20): string[] {
  const lines = error.issues.slice(0, max).map((issue) => {
    const path = issue.path.length ? issue.path.map(String).join('.') : '(root)'
    return `${path}: ${issue.message}`
  })
  if (error.issues.length > max) lines.push(`… and ${error.issues.length - max} more`)
  return lines
}

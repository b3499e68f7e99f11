import { z } from 'zod'

/** Error codes every request/response channel (IPC, browser-mode WebSocket, signaling) can answer with. */
export const errorCodeSchema = z.enum([
  'bad_message', // not JSON / not an object / envelope fields missing
  'unknown_method',
  'invalid_params',
  'unauthorized',
  'not_found',
  'conflict',
  'unavailable',
  'internal',
  'storage_error' // the request was valid but could not be saved: read-only folder (EROFS/EACCES), disk full; the message says which
])
export type ErrorCode = z.infer<typeof errorCodeSchema>

export const errorBodySchema = z.object({
  code: errorCodeSchema,
  message: z.string(),
  /** For invalid_params: one line per failed field, e.g. "audio.echoCancellation: expected boolean". */
  issues: z.array(z.string()).optional()
})
export type ErrorBody = z.infer<typeof errorBodySchema>

/** An error that crosses a process boundary as an ErrorBody. */
export class ContractError extends Error {
  readonly code: ErrorCode
  readonly issues: string[] | undefined
  constructor(code: ErrorCode, message: string, issues?: string[]) {
    super(message)
    this.name = 'ContractError'
    this.code = code
    this.issues = issues
  }
  toBody(): ErrorBody {
    return this.issues ? { code: this.code, message: this.message, issues: this.issues } : { code: this.code, message: this.message }
  }
  static fromBody(body: ErrorBody): ContractError {
    return new ContractError(body.code, body.message, body.issues)
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

import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai'

/**
 * Why a provider call failed, in the words a user can act on. The FallbackChain moves to the next provider on
 * every kind except `cancelled` (the turn itself was stopped, e.g. barge-in).
 */
export type ProviderFailureKind =
  | 'missing_key' // no API key configured
  | 'unreachable' // connection refused / DNS / reset before a response
  | 'http_status' // 4xx / 5xx
  | 'timeout' // no response or no next chunk in time
  | 'broken_stream' // the response started and then broke off or was malformed
  | 'bad_response' // a response that is not what the API promises (no text, wrong audio format)
  | 'unavailable' // the provider cannot run here (binary missing, model not installed)
  | 'cancelled'

export class ProviderError extends Error {
  constructor(
    readonly kind: ProviderFailureKind,
    message: string,
    readonly status?: number
  ) {
    super(message)
    this.name = 'ProviderError'
  }
}

export function isCancelled(error: unknown): boolean {
  return error instanceof ProviderError && error.kind === 'cancelled'
}

/**
 * Maps anything a provider call threw (openai SDK errors, fetch errors, our own) to a ProviderError. `during`
 * tells whether the response had already started streaming, which turns a connection error into a broken stream.
 */
export function toProviderError(error: unknown, opts: { during?: 'request' | 'stream'; signal?: AbortSignal } = {}): ProviderError {
  if (error instanceof ProviderError) return error
  if (opts.signal?.aborted) {
    const reason = opts.signal.reason
    if (reason instanceof ProviderError) return reason
    return new ProviderError('cancelled', 'cancelled')
  }
  if (error instanceof APIUserAbortError) return new ProviderError('cancelled', 'cancelled')
  if (error instanceof APIConnectionTimeoutError) return new ProviderError('timeout', 'no response before the timeout')
  if (error instanceof APIConnectionError) {
    const cause = describeCause(error)
    return opts.during === 'stream'
      ? new ProviderError('broken_stream', `the reply stream broke off${cause}`)
      : new ProviderError('unreachable', `could not connect${cause}`)
  }
  if (error instanceof APIError && typeof error.status === 'number') {
    const hint = error.status === 401 || error.status === 403 ? ' (check the API key)' : error.status === 404 ? ' (check the base URL and model)' : ''
    return new ProviderError('http_status', `HTTP ${error.status}${hint}: ${shorten(errorMessageOf(error))}`, error.status)
  }
  if (error instanceof APIError) return new ProviderError('broken_stream', `the reply stream broke off: ${shorten(error.message)}`)
  const message = error instanceof Error ? error.message : String(error)
  if (opts.during === 'stream') return new ProviderError('broken_stream', `the reply stream broke off: ${shorten(message)}`)
  return new ProviderError('unreachable', shorten(message))
}

function errorMessageOf(error: APIError): string {
  const body = error.error as { message?: unknown } | undefined
  return typeof body?.message === 'string' ? body.message : error.message
}

function describeCause(error: Error): string {
  const cause = (error as { cause?: unknown }).cause as { code?: unknown; message?: unknown } | undefined
  if (!cause) return ''
  if (typeof cause.code === 'string') return ` (${cause.code})`
  if (typeof cause.message === 'string') return ` (${shorten(cause.message)})`
  return ''
}

function shorten(text: string, max = 160): string {
  const oneLine = text.replace(/\s+/g, ' ').trim()
  return oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine
}

import type { LogFields } from './logger'

/**
 * The second line of defence against a secret in a log: components never put one in a message or a field (the
 * first line), and every logger implementation passes what it writes through here. Pure, so each implementation
 * (pino for the backend and relay, the app's file logger) redacts the same way.
 */

export const REDACTED = '[redacted]'

/** Field names whose value is a secret whatever it looks like (compared without case, `_` or `-`). */
export const SECRET_FIELD_NAMES: readonly string[] = ['apikey', 'token', 'accesstoken', 'authorization', 'password', 'secret', 'tokensecret', 'cookie', 'setcookie']

/** Deeper than this, a field is summarized (a log line is not a dump). */
const MAX_DEPTH = 4
/** Longer strings are cut: one log line stays one line a reader can take in. */
const MAX_STRING = 4000

function normalizedName(name: string): string {
  return name.toLowerCase().replace(/[-_]/g, '')
}

/** Whether a field of this name holds a secret (apiKey, token, authorization, …). */
export function isSecretFieldName(name: string): boolean {
  return SECRET_FIELD_NAMES.includes(normalizedName(name))
}

/**
 * Secrets that show up inside text: a URL's `?token=` / `access_token=` / `api_key=` / `key=` / `secret=` value, an
 * `Authorization: Bearer …` value, an operator access token (`va1.<claims>.<signature>`) and an OpenAI-style key
 * (`sk-…`). Each is replaced, the text around it kept.
 */
export function redactText(text: string): string {
  const cut = text.length > MAX_STRING ? `${text.slice(0, MAX_STRING)}… (${text.length - MAX_STRING} more characters)` : text
  return cut
    .replace(/([?&#](?:token|access_token|api_key|apikey|key|secret)=)[^&#\s"'<>]+/gi, `$1${REDACTED}`)
    .replace(/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/g, `$1 ${REDACTED}`)
    .replace(/\bva1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/g, `va1.${REDACTED}`)
    .replace(/\bsk-[A-Za-z0-9_-]{6,}/g, `sk-${REDACTED}`)
}

/** A value made safe to log: secret-named fields replaced, strings scrubbed, errors as name/message/stack. */
export function redactValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactText(value)
  if (value === null || typeof value !== 'object') return typeof value === 'bigint' ? value.toString() : value
  if (depth >= MAX_DEPTH) return Array.isArray(value) ? `[array of ${value.length}]` : '[object]'
  if (value instanceof Error) {
    const out: Record<string, unknown> = { name: value.name, message: redactText(value.message) }
    if (value.stack) out.stack = redactText(value.stack)
    const code = (value as { code?: unknown }).code
    if (code !== undefined) out.code = code
    return out
  }
  if (Array.isArray(value)) return value.slice(0, 50).map((v) => redactValue(v, depth + 1))
  const out: Record<string, unknown> = {}
  for (const [key, v] of Object.entries(value)) out[key] = isSecretFieldName(key) && v !== null && v !== undefined ? REDACTED : redactValue(v, depth + 1)
  return out
}

/** Fields made safe to log (see redactValue); undefined stays undefined. */
export function redactFields(fields: LogFields | undefined): Record<string, unknown> | undefined {
  return fields === undefined ? undefined : (redactValue(fields) as Record<string, unknown>)
}

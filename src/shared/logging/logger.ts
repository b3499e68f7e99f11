/**
 * The one logging interface every component takes (passed in, never imported as a global). Fields carry the context
 * a reader filters on (sessionId, turnId, provider, stage, …); the message says what happened in words. Backend and
 * relay implement it with pino (JSON lines), the Electron main process with electron-log (a rotated file under
 * userData/logs), tests with an in-memory logger. Secrets never go into a message or a field: the implementations
 * redact known secret-bearing keys as a second line of defence, not the first.
 */

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

export type LogFields = Readonly<Record<string, unknown>>

export interface Logger {
  debug(message: string, fields?: LogFields): void
  info(message: string, fields?: LogFields): void
  warn(message: string, fields?: LogFields): void
  error(message: string, fields?: LogFields): void
  /** A logger that adds these fields to every line (e.g. `{ sessionId }` for one session's parts). */
  child(fields: LogFields): Logger
}

/** True for a string that names a level ('debug', 'info', 'warn', 'error'). */
export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === 'string' && (LOG_LEVELS as readonly string[]).includes(value)
}

/** Whether a line at `level` passes a logger set to `threshold`. */
export function levelEnabled(level: LogLevel, threshold: LogLevel): boolean {
  return LOG_LEVELS.indexOf(level) >= LOG_LEVELS.indexOf(threshold)
}

/** A logger that drops everything: the default for a component whose owner passed none (CLIs, benches, tests). */
export const silentLogger: Logger = Object.freeze({
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger
})

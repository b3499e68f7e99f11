import { pino, type DestinationStream, type Logger as Pino } from 'pino'
import type { LogFields, Logger, LogLevel } from '../../shared/logging/logger'
import { REDACTED, redactFields, redactText } from '../../shared/logging/redact'

/** A level, or 'silent' for nothing at all (`--log-level none`). */
export type PinoLevel = LogLevel | 'silent'

export interface PinoLoggerOptions {
  /** Lines below it are dropped (default info). */
  level?: PinoLevel
  /** Where the JSON lines go. Default: stderr (fd 2), written synchronously so the last lines before a crash are kept. */
  destination?: DestinationStream
  /** Added to every line as `name` ("backend", "relay"). */
  name?: string
}

/**
 * Key paths pino's own `redact` censors, in the spellings the code uses, top level and one level down. The adapter
 * already passes every field through redactFields (shared with the app's file logger); this catches what reaches pino
 * by another way (a child's bindings).
 */
export const PINO_SECRET_KEYS: readonly string[] = ['apiKey', 'api_key', 'token', 'accessToken', 'authorization', 'password', 'secret', 'tokenSecret', 'cookie']
export const PINO_REDACT_PATHS: readonly string[] = [...PINO_SECRET_KEYS, ...PINO_SECRET_KEYS.map((k) => `*.${k}`), 'headers.authorization', '*.headers.authorization']

/**
 * The backend's and the relay's Logger: one JSON object per line (`{"level":"info","time":"…","name":"backend",
 * "msg":"…",…fields}`), level as a word so the app that re-logs these lines (BackendService) and a person reading
 * them need no table. stdout stays for the one machine-readable ready line, so the default destination is stderr.
 */
export function createPinoLogger(opts: PinoLoggerOptions = {}): Logger {
  const base = pino(
    {
      level: opts.level ?? 'info',
      base: opts.name ? { name: opts.name } : {},
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: [...PINO_REDACT_PATHS], censor: REDACTED }
    },
    opts.destination ?? pino.destination({ fd: 2, sync: true })
  )
  return adapt(base)
}

function adapt(p: Pino): Logger {
  const write = (level: LogLevel) => (message: string, fields?: LogFields): void => {
    if (!p.isLevelEnabled(level)) return
    p[level](redactFields(fields) ?? {}, redactText(message))
  }
  return {
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    child: (fields) => adapt(p.child(redactFields(fields) ?? {}))
  }
}

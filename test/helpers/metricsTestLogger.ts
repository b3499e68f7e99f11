import type { LogFields, Logger, LogLevel } from '../../src/shared/logging/logger'

export interface LoggedLine {
  level: LogLevel
  message: string
  fields: Record<string, unknown>
}

/** A Logger that keeps every line in memory (children share the list and add their fields). */
export class MetricsTestLogger implements Logger {
  constructor(
    readonly lines: LoggedLine[] = [],
    private readonly bound: LogFields = {}
  ) {}

  debug(message: string, fields?: LogFields): void {
    this.push('debug', message, fields)
  }
  info(message: string, fields?: LogFields): void {
    this.push('info', message, fields)
  }
  warn(message: string, fields?: LogFields): void {
    this.push('warn', message, fields)
  }
  error(message: string, fields?: LogFields): void {
    this.push('error', message, fields)
  }
  child(fields: LogFields): Logger {
    return new MetricsTestLogger(this.lines, { ...this.bound, ...fields })
  }

  /** Lines whose message matches. */
  find(pattern: RegExp, level?: LogLevel): LoggedLine[] {
    return this.lines.filter((l) => pattern.test(l.message) && (level === undefined || l.level === level))
  }

  private push(level: LogLevel, message: string, fields?: LogFields): void {
    this.lines.push({ level, message, fields: { ...this.bound, ...fields } })
  }
}

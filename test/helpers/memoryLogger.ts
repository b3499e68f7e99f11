import type { LogFields, Logger, LogLevel } from '../../src/shared/logging/logger'

export interface MemoryLogLine {
  level: LogLevel
  message: string
  /** The child loggers' fields, then the line's own. */
  fields: Record<string, unknown>
}

/**
 * A Logger for tests: every line kept in order (level, message, fields), children writing to the same list. It keeps
 * what a component passed, unredacted, so a test can also assert that the component itself never logs a secret.
 */
export class MemoryLogger implements Logger {
  constructor(
    readonly lines: MemoryLogLine[] = [],
    private readonly bound: Record<string, unknown> = {}
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

  child(fields: LogFields): MemoryLogger {
    return new MemoryLogger(this.lines, { ...this.bound, ...fields })
  }

  /** The lines whose message matches (and at this level, if given). */
  find(message: RegExp | string, level?: LogLevel): MemoryLogLine[] {
    return this.lines.filter((l) => (typeof message === 'string' ? l.message.includes(message) : message.test(l.message)) && (level === undefined || l.level === level))
  }

  /** Every line as `level message {fields}`, one per line: for toMatch and failure messages. */
  text(): string {
    return this.lines.map((l) => `${l.level} ${l.message}${Object.keys(l.fields).length ? ` ${JSON.stringify(l.fields)}` : ''}`).join('\n')
  }

  private push(level: LogLevel, message: string, fields: LogFields | undefined): void {
    this.lines.push({ level, message, fields: { ...this.bound, ...fields } })
  }
}

import type { Readable } from 'node:stream'
import { z } from 'zod'
import type { Logger, LogLevel } from '../../shared/logging/logger'

/**
 * A child process's log lines (the embedded backend's pino JSON on its stderr) re-logged by the parent at their own
 * level, with their own fields. Anything else on that stream (a Node warning, a native crash's text) is logged as a
 * warning as it came: a line is never a reason to fail.
 */

/** One pino line, as createPinoLogger writes it (level as a word; pino's numbers are understood too). */
export const pinoLineSchema = z
  .object({
    level: z.union([z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']), z.number()]),
    msg: z.string().optional(),
    time: z.union([z.string(), z.number()]).optional()
  })
  .passthrough()

/** Longest line kept (64 KiB): a child that writes megabytes without a newline cannot grow the parent's memory. */
export const MAX_CHILD_LINE = 64 * 1024

export interface ChildLogLine {
  level: LogLevel
  message: string
  fields: Record<string, unknown>
  /** Whether the line was one of the child's JSON log lines (else: plain text, logged as a warning). */
  structured: boolean
}

function levelOf(level: z.infer<typeof pinoLineSchema>['level']): LogLevel {
  if (typeof level === 'number') return level <= 20 ? 'debug' : level <= 30 ? 'info' : level <= 40 ? 'warn' : 'error'
  if (level === 'trace') return 'debug'
  if (level === 'fatal') return 'error'
  return level
}

/** What one line of the child's stderr says, never throwing. */
export function parseChildLogLine(line: string): ChildLogLine {
  let json: unknown
  try {
    json = line.startsWith('{') ? JSON.parse(line) : undefined
  } catch {
    json = undefined
  }
  const parsed = pinoLineSchema.safeParse(json)
  if (!parsed.success) return { level: 'warn', message: line, fields: {}, structured: false }
  const { level, msg, time: _time, pid: _pid, hostname: _hostname, name: _name, ...fields } = parsed.data as z.infer<typeof pinoLineSchema> & Record<string, unknown>
  return { level: levelOf(level), message: msg ?? '', fields, structured: true }
}

/** Re-log one of the child's lines on `logger` (already the child's: e.g. `logger.child({ source: 'backend' })`). */
export function relogChildLine(line: string, logger: Logger): ChildLogLine {
  const entry = parseChildLogLine(line)
  logger[entry.level](entry.message, entry.structured ? entry.fields : { stream: 'stderr' })
  return entry
}

/**
 * Split a stream into lines, each at most `maxLength` characters (the rest of a longer line is dropped and the line
 * marked ` … (cut)`), so memory stays bounded whatever the child writes. A last line without a newline is given at end.
 */
export function boundedLines(stream: Readable, onLine: (line: string) => void, maxLength = MAX_CHILD_LINE): void {
  let current = ''
  let cut = false
  stream.setEncoding('utf8')
  stream.on('data', (chunk: string) => {
    let start = 0
    for (;;) {
      const newline = chunk.indexOf('\n', start)
      const piece = chunk.slice(start, newline === -1 ? chunk.length : newline)
      const room = maxLength - current.length
      if (piece.length > room) {
        current += piece.slice(0, room)
        cut = true
      } else current += piece
      if (newline === -1) break
      onLine(finish(current, cut))
      current = ''
      cut = false
      start = newline + 1
    }
  })
  stream.on('end', () => {
    if (current || cut) onLine(finish(current, cut))
  })
}

function finish(line: string, cut: boolean): string {
  const text = line.endsWith('\r') ? line.slice(0, -1) : line
  return cut ? `${text} … (cut)` : text
}

import electronLog from 'electron-log/node'
import { levelEnabled, type LogFields, type Logger, type LogLevel } from '../../shared/logging/logger'
import { redactFields, redactText } from '../../shared/logging/redact'

export interface FileLoggerOptions {
  /** The log file (the app's: appLogPath(userData)); its folder is made on the first line. */
  path: string
  /** Lines below it are dropped (default info). */
  level?: LogLevel
  /**
   * Past this size the file is renamed to `<name>.old.log` (replacing the previous one) and a new one begun, so the
   * logs never hold more than twice this. Default 5 MiB: about 30 000 lines, days of normal use.
   */
  maxSizeBytes?: number
  /** Also write each line to stderr at this level (a terminal running the app); false = file only (default). */
  console?: LogLevel | false
}

export interface FileLogger extends Logger {
  readonly path: string
}

const DEFAULT_MAX_SIZE = 5 * 1024 * 1024

/**
 * The app's Logger (Electron main and browser mode write the same file): electron-log's file transport, which
 * rotates by size, over `electron-log/node`. Not `electron-log/main`: importing it registers ipcMain listeners on a
 * generic `__ELECTRON_LOG__` channel (any frame could post unchecked lines through it), which the bridge's one
 * function per method, every sender checked, forbids; the node entry has the same logger and transports without
 * them, and runs in Electron's main process and in plain Node alike. Its `initialize()` (a preload injected into
 * every session) is never called.
 *
 * One line per entry: `2026-12-06T16:28:02.123Z info  message {"sessionId":"…"}`, fields as JSON, everything passed
 * through redactFields / redactText first. The file is written synchronously (a line is small), so the last lines
 * before a crash are on disk; mode 0600, since a log says what the user did.
 */
export function createFileLogger(opts: FileLoggerOptions): FileLogger {
  // Its own instance (logId = the path): electron-log's default instance is process-wide state another user of the
  // library could reconfigure.
  const log = electronLog.create({ logId: `file:${opts.path}` })
  // Only for electron-log's default paths, which are not used; without it the first line throws where no package.json
  // names the app.
  log.transports.file.setAppName('Voice Assistant')
  const threshold = opts.level ?? 'info'
  const file = log.transports.file
  file.resolvePathFn = () => opts.path
  file.maxSize = opts.maxSizeBytes ?? DEFAULT_MAX_SIZE
  file.level = threshold
  file.sync = true
  file.writeOptions = { flag: 'a', mode: 0o600, encoding: 'utf8' }
  file.format = ({ message, data }) => [`${message.date.toISOString()} ${message.level.padEnd(5)} ${data.map(String).join(' ')}`]
  const consoleLevel = opts.console ?? false
  log.transports.console.level = consoleLevel
  if (consoleLevel) {
    log.transports.console.format = ({ message, data }) => [`${message.level.padEnd(5)} ${data.map(String).join(' ')}`]
    // Diagnostics go to stderr: stdout is for what a command was asked for (browser mode's URL).
    log.transports.console.writeFn = ({ message }) => void process.stderr.write(`${message.data.map(String).join(' ')}\n`)
  }
  for (const name of ['ipc', 'remote'] as const) {
    const transport = (log.transports as Record<string, { level: unknown } | undefined>)[name]
    if (transport) transport.level = false
  }
  // The lower of the two levels: below it no transport would write the line, so it is not even formatted.
  const minimum = consoleLevel && !levelEnabled(consoleLevel, threshold) ? consoleLevel : threshold
  return { ...wrap(log, minimum, {}), path: opts.path }
}

type ElectronLogInstance = ReturnType<typeof electronLog.create>

function wrap(log: ElectronLogInstance, minimum: LogLevel, bound: Record<string, unknown>): Logger {
  const write = (level: LogLevel) => (message: string, fields?: LogFields): void => {
    if (!levelEnabled(level, minimum)) return
    const all = fields ? { ...bound, ...redactFields(fields) } : bound
    const text = redactText(message).replace(/\r?\n/g, '\\n')
    log[level](Object.keys(all).length ? `${text} ${JSON.stringify(all)}` : text)
  }
  return {
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    child: (fields) => wrap(log, minimum, { ...bound, ...redactFields(fields) })
  }
}

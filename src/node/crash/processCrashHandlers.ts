import type { LogFields, Logger } from '../../shared/logging/logger'

/** The part of `process` the handlers use (a fake in tests). */
export interface CrashProcess {
  on(event: 'unhandledRejection', listener: (reason: unknown) => void): unknown
  on(event: 'uncaughtException', listener: (error: Error, origin: string) => void): unknown
  off(event: 'unhandledRejection', listener: (reason: unknown) => void): unknown
  off(event: 'uncaughtException', listener: (error: Error, origin: string) => void): unknown
  exit(code: number): never | void
  readonly pid: number
}

export interface ProcessCrashOptions {
  /** Which process this is, in every line ('backend', 'relay', 'app', 'browser-mode'). */
  processName: string
  /**
   * What an uncaught exception does after it is logged. 'exit' (exit code 1): the process's state is unknown after
   * a throw nobody caught, and its owner restarts a clean one (the app's BackendService restarts the embedded backend;
   * an operator's supervisor the server and the relay; the user `npm start`). 'continue': keep running, for the
   * Electron main process, whose own default (a dialog, then on) keeps the user's window and tray alive.
   */
  onUncaughtException: 'exit' | 'continue'
  /**
   * Where the lines go. Until the process has its Logger (before startup finished, or an entry not wired yet), each
   * line is written to stderr as one JSON object, so a crash is never silent.
   */
  logger?: Logger
  /** Default process.stderr.write. */
  writeStderr?: (line: string) => void
}

/** A rejection's or exception's message and stack (whatever was thrown: an Error, a string, an object). */
export function describeThrown(thrown: unknown): { message: string; stack?: string; name?: string } {
  if (thrown instanceof Error) return { name: thrown.name, message: thrown.message, stack: thrown.stack }
  if (typeof thrown === 'string') return { message: thrown }
  try {
    return { message: JSON.stringify(thrown) ?? String(thrown) }
  } catch {
    return { message: String(thrown) }
  }
}

/**
 * Log `unhandledRejection` and `uncaughtException` with their stack in every process (Electron main, browser mode,
 * the backend, the relay). A rejection nobody handled is logged and the process goes on: one lost promise (a session
 * handler, a provider call) must not end every other session, which is what Node's default (exit) would do. An
 * uncaught exception is logged and then, per process, exits with code 1 or goes on (see onUncaughtException).
 * Returns the uninstall (tests).
 */
export function installProcessCrashHandlers(proc: CrashProcess, opts: ProcessCrashOptions): () => void {
  const logger = opts.logger ?? stderrFallbackLogger(opts.writeStderr)
  const report = (message: string, fields: Record<string, unknown>): void => logger.error(message, { process: opts.processName, pid: proc.pid, ...fields })
  const onRejection = (reason: unknown): void => {
    report('unhandled promise rejection', { error: describeThrown(reason) })
  }
  const onException = (error: Error, origin: string): void => {
    const exiting = opts.onUncaughtException === 'exit'
    report(`uncaught exception${exiting ? ': exiting' : ''}`, { error: describeThrown(error), origin })
    if (exiting) proc.exit(1)
  }
  proc.on('unhandledRejection', onRejection)
  proc.on('uncaughtException', onException)
  return () => {
    proc.off('unhandledRejection', onRejection)
    proc.off('uncaughtException', onException)
  }
}

/**
 * Until a process has its real Logger (the logging work wires pino / electron-log into every entry), crash reports
 * go to stderr as one JSON object per line, so a crash is never silent. Not a general logger: only crash capture
 * falls back to it.
 */
export function stderrFallbackLogger(write: (line: string) => void = (line) => void process.stderr.write(line), bound: LogFields = {}): Logger {
  const line = (level: string) => (message: string, fields?: LogFields) => {
    let text: string
    try {
      text = JSON.stringify({ level, msg: message, ...bound, ...fields })
    } catch {
      text = JSON.stringify({ level, msg: message })
    }
    write(`${text}\n`)
  }
  return { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error'), child: (fields) => stderrFallbackLogger(write, { ...bound, ...fields }) }
}

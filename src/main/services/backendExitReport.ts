import type { LogFields } from '../../shared/logging/logger'

export interface BackendExit {
  code: number | null
  signal: NodeJS.Signals | null
  pid?: number
}

export interface BackendExitReport {
  /** The log line: what happened. Its fields carry the exit and the stderr tail (bounded by StderrTail). */
  logMessage: string
  fields: LogFields
  /** What the user is told (a notice in the window): what happened, what the app does about it, the last lines. */
  notice: { level: 'warning' | 'error'; message: string }
}

/** Lines of the stderr tail shown in the notice (the log has the whole tail). */
const NOTICE_TAIL_LINES = 3

/**
 * How an unexpected exit of the embedded backend is reported: one log line with its exit code or signal and the tail
 * of its stderr, and one notice for the user saying it is being restarted (or, after too many, that it was not).
 */
export function backendExitReport(exit: BackendExit, stderrTail: readonly string[], next: { restartInMs: number } | { gaveUpAfter: number }): BackendExitReport {
  const how = exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code}`
  const shown = stderrTail.slice(-NOTICE_TAIL_LINES).join('\n')
  const restarting = 'restartInMs' in next
  const what = restarting ? `restarting it in ${Math.round(next.restartInMs)} ms.` : `it stopped ${next.gaveUpAfter} time${next.gaveUpAfter === 1 ? '' : 's'} in a row, so it is not restarted: use Restart backend in Diagnostics.`
  return {
    logMessage: `the backend stopped unexpectedly (${how}); ${restarting ? 'restarting it' : 'not restarting it'}`,
    fields: { exitCode: exit.code, exitSignal: exit.signal, ...(exit.pid !== undefined ? { pid: exit.pid } : {}), stderrTail: [...stderrTail] },
    notice: { level: restarting ? 'warning' : 'error', message: `The backend stopped unexpectedly (${how}); ${what}${shown ? `\nIts last output:\n${shown}` : ''}` }
  }
}

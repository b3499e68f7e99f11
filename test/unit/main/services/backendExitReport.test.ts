import { describe, expect, it } from 'vitest'
import { backendExitReport } from '../../../../src/main/services/backendExitReport'

describe('backendExitReport', () => {
  it('a restart: a warning notice with the last three lines; the log line keeps the whole tail', () => {
    const tail = ['a', 'b', 'c', 'Error: boom']
    const r = backendExitReport({ code: null, signal: 'SIGKILL', pid: 42 }, tail, { restartInMs: 312.6 })
    expect(r.logMessage).toBe('the backend stopped unexpectedly (killed by SIGKILL); restarting it')
    expect(r.fields).toEqual({ exitCode: null, exitSignal: 'SIGKILL', pid: 42, stderrTail: tail })
    expect(r.notice).toEqual({ level: 'warning', message: 'The backend stopped unexpectedly (killed by SIGKILL); restarting it in 313 ms.\nIts last output:\nb\nc\nError: boom' })
  })

  it('given up: an error notice that says what to do; no output, no output section', () => {
    const r = backendExitReport({ code: 1, signal: null }, [], { gaveUpAfter: 5 })
    expect(r.logMessage).toBe('the backend stopped unexpectedly (exit code 1); not restarting it')
    expect(r.notice).toEqual({ level: 'error', message: 'The backend stopped unexpectedly (exit code 1); it stopped 5 times in a row, so it is not restarted: use Restart backend in Diagnostics.' })
    expect(r.fields).not.toHaveProperty('pid')
  })
})

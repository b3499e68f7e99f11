import { spawnSync } from 'node:child_process'
import { EventEmitter } from 'node:events'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { describeThrown, installProcessCrashHandlers, stderrFallbackLogger, type CrashProcess } from '../../../../src/node/crash/processCrashHandlers'
import { MemoryLogger } from '../../../helpers/memoryLogger'

class FakeProcess extends EventEmitter implements CrashProcess {
  readonly pid = 4242
  exits: number[] = []
  exit(code: number): void {
    this.exits.push(code)
  }
}

describe('installProcessCrashHandlers', () => {
  it('logs an unhandled rejection with its stack and goes on', () => {
    const proc = new FakeProcess()
    const logger = new MemoryLogger()
    installProcessCrashHandlers(proc, { processName: 'backend', onUncaughtException: 'exit', logger })
    proc.emit('unhandledRejection', new Error('provider call lost'))
    expect(proc.exits).toEqual([])
    const [line] = logger.find(/unhandled promise rejection/, 'error')
    expect(line!.fields).toMatchObject({ process: 'backend', pid: 4242, error: { name: 'Error', message: 'provider call lost' } })
    expect((line!.fields.error as { stack: string }).stack).toMatch(/provider call lost\n\s+at /)
  })

  it("an uncaught exception is logged with its stack, then exits 1 ('exit') or goes on ('continue')", () => {
    const exiting = new FakeProcess()
    const logger = new MemoryLogger()
    installProcessCrashHandlers(exiting, { processName: 'relay', onUncaughtException: 'exit', logger })
    exiting.emit('uncaughtException', new TypeError('x is undefined'), 'uncaughtException')
    expect(exiting.exits).toEqual([1])
    expect(logger.find(/uncaught exception: exiting/)[0]!.fields).toMatchObject({ process: 'relay', origin: 'uncaughtException', error: { name: 'TypeError', message: 'x is undefined' } })
    const staying = new FakeProcess()
    installProcessCrashHandlers(staying, { processName: 'app', onUncaughtException: 'continue', logger })
    staying.emit('uncaughtException', new Error('tray icon missing'), 'uncaughtException')
    expect(staying.exits).toEqual([])
    expect(logger.find(/^uncaught exception$/)).toHaveLength(1)
  })

  it('without a logger yet, each report is one JSON line on stderr; the uninstall removes both handlers', () => {
    const proc = new FakeProcess()
    const lines: string[] = []
    const uninstall = installProcessCrashHandlers(proc, { processName: 'browser-mode', onUncaughtException: 'exit', writeStderr: (l) => lines.push(l) })
    proc.emit('unhandledRejection', 'a string reason')
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'error', process: 'browser-mode', msg: 'unhandled promise rejection', error: { message: 'a string reason' } })
    uninstall()
    expect(proc.listenerCount('unhandledRejection')).toBe(0)
    expect(proc.listenerCount('uncaughtException')).toBe(0)
  })

  it('describes anything thrown: an Error, a string, an object, a cycle', () => {
    expect(describeThrown({ code: 7 })).toEqual({ message: '{"code":7}' })
    const cycle: Record<string, unknown> = {}
    cycle.self = cycle
    expect(describeThrown(cycle)).toEqual({ message: '[object Object]' })
    expect(describeThrown(undefined)).toEqual({ message: 'undefined' })
  })

  it('in a real process: a rejection is logged and it keeps running; a throw is logged with its stack and exits 1', () => {
    const script = (body: string): string => `
      import { installProcessCrashHandlers } from ${JSON.stringify(join(import.meta.dirname, '../../../../src/node/crash/processCrashHandlers.ts'))}
      installProcessCrashHandlers(process, { processName: 'probe', onUncaughtException: 'exit' })
      ${body}`
    const run = (body: string) => spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script(body)], { encoding: 'utf8', timeout: 30_000 })
    const rejected = run(`Promise.reject(new Error('nobody waits')); setTimeout(() => console.log('still running'), 50)`)
    expect(rejected.status).toBe(0)
    expect(rejected.stdout).toContain('still running')
    expect(rejected.stderr).toMatch(/"msg":"unhandled promise rejection".*nobody waits/)
    const thrown = run(`setTimeout(() => { throw new Error('boom in a timer') }, 10); setTimeout(() => console.log('never'), 500)`)
    expect(thrown.status).toBe(1)
    expect(thrown.stdout).not.toContain('never')
    expect(thrown.stderr).toMatch(/"msg":"uncaught exception: exiting".*boom in a timer.*"stack":"Error: boom in a timer\\n\s+at /)
  })
})

describe('stderrFallbackLogger', () => {
  it('one JSON object per line, with the child’s fields; a field that cannot be serialized still leaves the message', () => {
    const lines: string[] = []
    const logger = stderrFallbackLogger((l) => lines.push(l)).child({ process: 'app' })
    logger.warn('renderer gone', { reason: 'oom' })
    const cycle: Record<string, unknown> = {}
    cycle.self = cycle
    logger.error('odd', { cycle })
    expect(lines.map((l) => JSON.parse(l) as unknown)).toEqual([{ level: 'warn', msg: 'renderer gone', process: 'app', reason: 'oom' }, { level: 'error', msg: 'odd' }])
    expect(lines.every((l) => l.endsWith('}\n'))).toBe(true)
  })
})

import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { boundedLines, parseChildLogLine, relogChildLine } from '../../../../src/node/logging/childLogLines'
import { MemoryLogger } from '../../../helpers/memoryLogger'

describe('parseChildLogLine / relogChildLine', () => {
  it("re-logs a backend's pino line at its own level with its own fields (pino's bookkeeping dropped)", () => {
    const logger = new MemoryLogger()
    const backend = logger.child({ source: 'backend' })
    relogChildLine(JSON.stringify({ level: 'warn', time: '2026-12-06T16:00:00.000Z', name: 'backend', pid: 42, msg: 'uplink gap', sessionId: 's1', frames: 3 }), backend)
    relogChildLine(JSON.stringify({ level: 'debug', msg: 'tick' }), backend)
    relogChildLine(JSON.stringify({ level: 50, msg: 'numeric error' }), backend)
    relogChildLine(JSON.stringify({ level: 'fatal', msg: 'gone' }), backend)
    expect(logger.lines).toEqual([
      { level: 'warn', message: 'uplink gap', fields: { source: 'backend', sessionId: 's1', frames: 3 } },
      { level: 'debug', message: 'tick', fields: { source: 'backend' } },
      { level: 'error', message: 'numeric error', fields: { source: 'backend' } },
      { level: 'error', message: 'gone', fields: { source: 'backend' } }
    ])
  })

  it('a line that is not one of its JSON lines becomes a warning as it came, never a throw', () => {
    const logger = new MemoryLogger()
    for (const line of ['(node:12) Warning: something', '{"level":"info","msg":', '{"msg":"no level"}', '[1,2]', '{"level":"loud","msg":"x"}', '']) {
      expect(() => relogChildLine(line, logger)).not.toThrow()
    }
    expect(logger.lines.map((l) => l.level)).toEqual(['warn', 'warn', 'warn', 'warn', 'warn', 'warn'])
    expect(logger.lines[0]).toEqual({ level: 'warn', message: '(node:12) Warning: something', fields: { stream: 'stderr' } })
    expect(parseChildLogLine('{"level":"info","msg":').structured).toBe(false)
  })
})

describe('boundedLines', () => {
  it('splits chunks into lines across chunk borders, CRLF too, and gives a last line without a newline at the end', async () => {
    const stream = new PassThrough()
    const lines: string[] = []
    boundedLines(stream, (l) => lines.push(l))
    stream.write('one\ntw')
    stream.write('o\r\nthree')
    stream.end('\nfour')
    await new Promise((r) => stream.on('end', r))
    expect(lines).toEqual(['one', 'two', 'three', 'four'])
  })

  it('cuts a line longer than the bound and keeps the lines after it whole', async () => {
    const stream = new PassThrough()
    const lines: string[] = []
    boundedLines(stream, (l) => lines.push(l), 10)
    stream.write('x'.repeat(6))
    stream.write('y'.repeat(100_000))
    stream.end('z\nshort\n')
    await new Promise((r) => stream.on('end', r))
    expect(lines).toEqual(['xxxxxxyyyy … (cut)', 'short'])
  })
})

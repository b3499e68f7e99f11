import { mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it, vi } from 'vitest'
import { createFileLogger } from '../../../../src/node/logging/fileLogger'
import { appLogPath } from '../../../../src/node/logging/logFiles'

async function tempLogPath(): Promise<string> {
  return appLogPath(await mkdtemp(join(tmpdir(), 'va-filelog-')))
}

describe('createFileLogger', () => {
  it('makes the logs folder and writes one line per entry: time, level, message, fields (mode 0600)', async () => {
    const path = await tempLogPath()
    const logger = createFileLogger({ path })
    logger.info('backend ready', { workers: 1 })
    logger.warn('two\nlines')
    const lines = (await readFile(path, 'utf8')).trim().split('\n')
    expect(lines).toHaveLength(2)
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z info {2}backend ready \{"workers":1\}$/)
    expect(lines[1]).toMatch(/ warn {2}two\\nlines$/)
    if (process.platform !== 'win32') expect((await stat(path)).mode & 0o777).toBe(0o600)
  })

  it('drops lines below its level', async () => {
    const path = await tempLogPath()
    const logger = createFileLogger({ path, level: 'warn' })
    logger.debug('d')
    logger.info('i')
    logger.warn('w')
    logger.error('e')
    expect((await readFile(path, 'utf8')).trim().split('\n').map((l) => l.split(/\s+/)[1])).toEqual(['warn', 'error'])
  })

  it('a child adds its fields to every line', async () => {
    const path = await tempLogPath()
    const logger = createFileLogger({ path, level: 'debug' })
    logger.child({ source: 'backend' }).child({ sessionId: 's1' }).debug('turn ended', { turnId: 't1' })
    expect(await readFile(path, 'utf8')).toContain('debug turn ended {"source":"backend","sessionId":"s1","turnId":"t1"}')
  })

  it('redacts secret fields and tokens in text', async () => {
    const path = await tempLogPath()
    const logger = createFileLogger({ path })
    logger.child({ apiKey: 'sk-child-key' }).info('at http://127.0.0.1:9/?token=page-secret', { authorization: 'Bearer abc', url: 'ws://h/s?token=ws-secret' })
    const text = await readFile(path, 'utf8')
    for (const secret of ['sk-child-key', 'page-secret', 'Bearer abc', 'ws-secret']) expect(text).not.toContain(secret)
    expect(text).toContain('[redacted]')
  })

  it('rotates past its size: the full file becomes main.old.log and a new main.log begins', async () => {
    const path = await tempLogPath()
    const logger = createFileLogger({ path, maxSizeBytes: 2000 })
    for (let i = 0; i < 60; i++) logger.info(`line ${i} ${'x'.repeat(40)}`)
    const files = (await readdir(join(path, '..'))).sort()
    expect(files).toEqual(['main.log', 'main.old.log'])
    const current = await readFile(path, 'utf8')
    const old = await readFile(join(path, '..', 'main.old.log'), 'utf8')
    expect(Buffer.byteLength(current)).toBeLessThanOrEqual(2000 + 200)
    expect(current).toContain('line 59 ')
    // Nothing lost across the last rotation: the lines run on from the old file into the new one.
    const numbers = `${old}${current}`.trim().split('\n').map((l) => Number(/line (\d+) /.exec(l)![1]))
    expect(numbers).toEqual(numbers.map((_, i) => numbers[0]! + i))
    expect(numbers.at(-1)).toBe(59)
  })

  it('echoes to stderr (never stdout) at the console level when asked', async () => {
    const path = await tempLogPath()
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
    const stdout = vi.spyOn(process.stdout, 'write')
    try {
      const logger = createFileLogger({ path, console: 'warn' })
      logger.info('quiet')
      logger.warn('loud', { n: 1 })
      expect(stderr.mock.calls.map((c) => String(c[0]))).toEqual(['warn  loud {"n":1}\n'])
      expect(stdout.mock.calls.filter((c) => String(c[0]).includes('loud'))).toEqual([])
    } finally {
      stderr.mockRestore()
      stdout.mockRestore()
    }
    expect(await readFile(path, 'utf8')).toContain('info  quiet')
  })

  it('a log file that cannot be written (its folder is a file) loses its lines and never throws', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'va-filelog-'))
    await writeFile(join(dir, 'logs'), 'a file where the logs folder should be')
    // electron-log says once, on its own console, that it cannot write there.
    const logger = createFileLogger({ path: appLogPath(dir) })
    expect(() => {
      for (let i = 0; i < 5; i++) logger.error('lost', { i })
    }).not.toThrow()
    expect(await readFile(join(dir, 'logs'), 'utf8')).toBe('a file where the logs folder should be')
  })
})

import { mkdtemp, open, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { readFileTail } from '../../../../src/node/logging/fileTail'

describe('readFileTail', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'va-tail-'))
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('gives the last N lines, oldest first, with or without a final line break', async () => {
    const path = join(dir, 'a.log')
    await writeFile(path, Array.from({ length: 1000 }, (_, i) => `line ${i}`).join('\n') + '\n')
    const tail = await readFileTail(path, { maxLines: 200 })
    expect(tail.lines).toHaveLength(200)
    expect(tail.lines[0]).toBe('line 800')
    expect(tail.lines.at(-1)).toBe('line 999')
    expect(tail.note).toBeNull()
    await writeFile(path, 'one\r\ntwo\r\nthree')
    expect((await readFileTail(path, { maxLines: 2 })).lines).toEqual(['two', 'three'])
    expect((await readFileTail(path, { maxLines: 10 })).lines).toEqual(['one', 'two', 'three'])
  })

  it('reads only the end of a huge file: the bytes read stay under the bound', async () => {
    const path = join(dir, 'huge.log')
    // 64 MiB of zeros (sparse) and then 300 real lines: only the end is read.
    const handle = await open(path, 'w')
    await handle.truncate(64 * 1024 * 1024)
    await handle.write(Array.from({ length: 300 }, (_, i) => `entry ${i}`).join('\n') + '\n', 64 * 1024 * 1024)
    await handle.close()
    const tail = await readFileTail(path, { maxLines: 200 })
    expect(tail.lines[0]).toBe('entry 100')
    expect(tail.lines.at(-1)).toBe('entry 299')
    expect(tail.bytesRead).toBeLessThanOrEqual(128 * 1024)
  })

  it('a runaway line is cut, and without line breaks in the last maxBytes it says only the end was read', async () => {
    const path = join(dir, 'long.log')
    await writeFile(path, 'start\n' + 'x'.repeat(3 * 1024 * 1024) + '\nlast\n')
    const tail = await readFileTail(path, { maxLines: 200, maxBytes: 256 * 1024, maxLineChars: 100 })
    expect(tail.bytesRead).toBe(256 * 1024)
    expect(tail.lines).toEqual(['last']) // the piece of the runaway line it started in is dropped
    expect(tail.note).toBe(`only the last ${256 * 1024} bytes of the log were read`)
    await writeFile(path, 'a\n' + 'y'.repeat(5000) + '\nb\n')
    expect((await readFileTail(path, { maxLines: 200, maxLineChars: 100 })).lines).toEqual(['a', `${'y'.repeat(100)}… (4900 more characters)`, 'b'])
  })

  it('a missing, empty or unreadable file gives no lines and says why', async () => {
    expect(await readFileTail(join(dir, 'none.log'), { maxLines: 5 })).toEqual({ lines: [], note: `no log file yet (${join(dir, 'none.log')})`, bytesRead: 0 })
    await writeFile(join(dir, 'empty.log'), '')
    expect((await readFileTail(join(dir, 'empty.log'), { maxLines: 5 })).note).toMatch(/empty/)
    const tail = await readFileTail(dir, { maxLines: 5 }) // a directory
    expect(tail.lines).toEqual([])
    expect(tail.note).toMatch(/^cannot read /)
  })
})

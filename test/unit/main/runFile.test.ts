import { chmod, mkdtemp, readFile, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { processAlive, readRunFile, removeRunFile, RUN_FILE_NAME, runFilePath, writeRunFile } from '../../../src/main/runFile'

const info = { version: 1 as const, pid: process.pid, port: 40123, token: 'abcdefghijklmnopqrstuvwx', startedAt: 1_700_000_000_000 }

describe('runFilePath', () => {
  it('a profile folder wins, then $XDG_RUNTIME_DIR, then the user data folder', () => {
    expect(runFilePath({ VOICE_ASSISTANT_USER_DATA: '/p', XDG_RUNTIME_DIR: '/run/user/1000' })).toBe(join('/p', RUN_FILE_NAME))
    expect(runFilePath({ XDG_RUNTIME_DIR: '/run/user/1000', HOME: '/h' })).toBe(join('/run/user/1000', 'voice-assistant', RUN_FILE_NAME))
    expect(runFilePath({ XDG_CONFIG_HOME: '/h/.config' })).toMatch(/Voice Assistant[/\\]browser-mode\.json$/)
  })
})

describe('run file', () => {
  it('is written with mode 0600 in a 0700 folder and read back as running while its process lives', async () => {
    const dir = join(await mkdtemp(join(tmpdir(), 'va-run-')), 'voice-assistant')
    const path = join(dir, RUN_FILE_NAME)
    await writeRunFile(path, info)
    if (process.platform !== 'win32') {
      expect((await stat(path)).mode & 0o777).toBe(0o600)
      expect((await stat(dir)).mode & 0o777).toBe(0o700)
    }
    expect(await readRunFile(path)).toEqual({ state: 'running', path, info })
    expect(await readRunFile(path, () => false)).toEqual({ state: 'stale', path, info })
  })

  it('missing, malformed, too wide open or of the wrong shape is reported, never used', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'va-run-'))
    const path = join(dir, RUN_FILE_NAME)
    expect(await readRunFile(path)).toEqual({ state: 'missing', path })
    await writeFile(path, '{"version":1,', { mode: 0o600 })
    expect(await readRunFile(path)).toMatchObject({ state: 'invalid', reason: expect.stringMatching(/^it is not valid JSON/) })
    await writeFile(path, JSON.stringify({ ...info, token: 'short', extra: 1 }), { mode: 0o600 })
    const wrong = await readRunFile(path)
    expect(wrong.state).toBe('invalid')
    expect(wrong.state === 'invalid' && wrong.reason).toMatch(/token/)
    if (process.platform !== 'win32') {
      await writeFile(path, JSON.stringify(info))
      await chmod(path, 0o666)
      expect(await readRunFile(path)).toEqual({ state: 'invalid', path, reason: 'others may write it (mode 666)' })
    }
    await expect(writeRunFile(path, { ...info, port: 0 })).rejects.toThrow()
  })

  it('is removed only by the process that wrote it', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'va-run-')), RUN_FILE_NAME)
    await writeRunFile(path, { ...info, pid: 999_999_999 })
    await removeRunFile(path)
    expect(JSON.parse(await readFile(path, 'utf8')).pid).toBe(999_999_999) // a newer instance's file stays
    await writeRunFile(path, info)
    await removeRunFile(path)
    expect(await readRunFile(path)).toEqual({ state: 'missing', path })
  })

  it('processAlive tells a live process from a gone one', () => {
    expect(processAlive(process.pid)).toBe(true)
    expect(processAlive(999_999_999)).toBe(false)
  })
})

import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeEach, describe, expect, it } from 'vitest'
import { SettingsSaveError, SettingsStore } from '../../../../src/main/services/settingsStore'
import { defaultSettings } from '../../../../src/shared/contract/settings'

describe('SettingsStore', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'va-settings-'))
  })

  it('starts from defaults when there is no file, and persists updates atomically', async () => {
    const store = new SettingsStore(dir)
    expect((await store.load()).settings).toEqual(defaultSettings())
    await store.update({ audio: { echoCancellation: false } })
    const onDisk = JSON.parse(await readFile(store.file, 'utf8'))
    expect(onDisk.audio.echoCancellation).toBe(false)
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([])
    const again = new SettingsStore(dir)
    expect((await again.load()).settings.audio.echoCancellation).toBe(false)
  })

  it('backs up a corrupt file, uses defaults and says where the backup is', async () => {
    const store = new SettingsStore(dir)
    await writeFile(store.file, '{"version": 1, "audio": ', 'utf8')
    const report = await store.load()
    expect(report.settings).toEqual(defaultSettings())
    expect(report.notices[0]).toMatch(/not valid JSON.*saved as .*settings\.json\.corrupt-/)
    const files = await readdir(dir)
    const backup = files.find((f) => f.startsWith('settings.json.corrupt-'))
    expect(backup).toBeDefined()
    expect(await readFile(join(dir, backup!), 'utf8')).toBe('{"version": 1, "audio": ')
    expect(JSON.parse(await readFile(store.file, 'utf8'))).toEqual(defaultSettings())
  })

  it('backs up a file from a newer app version instead of overwriting it silently', async () => {
    const store = new SettingsStore(dir)
    await writeFile(store.file, JSON.stringify({ version: 99 }), 'utf8')
    const report = await store.load()
    expect(report.notices[0]).toMatch(/newer version/)
    expect((await readdir(dir)).some((f) => f.startsWith('settings.json.corrupt-'))).toBe(true)
  })

  it('migrates and rewrites an old file, keeping the user’s choices', async () => {
    const store = new SettingsStore(dir)
    await writeFile(store.file, JSON.stringify({ backendUrl: 'ws://10.0.0.2:4443/signaling' }), 'utf8')
    const report = await store.load()
    expect(report.settings.backend).toEqual({ mode: 'remote', remoteUrl: 'ws://10.0.0.2:4443/signaling', remoteUrls: ['ws://10.0.0.2:4443/signaling'] })
    expect(report.notices).toContain('settings were upgraded from v0')
    expect(JSON.parse(await readFile(store.file, 'utf8')).version).toBe(1)
  })

  it('a rejected update changes nothing in memory or on disk', async () => {
    const store = new SettingsStore(dir)
    await store.load()
    await store.update({ ui: { theme: 'dark' } })
    const before = await readFile(store.file, 'utf8')
    // Bypass the patch schema on purpose: the store validates the merged whole too.
    await expect(store.update({ ui: { theme: 'neon' as 'dark' } })).rejects.toThrow()
    expect(store.get().ui.theme).toBe('dark')
    expect(await readFile(store.file, 'utf8')).toBe(before)
  })

  it('serializes concurrent updates; the last one wins and nothing is lost', async () => {
    const store = new SettingsStore(dir)
    await store.load()
    await Promise.all([store.update({ ui: { theme: 'dark' } }), store.update({ audio: { noiseSuppression: false } })])
    const onDisk = JSON.parse(await readFile(store.file, 'utf8'))
    expect(onDisk.audio.noiseSuppression).toBe(false)
    expect(onDisk.ui.theme).toBe('dark')
    expect(store.get()).toEqual(onDisk)
  })

  it('settings.json that is a directory: defaults in memory with a notice; a save says what is wrong', async () => {
    const store = new SettingsStore(dir)
    await mkdir(store.file)
    const report = await store.load()
    expect(report.settings).toEqual(defaultSettings())
    expect(report.notices[0]).toMatch(/cannot read the settings file: .*settings\.json is a directory, not a file \(EISDIR\).*default settings are in use/)
    const failed = await store.update({ ui: { theme: 'dark' } }).catch((e: unknown) => e)
    expect(failed).toBeInstanceOf(SettingsSaveError)
    expect(failed).toMatchObject({ code: 'EISDIR' })
    expect(store.get().ui.theme).toBe(defaultSettings().ui.theme)
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]) // the temp file is cleaned up
  })
})

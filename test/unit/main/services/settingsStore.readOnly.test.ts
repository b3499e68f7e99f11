import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { defaultSettings } from '../../../../src/shared/contract/settings'
import { readOnlyFolderUnavailableReason, runWithReadOnlyFolder } from '../../../helpers/readOnlyFolder'

const skip = readOnlyFolderUnavailableReason()
if (skip) console.warn(`read-only settings folder tests skipped: ${skip}`)
const probe = join(import.meta.dirname, '..', '..', '..', 'helpers', 'settingsReadOnlyProbe.ts')

function run(files: Record<string, string>) {
  const result = runWithReadOnlyFolder(files, probe)
  const line = result.stdout.trim().split('\n').at(-1)
  if (result.status !== 0 || !line) throw new Error(`probe failed (${result.status}): ${result.stderr}`)
  return JSON.parse(line) as { notices: string[]; settings: ReturnType<typeof defaultSettings>; update: { ok: boolean; error?: { code: string; message: string } } }
}

/** A real read-only folder (tmpfs remounted ro in a private mount namespace): EROFS on every write. */
describe.skipIf(skip)('the app on a read-only settings folder (real EROFS)', () => {
  it('a corrupt file there: defaults in memory with a notice, the app keeps running, a save says EROFS (not invalid_params)', { timeout: 60_000 }, () => {
    const out = run({ 'settings.json': '{"version": 1, "audio": ' })
    expect(out.settings).toEqual(defaultSettings())
    expect(out.notices.join('\n')).toMatch(/not valid JSON.*could not be moved aside \(the settings folder .* is on a read-only file system \(EROFS\)\).*default settings are in use and changes will not be saved/s)
    expect(out.update.ok).toBe(false)
    expect(out.update.error?.code).toBe('storage_error')
    expect(out.update.error?.message).toMatch(/settings not saved: cannot save settings: the settings folder .* is on a read-only file system \(EROFS\)/)
  })

  it('an old file there: the upgraded settings are used in memory, with a notice that they could not be saved', { timeout: 60_000 }, () => {
    const out = run({ 'settings.json': JSON.stringify({ backendUrl: 'ws://10.0.0.2:4443/signaling' }) })
    expect(out.settings.backend.remoteUrl).toBe('ws://10.0.0.2:4443/signaling')
    expect(out.notices.join('\n')).toMatch(/upgraded settings are in use but could not be saved: .*EROFS/)
  })
})

import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startOfflineCore } from '../../../helpers/offlineCore'

/** How AppCore reports settings it cannot read or save (see settingsStore.readOnly.test.ts for a real EROFS). */
describe('AppCore: settings storage errors', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'va-core-settings-'))
  })
  afterEach(() => rm(dir, { recursive: true, force: true }))

  it('settings.json is a directory: the app starts, shows the notice, and answers a save with storage_error (a bad value still gets invalid_params)', async () => {
    await mkdir(join(dir, 'settings.json'))
    const core = await startOfflineCore({ userDataDir: dir })
    try {
      expect(core.drainNotices().map((n) => n.message).join('\n')).toMatch(/is a directory, not a file/)
      const saved = await core.dispatch('updateSettings', { ui: { theme: 'dark' } })
      expect(saved).toMatchObject({ ok: false, error: { code: 'storage_error' } })
      const bad = await core.dispatch('updateSettings', { ui: { theme: 'neon' } } as never)
      expect(bad).toMatchObject({ ok: false, error: { code: 'invalid_params' } })
    } finally {
      await core.stop()
    }
  })
})

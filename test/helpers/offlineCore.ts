import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AppInfo } from '../../src/shared/contract/api'
import { AppCore, type AppCoreOptions } from '../../src/main/services/appCore'

/**
 * A started AppCore with settings in a fresh temp folder and no backend (nothing is spawned, no network is used):
 * for tests of the api, settings and secrets.
 */
export async function startOfflineCore(
  opts: { appInfo?: Partial<AppInfo>; userDataDir?: string; secretsCipher?: AppCoreOptions['secretsCipher']; extra?: Pick<AppCoreOptions, 'modelCatalogPath' | 'chooseModelSource' | 'logger'> } = {}
): Promise<AppCore> {
  const core = new AppCore({
    appInfo: { name: 'Voice Assistant', version: '0', mode: 'browser', platform: 'linux', modeReason: null, ...opts.appInfo },
    userDataDir: opts.userDataDir ?? (await mkdtemp(join(tmpdir(), 'va-core-'))),
    backendCommand: { command: 'none', args: [] },
    wsFactory: () => {
      throw new Error('this test core has no backend')
    },
    autoStartBackend: false,
    secretsCipher: opts.secretsCipher,
    ...opts.extra
  })
  await core.start()
  return core
}

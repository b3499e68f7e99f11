import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import WebSocket from 'ws'
import { startBrowserMode, type BrowserModeServer } from '../../src/main/browserMode'
import { AppCore } from '../../src/main/services/appCore'
import { browserModeOrigins, resolveBackendCommand } from '../../src/main/services/backendCommand'
import type { WebSocketLike } from '../../src/shared/signalingClient'
import type { SecretCipher } from '../../src/main/services/secretsStore'

export const repoRoot = join(import.meta.dirname, '..', '..')
export const rendererDir = join(repoRoot, 'out', 'renderer')

export interface BrowserApp {
  core: AppCore
  server: BrowserModeServer
  userDataDir: string
  close(): Promise<void>
}

/**
 * The app in browser mode, in-process: the real AppCore (settings on disk in a temp folder, the embedded backend as
 * a child process run through tsx) behind the real loopback HTTP/WebSocket server serving the built renderer.
 */
export async function startBrowserApp(opts: { userDataDir?: string; autoStartBackend?: boolean; secretsCipher?: SecretCipher } = {}): Promise<BrowserApp> {
  const userDataDir = opts.userDataDir ?? (await mkdtemp(join(tmpdir(), 'va-e2e-')))
  let pageOrigins: string[] = []
  const core = new AppCore({
    appInfo: { name: 'Voice Assistant', version: '0.0.0-test', mode: 'browser', platform: process.platform, modeReason: 'end-to-end test' },
    userDataDir,
    backendCommand: resolveBackendCommand({ moduleDir: join(repoRoot, 'src', 'main', 'services'), appRoot: repoRoot, execPath: process.execPath, isElectron: false, appOrigins: () => pageOrigins }),
    wsFactory: (url) => new WebSocket(url) as unknown as WebSocketLike,
    autoStartBackend: opts.autoStartBackend,
    secretsCipher: opts.secretsCipher,
    log: () => undefined
  })
  // As browserMain: listen first, so the embedded backend knows the page origin it must accept.
  const server = await startBrowserMode({ core, rendererDir })
  pageOrigins = browserModeOrigins(server.port)
  await core.start()
  return {
    core,
    server,
    userDataDir,
    close: async () => {
      await server.close()
      await core.stop()
    }
  }
}

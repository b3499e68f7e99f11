import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import WebSocket from 'ws'
import { startBrowserMode, type BrowserModeServer } from '../../src/main/browserMode'
import { AppCore } from '../../src/main/services/appCore'
import { browserModeOrigins, resolveBackendCommand } from '../../src/main/services/backendCommand'
import type { WebSocketLike } from '../../src/shared/signalingClient'
import type { SecretCipher } from '../../src/main/services/secretsStore'
import { wirePushToTalk } from '../../src/main/hotkeys/pushToTalkHotkey'
import { toHotkeyPlatform } from '../../src/shared/hotkeys/accelerator'
import type { Logger } from '../../src/shared/logging/logger'
import type { SettingsPatch } from '../../src/shared/contract/settings'

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
 * a child process run through tsx) behind the real loopback HTTP/WebSocket server serving the built renderer. The
 * talk key is wired as browser mode wires it, without a global key source (no key hook or portal in a test
 * process): the window's talk button and `talkCommand` drive the same push-to-talk machine. `modelCatalogPath`: a
 * catalog of generated models (the first-run setup tests).
 */
export async function startBrowserApp(opts: { userDataDir?: string; autoStartBackend?: boolean; secretsCipher?: SecretCipher; modelCatalogPath?: string; logger?: Logger } = {}): Promise<BrowserApp> {
  const userDataDir = opts.userDataDir ?? (await mkdtemp(join(tmpdir(), 'va-e2e-')))
  let pageOrigins: string[] = []
  const core = new AppCore({
    appInfo: { name: 'Voice Assistant', version: '0.0.0-test', mode: 'browser', platform: process.platform, modeReason: 'end-to-end test' },
    userDataDir,
    backendCommand: resolveBackendCommand({ moduleDir: join(repoRoot, 'src', 'main', 'services'), appRoot: repoRoot, execPath: process.execPath, isElectron: false, appOrigins: () => pageOrigins }),
    wsFactory: (url) => new WebSocket(url) as unknown as WebSocketLike,
    autoStartBackend: opts.autoStartBackend,
    secretsCipher: opts.secretsCipher,
    modelCatalogPath: opts.modelCatalogPath,
    logger: opts.logger
  })
  // As browserMain: listen first, so the embedded backend knows the page origin it must accept.
  const server = await startBrowserMode({ core, rendererDir })
  pageOrigins = browserModeOrigins(server.port)
  await core.start()
  const talkKey = wirePushToTalk(core, { loadUiohook: async () => null, platform: toHotkeyPlatform(process.platform), cliBinding: 'npm run talk -- --toggle' })
  core.talkKey = talkKey
  return {
    core,
    server,
    userDataDir,
    close: async () => {
      talkKey.dispose()
      await server.close()
      await core.stop()
    }
  }
}

/**
 * Hands-free (the fake mic talks and the app's VAD hears it; push-to-talk would wait for the talk key), with speech to
 * text and the LLM at an OpenAI-compatible stub on loopback and its key stored: what a spoken-turn e2e needs.
 */
export async function useStubProviders(app: BrowserApp, stub: { baseUrl: string; apiKey: string }, settings: Pick<SettingsPatch, 'backend' | 'listening'> = {}): Promise<void> {
  await app.core.settings.update({
    ...(settings.backend ? { backend: settings.backend } : {}),
    listening: { mode: 'hands-free', ...settings.listening },
    providers: {
      stt: { provider: 'openai', model: 'whisper-1', baseUrl: stub.baseUrl },
      llm: { provider: 'openai', model: 'stub-chat', baseUrl: stub.baseUrl }
    }
  })
  await app.core.secrets.set('stt.apiKey', stub.apiKey)
  await app.core.secrets.set('llm.apiKey', stub.apiKey)
}

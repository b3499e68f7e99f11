import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { platform } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import WebSocket from 'ws'
import { startBrowserMode } from './browserMode'
import { browserModeOrigins, findAppRoot, resolveBackendCommand } from './services/backendCommand'
import { AppCore } from './services/appCore'
import vadWorkerPath from './services/vad/vadWorker?modulePath'
import sttWorkerPath from '../node/stt/sttWorker?modulePath'
import { fileKeyCipher, SECRETS_KEY_FILE_ENV } from './services/secretsStore'
import { defaultUserDataDir } from '../node/userData'
import type { WebSocketLike } from '../shared/signalingClient'
import { toHotkeyPlatform } from '../shared/hotkeys/accelerator'
import { loadUiohookNapi, wirePushToTalk } from './hotkeys/pushToTalkHotkey'
import { openGlobalShortcutsPortal } from './hotkeys/globalShortcutsPortal'
import { parseTalkArgv, talkCliBinding } from './hotkeys/talkCommand'
import { removeRunFile, runFilePath, writeRunFile } from './runFile'
import { runTalkCli } from './talkClient'
import { numberOption, parseCli, parseOrExit, UsageError } from '../node/cli'
import { parseDevServerUrl } from './devRendererProxy'
import { installProcessCrashHandlers } from '../node/crash/processCrashHandlers'
import { createFileLogger } from '../node/logging/fileLogger'
import { appLogPath } from '../node/logging/logFiles'
import { isLogLevel } from '../shared/logging/logger'

/**
 * Browser mode entry (`npm start` when no Electron binary is installed): the same services as the desktop app,
 * reachable from a browser tab on loopback. Flags: --port <n>, --no-open, --dev-server <url> (`npm run dev`: the
 * renderer from that Vite dev server, with hot reload), --log-level debug|info|warn|error (strict: an unknown flag
 * exits 2 naming these). stdout carries what the user needs (the URL); diagnostics go to the log file
 * <userData>/logs/main.log and to stderr.
 */
async function main(): Promise<void> {
  // Browser mode is a plain Node process: after an uncaught exception it exits (Node's own behaviour, now logged with
  // its stack); the page says the app services are unreachable and `npm start` runs it again.
  const uninstallEarlyCrashHandlers = installProcessCrashHandlers(process, { processName: 'browser-mode', onUncaughtException: 'exit' })
  const args = process.argv.slice(2)
  // `npm start -- --toggle` (any talk flag): a command for the running instance, found through its run file.
  const talk = parseTalkArgv(args)
  if (!talk.ok || talk.command) {
    if (!talk.ok) console.error(`voice-assistant: ${talk.error}`)
    process.exit(talk.ok ? await runTalkCli([`--${talk.command}`], process.env, console.log, console.error) : 2)
  }
  const { port, noOpen, devServer, level } = parseOrExit('voice-assistant', () => {
    const { values } = parseCli(args, {
      options: {
        port: { type: 'string' },
        'no-open': { type: 'boolean' },
        'dev-server': { type: 'string' },
        'log-level': { type: 'string' },
        // The talk flags are handled above; listed so the strict parse knows them.
        toggle: { type: 'boolean' },
        'talk-start': { type: 'boolean' },
        'talk-stop': { type: 'boolean' },
        cancel: { type: 'boolean' },
        show: { type: 'boolean' }
      }
    })
    const devServer = values['dev-server']
    if (devServer !== undefined && parseDevServerUrl(devServer) instanceof Error) throw new UsageError(`--dev-server: ${(parseDevServerUrl(devServer) as Error).message}`)
    const level = values['log-level'] ?? 'info'
    if (!isLogLevel(level)) throw new UsageError(`--log-level expects debug, info, warn or error, got ${JSON.stringify(level)}`)
    return { port: numberOption('--port', values.port, 0, { min: 0, max: 65535, integer: true }), noOpen: values['no-open'] === true || process.env.CI === 'true', devServer, level }
  })
  const moduleDir = dirname(fileURLToPath(import.meta.url))
  const appRoot = findAppRoot(moduleDir)
  const rendererDir = join(moduleDir, '..', 'renderer')
  if (!devServer && !existsSync(join(rendererDir, 'index.html'))) {
    console.error(`The renderer is not built (${rendererDir} is missing): run npm run build`)
    process.exit(1)
  }
  const pkg = (await import(join(appRoot, 'package.json'), { with: { type: 'json' } })) as { default: { version: string; productName: string } }
  const userDataDir = defaultUserDataDir()
  const logger = createFileLogger({ path: appLogPath(userDataDir), level, console: level })
  // From here on a crash is reported into the log file too.
  uninstallEarlyCrashHandlers()
  installProcessCrashHandlers(process, { processName: 'browser-mode', onUncaughtException: 'exit', logger })
  logger.info('app starting', { mode: 'browser', version: pkg.default.version, node: process.versions.node, platform: platform(), reason: process.env.VOICE_BROWSER_MODE_REASON ?? null })
  let pageOrigins: string[] = []
  const core = new AppCore({
    appInfo: {
      name: pkg.default.productName,
      version: pkg.default.version,
      mode: 'browser',
      platform: platform(),
      modeReason: process.env.VOICE_BROWSER_MODE_REASON ?? 'started in browser mode'
    },
    userDataDir,
    // The embedded backend accepts signaling only from this server's own pages (known once it listens, below).
    backendCommand: resolveBackendCommand({ moduleDir, appRoot, execPath: process.execPath, isElectron: false, appOrigins: () => pageOrigins, logLevel: level }),
    wsFactory: (url) => new WebSocket(url) as unknown as WebSocketLike,
    vadWorkerPath,
    sttWorkerPath,
    // No OS keychain here: API keys are refused unless the user opted into a key file (see secretsStore.ts).
    secretsCipher: process.env[SECRETS_KEY_FILE_ENV] ? await fileKeyCipher(process.env[SECRETS_KEY_FILE_ENV]) : undefined,
    logger
  })
  // Listen first, so the backend that core.start() launches knows this page's origin. Nobody can use the api before
  // the URL with its token is printed below.
  const server = await startBrowserMode({ core, rendererDir, port, devServerUrl: devServer, logger: logger.child({ part: 'browser-mode' }) })
  pageOrigins = browserModeOrigins(server.port)
  await core.start()
  // The URL carries the per-run token: it goes to stdout for the user to open, never into the log.
  console.log(`Voice Assistant (browser mode) is at ${server.url}`)
  logger.info('browser mode listening', { port: server.port })
  if (!noOpen) openInBrowser(server.url)
  // The talk key in Node: the global key hook (X11) or the GlobalShortcuts portal (Wayland); there is no press-only
  // globalShortcut here. The run file lets `npm run talk -- --toggle` reach these services.
  const waylandSession = process.platform === 'linux' && process.env.XDG_SESSION_TYPE === 'wayland'
  const talkKey = wirePushToTalk(core, {
    loadUiohook: loadUiohookNapi,
    openPortal: waylandSession ? (request) => openGlobalShortcutsPortal({ ...request, logger: logger.child({ part: 'hotkeys' }) }) : undefined,
    platform: toHotkeyPlatform(platform()),
    waylandSession,
    cliBinding: talkCliBinding({ mode: 'browser', appRoot }),
    // The URL with its token is for the user at this terminal (stdout), not for the log.
    showWindow: () => (noOpen ? console.log(`talk: --show: open ${server.url}`) : openInBrowser(server.url)),
    onStatus: (status) => core.events.emit('talkKeyStatus', status),
    logger: logger.child({ part: 'hotkeys' })
  })
  core.talkKey = talkKey
  const runFile = runFilePath()
  await writeRunFile(runFile, { version: 1, pid: process.pid, port: server.port, token: server.token, startedAt: Date.now() })
  const shutdown = (): void => {
    talkKey.dispose()
    void Promise.all([removeRunFile(runFile), server.close(), core.stop()]).finally(() => process.exit(0))
  }
  process.on('SIGINT', shutdown)
  process.on('SIGTERM', shutdown)
}

function openInBrowser(url: string): void {
  if (!process.env.DISPLAY && !process.env.WAYLAND_DISPLAY && platform() === 'linux') {
    console.log('No display found: open the URL above in Chromium or Chrome yourself.')
    return
  }
  const candidates = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome']
  const browser = candidates.find((c) => existsSync(c))
  if (!browser) {
    console.log('Chromium was not found (apt-get install chromium): open the URL above in a Chromium-based browser.')
    return
  }
  spawn(browser, [`--app=${url}`], { detached: true, stdio: 'ignore' }).unref()
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error)
  process.exit(1)
})

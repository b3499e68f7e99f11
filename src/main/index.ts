import { app, BrowserWindow, clipboard, crashReporter, dialog, globalShortcut, ipcMain, nativeTheme, protocol, safeStorage, session, shell } from 'electron'
import { platform } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import WebSocket from 'ws'
import { IPC_EVENT_CHANNEL } from '../shared/contract/api'
import type { WebSocketLike } from '../shared/signalingClient'
import { forwardEvents, registerIpc } from './electron/ipc'
import { registerCaptureAudioPort } from './electron/captureAudioPort'
import { loadUiohookNapi, wirePushToTalk } from './hotkeys/pushToTalkHotkey'
import { parseTalkArgv, talkCliBinding } from './hotkeys/talkCommand'
import { openGlobalShortcutsPortal } from './hotkeys/globalShortcutsPortal'
import { secondInstanceDataSchema } from '../shared/contract/talk'
import { wireGlobalHotkeys } from './hotkeys/globalHotkeys'
import { toHotkeyPlatform } from '../shared/hotkeys/accelerator'
import { safeStorageCipher } from './electron/safeStorageCipher'
import { handleAppProtocol, registerAppSchemePrivileged } from './appProtocol/electronProtocol'
import { rendererCspFor } from '../shared/security'
import { hardenWebContents, installSessionSecurity } from './electron/hardening'
import { APP_INDEX_URL } from './appProtocol/appUrl'
import { installStatusPill } from './tray/electronStatusPill'
import { installTray } from './tray/electronTray'
import { iconsDir } from '../node/resourcePaths'
import { launchedHidden, loginItemSettings } from './tray/desktopShell'
import { originOf, rendererBaseOf, secureWebPreferences } from './securityPolicy'
import { AppCore } from './services/appCore'
import vadWorkerPath from './services/vad/vadWorker?modulePath'
import sttWorkerPath from '../node/stt/sttWorker?modulePath'
import { findAppRoot, resolveBackendCommand } from './services/backendCommand'
import { installProcessCrashHandlers } from '../node/crash/processCrashHandlers'
import { installElectronCrashCapture } from './crash/electronCrashCapture'
import { createFileLogger } from '../node/logging/fileLogger'
import { appLogPath } from '../node/logging/logFiles'
import { logLevelFromArgv } from '../node/logging/logLevelArg'

/** Electron entry: thin glue around AppCore; every decision lives in tested modules. */
const moduleDir = dirname(fileURLToPath(import.meta.url))
// `--log-level debug|info|warn|error` (default info): the log file <userData>/logs/main.log (also on stderr) and the
// embedded backend's lines, re-logged into it.
const logLevel = logLevelFromArgv(process.argv)
if (!logLevel.ok) {
  console.error(`voice-assistant: ${logLevel.error}`)
  process.exit(2)
}
const level = logLevel.level ?? 'info'
const logger = createFileLogger({ path: appLogPath(app.getPath('userData')), level, console: level })

// Crash capture first, so a crash during start-up is caught too: local crash dumps, a reloaded window, logged
// helper-process deaths. An uncaught exception is logged and the app goes on (Electron's own default, without its
// dialog): exiting would take the window, the tray and the conversation with it.
const crashLogger = logger.child({ process: 'app' })
const crashNotices: { emit: ((notice: { level: 'warning' | 'error'; message: string }) => void) | null } = { emit: null }
installProcessCrashHandlers(process, { processName: 'app', onUncaughtException: 'continue', logger: crashLogger })
installElectronCrashCapture({ app, crashReporter }, { logger: crashLogger, notify: (notice) => crashNotices.emit?.(notice) })

// app:// must be registered as a privileged (secure, standard) scheme before the app is ready.
registerAppSchemePrivileged(protocol)

// `voice-assistant --toggle` (and the other talk flags): a second instance hands the command to the running one
// through the single-instance lock and quits; the first instance's second-instance handler carries it out.
const ownTalk = parseTalkArgv(process.argv)
if (!ownTalk.ok) {
  console.error(`voice-assistant: ${ownTalk.error}`)
  process.exit(2)
}
if (!app.requestSingleInstanceLock({ talkCommand: ownTalk.command })) {
  app.quit()
} else {
  logger.info('app starting', { mode: 'electron', version: app.getVersion(), electron: process.versions.electron, platform: platform() })
  if (ownTalk.command && ownTalk.command !== 'show') logger.info('talk command for a running instance, but none was running: the app starts', { command: ownTalk.command })
  void app.whenReady().then(start)
}

async function start(): Promise<void> {
  // Pages come from app://bundle/ (only the built renderer is reachable there), or the dev server in development.
  const indexUrl = process.env.ELECTRON_RENDERER_URL ?? APP_INDEX_URL
  if (!process.env.ELECTRON_RENDERER_URL) handleAppProtocol(protocol, join(moduleDir, '..', 'renderer'))
  const rendererBase = rendererBaseOf(indexUrl)
  const appRoot = findAppRoot(moduleDir)
  const core = new AppCore({
    appInfo: { name: app.getName(), version: app.getVersion(), mode: 'electron', platform: platform(), modeReason: null },
    userDataDir: app.getPath('userData'),
    // The embedded backend accepts signaling only from this origin's pages (and the main process, which sends none).
    backendCommand: resolveBackendCommand({ moduleDir, appRoot, execPath: process.execPath, isElectron: true, appOrigins: () => [originOf(new URL(indexUrl))], logLevel: level }),
    wsFactory: (url) => new WebSocket(url) as unknown as WebSocketLike,
    secretsCipher: safeStorageCipher(safeStorage, platform()),
    vadWorkerPath,
    sttWorkerPath,
    // "Copy diagnostics" puts its text on the clipboard from here (the sandboxed page has no clipboard of its own).
    writeClipboard: (text) => clipboard.writeText(text),
    // The first-run setup's "import from a folder or archive" (offline machines).
    chooseModelSource: async (kind) => {
      const parent = BrowserWindow.getFocusedWindow()
      const options: Electron.OpenDialogOptions = {
        title: kind === 'folder' ? 'Folder holding the model files' : 'Model archive (.tar or .tar.gz)',
        properties: [kind === 'folder' ? 'openDirectory' : 'openFile'],
        filters: kind === 'archive' ? [{ name: 'Archives', extensions: ['tar', 'gz', 'tgz'] }] : undefined
      }
      const chosen = parent ? await dialog.showOpenDialog(parent, options) : await dialog.showOpenDialog(options)
      return chosen.canceled ? null : (chosen.filePaths[0] ?? null)
    },
    logger
  })
  crashNotices.emit = (notice) => core.events.emit('notice', notice)

  // Security checklist wiring (src/main/electron/hardening.ts; tested in test/unit/security).
  // `npm run dev` (electron-vite dev): the React refresh preamble needs the dev policy; built and packaged: strict.
  installSessionSecurity(session.defaultSession, rendererBase, rendererCspFor({ devServerUrl: process.env.ELECTRON_RENDERER_URL, packaged: app.isPackaged }))
  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents, rendererBase, (url) => void shell.openExternal(url)))

  registerIpc(ipcMain, core, rendererBase, logger.child({ part: 'ipc' }))
  registerCaptureAudioPort(ipcMain, core, rendererBase, logger.child({ part: 'ipc' }))
  await core.start()

  // The theme setting drives the native theme (menus, dialogs, the page's prefers-color-scheme) and the window's
  // background (what shows before the page paints), the same colours as the page's --bg.
  const windowBackground = (): string => (nativeTheme.shouldUseDarkColors ? '#0f1115' : '#f4f6fa')
  nativeTheme.themeSource = core.settings.get().ui.theme
  const win = new BrowserWindow({
    width: 1100,
    height: 760,
    minWidth: 560,
    minHeight: 520,
    show: false,
    title: 'Voice Assistant',
    backgroundColor: windowBackground(),
    webPreferences: secureWebPreferences(join(moduleDir, '..', 'preload', 'index.cjs'))
  })
  const stopForwarding = forwardEvents(core, win.webContents)
  win.webContents.on('did-finish-load', () => {
    for (const notice of core.drainNotices()) win.webContents.send(IPC_EVENT_CHANNEL, { event: 'notice', payload: notice })
  })
  // Launched at login: stay in the tray until the user opens the window.
  const startHidden = launchedHidden(process.argv, process.platform === 'darwin' && app.getLoginItemSettings().wasOpenedAtLogin)
  win.once('ready-to-show', () => {
    if (!startHidden) win.show()
  })
  win.on('closed', stopForwarding)
  core.events.on('settingsChanged', (settings) => {
    nativeTheme.themeSource = settings.ui.theme
  })
  nativeTheme.on('updated', () => win.setBackgroundColor(windowBackground()))
  await win.loadURL(indexUrl)

  // Global hotkeys, from settings and re-registered when they change: push-to-talk (hold via uiohook-napi where it
  // works, globalShortcut toggle otherwise) and the press hotkeys. Wired once the window listens, so a chord the OS
  // refuses at startup reaches it as a notice.
  const showWindow = (): void => {
    if (win.isMinimized()) win.restore()
    win.show()
    win.focus()
  }
  const hotkeyDeps = {
    globalShortcut,
    platform: toHotkeyPlatform(platform()),
    waylandSession: process.platform === 'linux' && process.env.XDG_SESSION_TYPE === 'wayland',
    notify: (message: string) => core.events.emit('notice', { level: 'warning', message }),
    logger: logger.child({ part: 'hotkeys' })
  }
  const waylandSession = hotkeyDeps.waylandSession
  const talkKey = wirePushToTalk(core, {
    ...hotkeyDeps,
    loadUiohook: loadUiohookNapi,
    openPortal: waylandSession ? (request) => openGlobalShortcutsPortal({ ...request, logger: logger.child({ part: 'hotkeys' }) }) : undefined,
    cliBinding: app.isPackaged
      ? talkCliBinding({ mode: 'packaged', executable: process.env.APPIMAGE ?? process.execPath })
      : talkCliBinding({ mode: 'electron-dev', electron: process.execPath, appPath: app.getAppPath() }),
    showWindow,
    onStatus: (status) => core.events.emit('talkKeyStatus', status)
  })
  core.talkKey = talkKey
  const stopGlobalHotkeys = wireGlobalHotkeys(core, {
    ...hotkeyDeps,
    toggleWindow: () => {
      if (win.isVisible() && win.isFocused()) return win.hide()
      if (win.isMinimized()) win.restore()
      win.show()
      win.focus()
    }
  })
  app.on('will-quit', () => {
    talkKey.dispose()
    stopGlobalHotkeys()
  })

  // Tray, status pill, login item (issue 7). Closing the window hides it to the tray; Quit is in the tray menu.
  let quitting = false
  app.on('before-quit', () => (quitting = true))
  win.on('close', (event) => {
    if (!quitting) {
      event.preventDefault()
      win.hide()
    }
  })
  const layout = { appRoot, isPackaged: app.isPackaged, resourcesPath: process.resourcesPath, platform: process.platform, arch: process.arch }
  installTray({ core, win, iconsDir: iconsDir(layout), appName: app.getName(), quit: () => app.quit() })
  installStatusPill({ core, mainWindow: win, indexUrl, preloadPath: join(moduleDir, '..', 'preload', 'index.cjs') })
  const applyLoginItem = (): void => {
    if (process.platform !== 'linux') app.setLoginItemSettings(loginItemSettings(core.settings.get()))
  }
  applyLoginItem()
  core.events.on('settingsChanged', applyLoginItem)

  app.on('second-instance', (_event, argv, _cwd, additionalData) => {
    // The second instance parsed its own argv; an older one sent no data, so its argv is parsed here.
    const data = secondInstanceDataSchema.safeParse(additionalData)
    const talk = data.success ? { ok: true as const, command: data.data.talkCommand } : parseTalkArgv(argv)
    if (!talk.ok) return logger.warn('ignored a second instance', { problem: talk.error })
    if (talk.command === null || talk.command === 'show') return showWindow()
    talkKey.command(talk.command)
  })
  app.on('window-all-closed', () => app.quit())
  app.on('before-quit', () => void core.stop())
}

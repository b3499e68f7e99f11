import { app, BrowserWindow, ipcMain, session, shell } from 'electron'
import { platform } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import WebSocket from 'ws'
import { IPC_EVENT_CHANNEL } from '../shared/contract/api'
import { RENDERER_CSP } from '../shared/security'
import type { WebSocketLike } from '../shared/signalingClient'
import { forwardEvents, registerIpc } from './electron/ipc'
import {
  allowNavigation,
  allowPermissionCheck,
  allowPermissionRequest,
  rendererBaseOf,
  secureWebPreferences
} from './securityPolicy'
import { AppCore } from './services/appCore'
import { findAppRoot, resolveBackendCommand } from './services/backendCommand'

/** Electron entry: thin glue around AppCore; every decision lives in tested modules. */
const moduleDir = dirname(fileURLToPath(import.meta.url))
const log = (line: string): void => console.log(line)

if (!app.requestSingleInstanceLock()) {
  app.quit()
} else {
  void app.whenReady().then(start)
}

async function start(): Promise<void> {
  const indexUrl = process.env.ELECTRON_RENDERER_URL ?? pathToFileURL(join(moduleDir, '..', 'renderer', 'index.html')).href
  const rendererBase = rendererBaseOf(indexUrl)
  const appRoot = findAppRoot(moduleDir)
  const core = new AppCore({
    appInfo: { name: app.getName(), version: app.getVersion(), mode: 'electron', platform: platform(), modeReason: null },
    userDataDir: app.getPath('userData'),
    backendCommand: resolveBackendCommand({ moduleDir, appRoot, execPath: process.execPath, isElectron: true }),
    wsFactory: (url) => new WebSocket(url) as unknown as WebSocketLike,
    log
  })

  const ses = session.defaultSession
  ses.setPermissionRequestHandler((contents, permission, callback, details) => {
    const mediaTypes = 'mediaTypes' in details ? (details.mediaTypes as string[] | undefined) : undefined
    callback(allowPermissionRequest({ permission, requestingUrl: details.requestingUrl ?? contents.getURL(), mediaTypes, rendererBase }))
  })
  ses.setPermissionCheckHandler((_contents, permission, requestingOrigin, details) =>
    allowPermissionCheck({ permission, requestingOrigin, mediaType: (details as { mediaType?: string }).mediaType, rendererBase })
  )
  ses.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [RENDERER_CSP] } })
  })

  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-navigate', (event, url) => {
      if (!allowNavigation(url, contents.getURL(), rendererBase)) event.preventDefault()
    })
    contents.on('will-attach-webview', (event) => event.preventDefault())
    contents.setWindowOpenHandler(({ url }) => {
      // Links to the web open in the user's browser, never inside the app.
      if (url.startsWith('https://')) void shell.openExternal(url)
      return { action: 'deny' }
    })
  })

  registerIpc(ipcMain, core, rendererBase, log)
  await core.start()

  const win = new BrowserWindow({
    width: 1100,
    height: 760,
    minWidth: 720,
    minHeight: 520,
    show: false,
    title: 'Voice Assistant',
    backgroundColor: '#0f1115',
    webPreferences: secureWebPreferences(join(moduleDir, '..', 'preload', 'index.cjs'))
  })
  const stopForwarding = forwardEvents(core, win.webContents)
  win.webContents.on('did-finish-load', () => {
    for (const notice of core.drainNotices()) win.webContents.send(IPC_EVENT_CHANNEL, { event: 'notice', payload: notice })
  })
  win.once('ready-to-show', () => win.show())
  win.on('closed', stopForwarding)
  await win.loadURL(indexUrl)

  app.on('second-instance', () => {
    if (win.isMinimized()) win.restore()
    win.show()
    win.focus()
  })
  app.on('window-all-closed', () => app.quit())
  app.on('before-quit', () => void core.stop())
}

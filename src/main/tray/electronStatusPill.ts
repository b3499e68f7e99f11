import { BrowserWindow, screen } from 'electron'
import { secureWebPreferences } from '../securityPolicy'
import type { AppCore } from '../services/appCore'
import { statusPillVisible } from './desktopShell'
import { forwardEvents } from '../electron/ipc'

export const STATUS_PILL_HASH = '#status-pill'

/**
 * The compact always-on-top status pill shown while the assistant is active (settings.ui.showStatusPill). It is the
 * app's own renderer at index.html#status-pill, with the same preload, api and security settings as the main window.
 */
export function installStatusPill(opts: { core: AppCore; mainWindow: BrowserWindow; indexUrl: string; preloadPath: string }): () => void {
  const { core, mainWindow } = opts
  let pill: BrowserWindow | null = null
  let stopForwarding: (() => void) | null = null

  const create = (): BrowserWindow => {
    const area = screen.getPrimaryDisplay().workArea
    const width = 240
    const height = 48
    const win = new BrowserWindow({
      width,
      height,
      x: Math.round(area.x + (area.width - width) / 2),
      y: area.y + 12,
      frame: false,
      transparent: true,
      resizable: false,
      movable: true,
      minimizable: false,
      maximizable: false,
      fullscreenable: false,
      skipTaskbar: true,
      focusable: false,
      alwaysOnTop: true,
      show: false,
      title: 'Voice Assistant status',
      webPreferences: secureWebPreferences(opts.preloadPath)
    })
    win.setAlwaysOnTop(true, 'floating')
    win.setVisibleOnAllWorkspaces(true)
    stopForwarding = forwardEvents(core, win.webContents)
    win.on('closed', () => {
      stopForwarding?.()
      pill = null
    })
    void win.loadURL(`${opts.indexUrl.replace(/#.*$/, '')}${STATUS_PILL_HASH}`)
    return win
  }

  const update = (): void => {
    const visible = statusPillVisible({ settings: core.settings.get(), assistant: core.assistantStatus, mainWindowFocused: mainWindow.isFocused() })
    if (visible) {
      pill ??= create()
      if (!pill.isVisible()) pill.showInactive()
    } else if (pill?.isVisible()) {
      pill.hide()
    }
  }
  const unsubscribers = [core.events.on('assistantStatus', update), core.events.on('settingsChanged', update)]
  mainWindow.on('focus', update)
  mainWindow.on('blur', update)
  return () => {
    unsubscribers.forEach((u) => u())
    if (pill && !pill.isDestroyed()) pill.destroy()
  }
}

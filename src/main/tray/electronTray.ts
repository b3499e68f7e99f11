import { clipboard, Menu, nativeImage, nativeTheme, Tray, type BrowserWindow, type MenuItemConstructorOptions } from 'electron'
import { join } from 'node:path'
import type { AppCore } from '../services/appCore'
import { runTrayAction, toMenuTemplate } from './trayActions'
import { buildTrayMenu, trayIconFile, trayIconState, trayTooltip, type TrayAppState } from './trayModel'

/**
 * The tray icon and menu: thin glue. State comes from AppCore (the same settings, backend status and assistant
 * status the window receives); the icon, tooltip and menu are computed by src/main/tray/trayModel.ts.
 */
export function installTray(opts: { core: AppCore; win: BrowserWindow; iconsDir: string; appName: string; quit: () => void }): () => void {
  const { core, win } = opts
  const state = (): TrayAppState => ({
    assistant: core.assistantStatus,
    backend: core.backend.status,
    settings: core.settings.get(),
    windowVisible: win.isVisible()
  })
  const iconFor = (s: TrayAppState) =>
    nativeImage.createFromPath(join(opts.iconsDir, trayIconFile(trayIconState(s), { darkMenuBar: nativeTheme.shouldUseDarkColors, platform: process.platform })))
  const tray = new Tray(iconFor(state()))
  const showWindow = (): void => {
    if (win.isMinimized()) win.restore()
    win.show()
    win.focus()
  }
  const onAction = (action: Parameters<typeof runTrayAction>[0]): void =>
    runTrayAction(action, {
      toggleWindow: () => (win.isVisible() ? win.hide() : showWindow()),
      showWindow,
      sendCommand: (command) => core.events.emit('userCommand', { command }),
      updateSettings: async (patch) => {
        const outcome = await core.dispatch('updateSettings', patch)
        if (!outcome.ok) throw new Error(outcome.error.issues?.join('; ') ?? outcome.error.message)
      },
      quit: opts.quit,
      copyDiagnostics: async () => {
        await clipboard.writeText(await core.diagnostics.compose())
      },
      reportError: (message) => core.events.emit('notice', { level: 'error', message }),
      reportInfo: (message) => core.events.emit('notice', { level: 'info', message })
    })
  const refresh = (): void => {
    if (tray.isDestroyed()) return
    const s = state()
    tray.setImage(iconFor(s))
    tray.setToolTip(trayTooltip(s, opts.appName))
    tray.setContextMenu(Menu.buildFromTemplate(toMenuTemplate(buildTrayMenu(s), onAction) as MenuItemConstructorOptions[]))
  }
  refresh()
  // Left click shows/hides the window on Windows and Linux (macOS opens the menu).
  tray.on('click', () => {
    if (process.platform !== 'darwin') onAction({ type: 'toggleWindow' })
  })
  const unsubscribers = [
    core.events.on('settingsChanged', refresh),
    core.events.on('backendStatus', refresh),
    core.events.on('assistantStatus', refresh)
  ]
  win.on('show', refresh)
  win.on('hide', refresh)
  nativeTheme.on('updated', refresh)
  return () => {
    unsubscribers.forEach((u) => u())
    nativeTheme.removeListener('updated', refresh)
    tray.destroy()
  }
}

import type { UserCommand } from '../../shared/contract/api'
import type { SettingsPatch } from '../../shared/contract/settings'
import type { TrayAction, TrayMenuItem } from './trayModel'

/** What a tray click can do; the Electron adapter supplies these. */
export interface TrayActionPorts {
  toggleWindow(): void
  showWindow(): void
  sendCommand(command: UserCommand['command']): void
  updateSettings(patch: SettingsPatch): Promise<unknown>
  quit(): void
  /** Compose the diagnostics and put them on the clipboard. */
  copyDiagnostics(): Promise<void>
  /** Where a failed settings change is reported (e.g. a notice in the window). */
  reportError(message: string): void
  /** What the user is told when something worked (a notice in the window). */
  reportInfo(message: string): void
}

export function runTrayAction(action: TrayAction, ports: TrayActionPorts): void {
  switch (action.type) {
    case 'toggleWindow':
      ports.toggleWindow()
      return
    case 'command':
      ports.sendCommand(action.command)
      return
    case 'openSettings':
      ports.showWindow()
      ports.sendCommand('openSettings')
      return
    case 'updateSettings':
      ports.updateSettings(action.patch).catch((error: unknown) => ports.reportError(`Tray: could not change settings: ${error instanceof Error ? error.message : String(error)}`))
      return
    case 'copyDiagnostics':
      ports.copyDiagnostics().then(
        () => ports.reportInfo('Diagnostics copied to the clipboard: paste them into your bug report (nothing was sent anywhere).'),
        (error: unknown) => ports.reportError(`Tray: could not copy diagnostics: ${error instanceof Error ? error.message : String(error)}`)
      )
      return
    case 'quit':
      ports.quit()
  }
}

/** Electron MenuItemConstructorOptions, structurally (no Electron import). */
export interface MenuTemplateItem {
  id: string
  label?: string
  type: 'normal' | 'checkbox' | 'radio' | 'separator' | 'submenu'
  enabled?: boolean
  checked?: boolean
  click?: () => void
  submenu?: MenuTemplateItem[]
}

export function toMenuTemplate(items: TrayMenuItem[], onAction: (action: TrayAction) => void): MenuTemplateItem[] {
  return items.map((item) => {
    if (item.type === 'separator') return { id: item.id, type: 'separator' }
    const out: MenuTemplateItem = { id: item.id, label: item.label, type: item.type, enabled: item.enabled }
    if (item.checked !== undefined) out.checked = item.checked
    if (item.submenu) out.submenu = toMenuTemplate(item.submenu, onAction)
    const action = item.action
    if (action) out.click = () => onAction(action)
    return out
  })
}

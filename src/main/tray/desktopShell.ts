import type { Settings } from '../../shared/contract/settings'
import type { AssistantStatus } from '../../shared/contract/api'

/**
 * Small desktop-integration decisions, pure: login item settings and when the status pill window shows.
 */

/** Arguments for app.setLoginItemSettings: start hidden in the tray when launched at login. */
export function loginItemSettings(settings: Settings): { openAtLogin: boolean; openAsHidden: boolean; args: string[] } {
  return { openAtLogin: settings.system.startAtLogin, openAsHidden: true, args: settings.system.startAtLogin ? ['--hidden'] : [] }
}

/**
 * True when the app was launched by the login item (it then stays in the tray instead of opening a window): the
 * --hidden argument (Windows login item args) or macOS's wasOpenedAtLogin.
 */
export function launchedHidden(argv: readonly string[], openedAtLogin = false): boolean {
  return openedAtLogin || argv.includes('--hidden')
}

/** The always-on-top pill shows while the assistant is active, if enabled, and not when the main window is focused. */
export function statusPillVisible(input: { settings: Settings; assistant: AssistantStatus; mainWindowFocused: boolean }): boolean {
  return input.settings.ui.showStatusPill && input.assistant.activity !== 'idle' && !input.mainWindowFocused
}

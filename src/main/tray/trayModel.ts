import type { AssistantStatus, BackendStatus, UserCommand } from '../../shared/contract/api'
import { backendCandidateUrls, type Settings, type SettingsPatch } from '../../shared/contract/settings'

/**
 * The tray as a pure function of app state: which icon, which tooltip, which menu. The Electron adapter
 * (electronTray.ts) only turns this into a Tray + Menu and runs the chosen action. The state comes from
 * AppCore — the same settings, backend status and assistant status the window receives over the api.
 */

export const TRAY_ICON_STATES = ['idle', 'listening', 'thinking', 'speaking', 'offline', 'error'] as const
export type TrayIconState = (typeof TRAY_ICON_STATES)[number]

export interface TrayAppState {
  assistant: AssistantStatus
  backend: BackendStatus | null
  settings: Settings
  windowVisible: boolean
}

export type TrayAction =
  | { type: 'toggleWindow' }
  | { type: 'command'; command: UserCommand['command'] }
  | { type: 'updateSettings'; patch: SettingsPatch }
  | { type: 'openSettings' }
  /** Copy the diagnostics text block (versions, redacted settings, recent turns, log tail) to the clipboard. */
  | { type: 'copyDiagnostics' }
  | { type: 'quit' }

export interface TrayMenuItem {
  id: string
  label: string
  type: 'normal' | 'checkbox' | 'radio' | 'separator' | 'submenu'
  enabled: boolean
  checked?: boolean
  action?: TrayAction
  submenu?: TrayMenuItem[]
}

/** Backend trouble outranks what the assistant is doing: without a backend it can neither listen nor answer. */
export function trayIconState(state: Pick<TrayAppState, 'assistant' | 'backend'>): TrayIconState {
  const backend = state.backend
  if (backend?.state === 'error') return 'error'
  if (!backend || backend.state !== 'ready') return 'offline'
  return state.assistant.activity
}

const STATE_TEXT: Record<TrayIconState, string> = {
  idle: 'Ready',
  listening: 'Listening',
  thinking: 'Thinking',
  speaking: 'Speaking',
  offline: 'Offline',
  error: 'Error'
}

/** Tooltip, e.g. "Voice Assistant — Listening (mic muted)" or "Voice Assistant — Error: <detail>". */
export function trayTooltip(state: Pick<TrayAppState, 'assistant' | 'backend'>, appName = 'Voice Assistant'): string {
  const icon = trayIconState(state)
  let text = `${appName} — ${STATE_TEXT[icon]}`
  if (icon === 'offline' && state.backend?.state === 'starting') text += ' (connecting…)'
  if ((icon === 'error' || icon === 'offline') && state.backend?.detail) text += `: ${state.backend.detail}`
  if (state.assistant.micMuted) text += ' (mic muted)'
  // Windows truncates tray tooltips at 127 characters.
  return text.length > 127 ? `${text.slice(0, 126)}…` : text
}

/** Which PNG to load: light variant = dark glyph for light menu bars. Electron picks name@2x.png on HiDPI itself. */
export function trayIconFile(icon: TrayIconState, opts: { darkMenuBar: boolean; platform: string }): string {
  const variant = opts.darkMenuBar ? 'dark' : 'light'
  // Linux panels are usually 22–24 px tall and do not use @2x files.
  const suffix = opts.platform === 'linux' ? '-24' : ''
  return `tray-${icon}-${variant}${suffix}.png`
}

const item = (id: string, label: string, rest: Partial<TrayMenuItem> = {}): TrayMenuItem => ({ id, label, type: 'normal', enabled: true, ...rest })
const separator = (id: string): TrayMenuItem => ({ id, label: '', type: 'separator', enabled: true })

export function buildTrayMenu(state: TrayAppState): TrayMenuItem[] {
  const icon = trayIconState(state)
  const { settings, assistant } = state
  const listening = assistant.activity !== 'idle'
  const canListen = icon !== 'offline' && icon !== 'error'
  const pushToTalk = settings.listening.mode === 'push-to-talk'
  const remoteUrls = backendCandidateUrls(settings.backend)
  const remoteConfigured = remoteUrls.length > 0
  return [
    item('status', trayTooltip(state), { enabled: false }),
    separator('sep-status'),
    item('toggleWindow', state.windowVisible ? 'Hide window' : 'Show window', { action: { type: 'toggleWindow' } }),
    item('toggleListening', listening ? 'Stop listening' : 'Start listening', {
      enabled: listening || canListen,
      action: { type: 'command', command: listening ? 'stopListening' : 'startListening' }
    }),
    item('mode', 'Mode', {
      type: 'submenu',
      submenu: [
        item('mode-ptt', 'Push to talk', { type: 'radio', checked: pushToTalk, action: { type: 'updateSettings', patch: { listening: { mode: 'push-to-talk' } } } }),
        item('mode-handsfree', 'Hands-free', { type: 'radio', checked: !pushToTalk, action: { type: 'updateSettings', patch: { listening: { mode: 'hands-free' } } } })
      ]
    }),
    item('mute', 'Mute microphone', { type: 'checkbox', checked: assistant.micMuted, action: { type: 'command', command: 'toggleMute' } }),
    item('overlay', 'Show latency overlay', {
      type: 'checkbox',
      checked: settings.ui.showLatencyOverlay,
      action: { type: 'updateSettings', patch: { ui: { showLatencyOverlay: !settings.ui.showLatencyOverlay } } }
    }),
    item('backend', 'Backend', {
      type: 'submenu',
      submenu: [
        item('backend-local', 'Local (this computer)', {
          type: 'radio',
          checked: settings.backend.mode === 'embedded',
          action: { type: 'updateSettings', patch: { backend: { mode: 'embedded' } } }
        }),
        item('backend-remote', remoteConfigured
            ? `Remote (${shortHost(remoteUrls[0]!)}${remoteUrls.length > 1 ? ` +${remoteUrls.length - 1}` : ''})`
            : 'Remote (set a URL in Settings)', {
          type: 'radio',
          checked: settings.backend.mode === 'remote',
          enabled: remoteConfigured,
          action: { type: 'updateSettings', patch: { backend: { mode: 'remote' } } }
        })
      ]
    }),
    separator('sep-settings'),
    item('settings', 'Settings…', { action: { type: 'openSettings' } }),
    item('copyDiagnostics', 'Copy diagnostics', { action: { type: 'copyDiagnostics' } }),
    item('quit', 'Quit', { action: { type: 'quit' } })
  ]
}

function shortHost(url: string): string {
  try {
    return new URL(url).host
  } catch {
    return url.slice(0, 40)
  }
}

/** Every item with an action, flattened (for the adapter's click routing and for tests). */
export function flattenMenu(items: TrayMenuItem[]): TrayMenuItem[] {
  return items.flatMap((i) => [i, ...(i.submenu ? flattenMenu(i.submenu) : [])])
}

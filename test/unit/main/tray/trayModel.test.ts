import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { BackendStatus } from '../../../../src/shared/contract/api'
import { applySettingsPatch, defaultSettings, settingsPatchSchema } from '../../../../src/shared/contract/settings'
import { launchedHidden, loginItemSettings, statusPillVisible } from '../../../../src/main/tray/desktopShell'
import {
  buildTrayMenu,
  flattenMenu,
  TRAY_ICON_STATES,
  trayIconFile,
  trayIconState,
  trayTooltip,
  type TrayAppState
} from '../../../../src/main/tray/trayModel'

const ready: BackendStatus = { state: 'ready', kind: 'embedded', signalingUrl: 'ws://127.0.0.1:4000/signaling', detail: null, workers: 1, rttMs: 2, since: 0 }

function state(over: Partial<TrayAppState> = {}): TrayAppState {
  return { assistant: { activity: 'idle', micMuted: false }, backend: ready, settings: defaultSettings(), windowVisible: true, ...over }
}
const byId = (s: TrayAppState, id: string) => flattenMenu(buildTrayMenu(s)).find((i) => i.id === id)!

describe('tray icon state', () => {
  it('follows the assistant while the backend is ready', () => {
    for (const activity of ['idle', 'listening', 'thinking', 'speaking'] as const) {
      expect(trayIconState(state({ assistant: { activity, micMuted: false } }))).toBe(activity)
    }
  })

  it('shows offline while the backend is missing, stopped or starting, and error when it failed', () => {
    const listening = { activity: 'listening' as const, micMuted: false }
    expect(trayIconState(state({ backend: null, assistant: listening }))).toBe('offline')
    expect(trayIconState(state({ backend: { ...ready, state: 'starting' } }))).toBe('offline')
    expect(trayIconState(state({ backend: { ...ready, state: 'stopped' } }))).toBe('offline')
    expect(trayIconState(state({ backend: { ...ready, state: 'error', detail: 'worker crashed' }, assistant: listening }))).toBe('error')
  })

  it('tooltips say what is happening and why, within the Windows length limit', () => {
    expect(trayTooltip(state())).toBe('Voice Assistant — Ready')
    expect(trayTooltip(state({ assistant: { activity: 'listening', micMuted: true } }))).toBe('Voice Assistant — Listening (mic muted)')
    expect(trayTooltip(state({ backend: { ...ready, state: 'starting', detail: null } }))).toBe('Voice Assistant — Offline (connecting…)')
    expect(trayTooltip(state({ backend: { ...ready, state: 'error', detail: 'port 4000 in use' } }))).toBe('Voice Assistant — Error: port 4000 in use')
    expect(trayTooltip(state({ backend: { ...ready, state: 'error', detail: 'x'.repeat(300) } })).length).toBe(127)
  })

  it('picks a committed icon file for every state, variant and platform, with its HiDPI twin', () => {
    const dir = join(import.meta.dirname, '..', '..', '..', '..', 'resources', 'icons')
    for (const icon of TRAY_ICON_STATES) {
      for (const darkMenuBar of [false, true]) {
        for (const platform of ['linux', 'darwin', 'win32']) {
          const file = trayIconFile(icon, { darkMenuBar, platform })
          expect(existsSync(join(dir, file)), file).toBe(true)
          if (platform !== 'linux') expect(existsSync(join(dir, file.replace('.png', '@2x.png'))), file).toBe(true)
        }
      }
    }
    expect(trayIconFile('error', { darkMenuBar: true, platform: 'darwin' })).toBe('tray-error-dark.png')
    expect(trayIconFile('idle', { darkMenuBar: false, platform: 'linux' })).toBe('tray-idle-light-24.png')
    // Real PNGs of the advertised size (IHDR width at byte 16).
    const png = readFileSync(join(dir, 'tray-listening-dark@2x.png'))
    expect(png.subarray(1, 4).toString()).toBe('PNG')
    expect(png.readUInt32BE(16)).toBe(32)
  })
})

describe('tray menu', () => {
  it('has every entry the issue asks for, in order', () => {
    expect(buildTrayMenu(state()).map((i) => i.id)).toEqual([
      'status', 'sep-status', 'toggleWindow', 'toggleListening', 'mode', 'mute', 'overlay', 'backend', 'sep-settings', 'settings', 'copyDiagnostics', 'quit'
    ])
  })

  it('Copy diagnostics is always there and enabled, offline too (a bug report is most needed then)', () => {
    for (const s of [state(), state({ backend: null }), state({ backend: { ...state().backend!, state: 'error', detail: 'worker died' } })]) {
      expect(byId(s, 'copyDiagnostics')).toMatchObject({ label: 'Copy diagnostics', type: 'normal', enabled: true, action: { type: 'copyDiagnostics' } })
    }
  })

  it('labels and checks follow the state', () => {
    expect(byId(state({ windowVisible: false }), 'toggleWindow').label).toBe('Show window')
    expect(byId(state({ windowVisible: true }), 'toggleWindow').label).toBe('Hide window')
    const listening = state({ assistant: { activity: 'listening', micMuted: true } })
    expect(byId(listening, 'toggleListening')).toMatchObject({ label: 'Stop listening', action: { type: 'command', command: 'stopListening' } })
    expect(byId(state(), 'toggleListening')).toMatchObject({ label: 'Start listening', action: { type: 'command', command: 'startListening' } })
    expect(byId(listening, 'mute').checked).toBe(true)
    expect(byId(state(), 'mode-ptt').checked).toBe(true)
    expect(byId(state(), 'mode-handsfree').checked).toBe(false)
    expect(byId(state(), 'status')).toMatchObject({ label: 'Voice Assistant — Ready', enabled: false })
  })

  it('cannot start listening without a backend, but can always stop', () => {
    expect(byId(state({ backend: null }), 'toggleListening').enabled).toBe(false)
    expect(byId(state({ backend: null, assistant: { activity: 'listening', micMuted: false } }), 'toggleListening').enabled).toBe(true)
  })

  it('remote backend is offered only once a URL is set, and shows its host', () => {
    expect(byId(state(), 'backend-remote')).toMatchObject({ enabled: false, label: 'Remote (set a URL in Settings)' })
    const settings = applySettingsPatch(defaultSettings(), { backend: { remoteUrl: 'wss://voice.example.com:8443/signaling' } })
    expect(byId(state({ settings }), 'backend-remote')).toMatchObject({ enabled: true, label: 'Remote (voice.example.com:8443)', checked: false })
    // A list of servers (nearest-backend choice) counts too, even without the single URL.
    const listed = applySettingsPatch(defaultSettings(), { backend: { remoteUrls: ['wss://eu.example.com/signaling', 'wss://us.example.com/signaling'] } })
    expect(byId(state({ settings: listed }), 'backend-remote')).toMatchObject({ enabled: true, label: 'Remote (eu.example.com +1)' })
    expect(byId(state({ settings }), 'backend-local').checked).toBe(true)
  })

  it('every settings action is a valid patch and toggles what it says', () => {
    const s = state()
    for (const entry of flattenMenu(buildTrayMenu(s))) {
      if (entry.action?.type === 'updateSettings') expect(settingsPatchSchema.safeParse(entry.action.patch).success, entry.id).toBe(true)
    }
    const overlay = byId(s, 'overlay')
    expect(overlay.checked).toBe(true)
    const after = applySettingsPatch(s.settings, (overlay.action as { patch: object }).patch)
    expect(byId(state({ settings: after }), 'overlay').checked).toBe(false)
    const handsFree = applySettingsPatch(s.settings, (byId(s, 'mode-handsfree').action as { patch: object }).patch)
    expect(handsFree.listening.mode).toBe('hands-free')
  })
})

describe('desktop shell decisions', () => {
  it('login item follows the setting and starts hidden', () => {
    expect(loginItemSettings(defaultSettings())).toEqual({ openAtLogin: false, openAsHidden: true, args: [] })
    const on = applySettingsPatch(defaultSettings(), { system: { startAtLogin: true } })
    expect(loginItemSettings(on)).toEqual({ openAtLogin: true, openAsHidden: true, args: ['--hidden'] })
    expect(launchedHidden(['/opt/app/voice-assistant', '--hidden'])).toBe(true)
    expect(launchedHidden(['/opt/app/voice-assistant'])).toBe(false)
    expect(launchedHidden([], true)).toBe(true)
  })

  it('status pill shows only while active, when enabled, and not over the focused window', () => {
    const listening = { activity: 'listening' as const, micMuted: false }
    expect(statusPillVisible({ settings: defaultSettings(), assistant: listening, mainWindowFocused: false })).toBe(true)
    expect(statusPillVisible({ settings: defaultSettings(), assistant: listening, mainWindowFocused: true })).toBe(false)
    expect(statusPillVisible({ settings: defaultSettings(), assistant: { activity: 'idle', micMuted: false }, mainWindowFocused: false })).toBe(false)
    const off = applySettingsPatch(defaultSettings(), { ui: { showStatusPill: false } })
    expect(statusPillVisible({ settings: off, assistant: listening, mainWindowFocused: false })).toBe(false)
  })
})

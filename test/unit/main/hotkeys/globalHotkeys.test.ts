import { describe, expect, it } from 'vitest'
import type { AssistantStatus, UserCommand } from '../../../../src/shared/contract/api'
import type { Outcome } from '../../../../src/shared/contract/dispatch'
import { applySettingsPatch, defaultSettings, type Settings, type SettingsPatch } from '../../../../src/shared/contract/settings'
import { hotkeyOutcome, planGlobalHotkeys, wireGlobalHotkeys, type GlobalHotkeysCore } from '../../../../src/main/hotkeys/globalHotkeys'
import { wirePushToTalk } from '../../../../src/main/hotkeys/pushToTalkHotkey'

/** Electron's globalShortcut, faked: chords in `taken` belong to another application. */
class FakeGlobalShortcut {
  registered = new Map<string, () => void>()
  taken = new Set<string>()
  calls: string[] = []
  register(accelerator: string, callback: () => void): boolean {
    this.calls.push(`register ${accelerator}`)
    if (this.taken.has(accelerator) || this.registered.has(accelerator)) return false
    this.registered.set(accelerator, callback)
    return true
  }
  unregister(accelerator: string): void {
    this.calls.push(`unregister ${accelerator}`)
    this.registered.delete(accelerator)
  }
  press(accelerator: string): void {
    const callback = this.registered.get(accelerator)
    if (!callback) throw new Error(`${accelerator} is not registered`)
    callback()
  }
}

function fakeCore(hotkeys: Partial<Settings['hotkeys']>) {
  let settings = applySettingsPatch(defaultSettings(), { hotkeys })
  const listeners = new Set<(s: Settings) => void>()
  const commands: UserCommand['command'][] = []
  const core = {
    assistantStatus: { activity: 'idle', micMuted: false } as AssistantStatus,
    settings: { get: () => settings },
    events: {
      on(_event: 'settingsChanged', listener: (s: Settings) => void) {
        listeners.add(listener)
        return () => listeners.delete(listener)
      },
      emit(_event: 'userCommand', payload: UserCommand) {
        commands.push(payload.command)
      }
    },
    async dispatch(_method: 'updateSettings', patch: SettingsPatch): Promise<Outcome> {
      settings = applySettingsPatch(settings, patch)
      listeners.forEach((l) => l(settings))
      return { ok: true, result: settings }
    }
  } satisfies GlobalHotkeysCore
  /** What AppCore does after a successful updateSettings. */
  const change = (patch: SettingsPatch): void => {
    settings = applySettingsPatch(settings, patch)
    listeners.forEach((l) => l(settings))
  }
  return { core, commands, change, listeners }
}

describe('planGlobalHotkeys', () => {
  it('registers every bound press hotkey by its canonical spelling; push-to-talk is left to wirePushToTalk', () => {
    const plan = planGlobalHotkeys(
      { pushToTalk: 'CommandOrControl+Shift+Space', toggleListening: 'alt+f9', toggleMute: 'Ctrl+Alt+M', showWindow: null, toggleLatencyOverlay: 'Alt+Shift+L' },
      'linux'
    )
    expect(plan.register).toEqual([
      { action: 'toggleListening', accelerator: 'Alt+F9' },
      { action: 'toggleMute', accelerator: 'Control+Alt+M' },
      { action: 'toggleLatencyOverlay', accelerator: 'Alt+Shift+L' }
    ])
    expect(plan.skipped).toEqual([])
  })

  it('skips conflicts from a hand-edited file with the reason: duplicate of push-to-talk, OS-reserved chord, bad grammar', () => {
    const plan = planGlobalHotkeys(
      // Control+Shift+Space is push-to-talk's chord off macOS; Alt+Tab switches windows; "M" alone would stop typing.
      { pushToTalk: 'CommandOrControl+Shift+Space', toggleListening: 'Control+Shift+Space', toggleMute: 'M', showWindow: 'Alt+Tab', toggleLatencyOverlay: 'Alt+Shift+L' },
      'linux'
    )
    expect(plan.register).toEqual([{ action: 'toggleLatencyOverlay', accelerator: 'Alt+Shift+L' }])
    expect(plan.skipped.map((s) => s.action)).toEqual(['toggleListening', 'toggleMute', 'showWindow'])
    expect(plan.skipped[0]!.message).toContain('Ctrl+Shift+Space is assigned to both Push to talk and Start/stop listening')
    expect(plan.skipped[1]!.message).toContain('needs a modifier')
    expect(plan.skipped[2]!.message).toContain('Alt+Tab switches windows on Linux')
    for (const s of plan.skipped) expect(s.message).toMatch(/^Hotkey not registered — .*Settings → Hotkeys\.$/)
  })

  it('of two press hotkeys sharing a chord, the first in settings order keeps it', () => {
    const plan = planGlobalHotkeys({ pushToTalk: null, toggleListening: null, toggleMute: 'Alt+F8', showWindow: 'alt+F8', toggleLatencyOverlay: null }, 'win32')
    expect(plan.register).toEqual([{ action: 'toggleMute', accelerator: 'Alt+F8' }])
    expect(plan.skipped).toMatchObject([{ action: 'showWindow' }])
  })
})

describe('hotkeyOutcome', () => {
  const settings = defaultSettings()
  it('start/stop listening follows what the assistant is doing; mute and overlay toggle; window toggles', () => {
    expect(hotkeyOutcome('toggleListening', { settings, assistant: { activity: 'idle', micMuted: false } })).toEqual({ type: 'command', command: 'startListening' })
    for (const activity of ['listening', 'thinking', 'speaking'] as const) {
      expect(hotkeyOutcome('toggleListening', { settings, assistant: { activity, micMuted: false } })).toEqual({ type: 'command', command: 'stopListening' })
    }
    expect(hotkeyOutcome('toggleMute', { settings, assistant: { activity: 'idle', micMuted: true } })).toEqual({ type: 'command', command: 'toggleMute' })
    expect(hotkeyOutcome('showWindow', { settings, assistant: { activity: 'idle', micMuted: false } })).toEqual({ type: 'toggleWindow' })
    expect(hotkeyOutcome('toggleLatencyOverlay', { settings, assistant: { activity: 'idle', micMuted: false } })).toEqual({
      type: 'updateSettings',
      patch: { ui: { showLatencyOverlay: !settings.ui.showLatencyOverlay } }
    })
  })
})

describe('wireGlobalHotkeys', () => {
  it('registers the configured hotkeys and carries out presses', async () => {
    const shortcut = new FakeGlobalShortcut()
    const { core, commands } = fakeCore({ toggleListening: 'Alt+F9', toggleMute: 'Alt+F10', showWindow: 'Alt+F11', toggleLatencyOverlay: 'Alt+F12' })
    const notices: string[] = []
    let windowToggles = 0
    const stop = wireGlobalHotkeys(core, { globalShortcut: shortcut, platform: 'linux', toggleWindow: () => windowToggles++, notify: (m) => notices.push(m) })
    expect([...shortcut.registered.keys()].sort()).toEqual(['Alt+F10', 'Alt+F11', 'Alt+F12', 'Alt+F9'])
    shortcut.press('Alt+F9')
    core.assistantStatus = { activity: 'listening', micMuted: false }
    shortcut.press('Alt+F9')
    shortcut.press('Alt+F10')
    shortcut.press('Alt+F11')
    expect(commands).toEqual(['startListening', 'stopListening', 'toggleMute'])
    expect(windowToggles).toBe(1)
    const overlayBefore = core.settings.get().ui.showLatencyOverlay
    shortcut.press('Alt+F12')
    await new Promise((r) => setTimeout(r, 0))
    expect(core.settings.get().ui.showLatencyOverlay).toBe(!overlayBefore)
    expect(notices).toEqual([])
    stop()
    expect(shortcut.registered.size).toBe(0)
  })

  it('a chord the OS refuses is reported once with the reason and retried only after the binding changes', () => {
    const shortcut = new FakeGlobalShortcut()
    shortcut.taken.add('CommandOrControl+Alt+K')
    const { core, change } = fakeCore({ toggleMute: 'CommandOrControl+Alt+K' })
    const notices: string[] = []
    wireGlobalHotkeys(core, { globalShortcut: shortcut, platform: 'linux', toggleWindow: () => undefined, notify: (m) => notices.push(m) })
    // The fake OS holds the chord.
    expect(shortcut.registered.size).toBe(0)
    expect(notices).toEqual([
      'Could not register Ctrl+Alt+K for Mute microphone: another application (or the system) already uses it. Pick a different combination in Settings → Hotkeys.'
    ])
    // An unrelated settings change: no retry, no second notice.
    change({ ui: { theme: 'dark' } })
    expect(shortcut.calls.filter((c) => c.startsWith('register'))).toHaveLength(1)
    expect(notices).toHaveLength(1)
    // A new binding registers; going back to the refused one retries it (the other app may have let go).
    change({ hotkeys: { toggleMute: 'Alt+Shift+M' } })
    expect([...shortcut.registered.keys()]).toEqual(['Alt+Shift+M'])
    shortcut.taken.clear()
    change({ hotkeys: { toggleMute: 'CmdOrCtrl+Alt+K' } })
    expect([...shortcut.registered.keys()]).toEqual(['CommandOrControl+Alt+K'])
    expect(shortcut.calls).toContain('unregister Alt+Shift+M')
    expect(notices).toHaveLength(1)
  })

  it('says when Wayland is why registration failed', () => {
    const shortcut = new FakeGlobalShortcut()
    shortcut.taken.add('Alt+F9')
    const { core } = fakeCore({ toggleListening: 'Alt+F9' })
    const notices: string[] = []
    wireGlobalHotkeys(core, { globalShortcut: shortcut, platform: 'linux', waylandSession: true, toggleWindow: () => undefined, notify: (m) => notices.push(m) })
    expect(notices[0]).toContain('Wayland session does not let apps register global shortcuts')
  })

  it('re-registers only what changed; two actions swapping chords both stay registered', () => {
    const shortcut = new FakeGlobalShortcut()
    const { core, change, commands } = fakeCore({ toggleListening: 'Alt+F9', toggleMute: 'Alt+F10' })
    wireGlobalHotkeys(core, { globalShortcut: shortcut, platform: 'linux', toggleWindow: () => undefined, notify: () => undefined })
    shortcut.calls = []
    change({ hotkeys: { toggleListening: 'Alt+F10', toggleMute: 'Alt+F9' } })
    expect(shortcut.calls.slice(0, 2).every((c) => c.startsWith('unregister'))).toBe(true)
    expect(shortcut.registered.size).toBe(2)
    shortcut.press('Alt+F10')
    shortcut.press('Alt+F9')
    expect(commands).toEqual(['startListening', 'toggleMute'])
    shortcut.calls = []
    change({ hotkeys: { toggleListening: null } })
    expect(shortcut.calls).toEqual(['unregister Alt+F10'])
  })

  it('a hand-edited conflict is skipped with a notice, once', () => {
    const shortcut = new FakeGlobalShortcut()
    // Bypass the api's conflict check, as a hand-edited file would.
    const { core, change } = fakeCore({})
    const raw = { ...core.settings.get(), hotkeys: { ...core.settings.get().hotkeys, showWindow: 'Alt+Tab' } }
    core.settings.get = () => raw
    const notices: string[] = []
    wireGlobalHotkeys(core, { globalShortcut: shortcut, platform: 'linux', toggleWindow: () => undefined, notify: (m) => notices.push(m) })
    expect(shortcut.registered.size).toBe(0)
    expect(notices).toHaveLength(1)
    expect(notices[0]).toContain('Alt+Tab switches windows on Linux')
    change({ ui: { theme: 'light' } })
    expect(notices).toHaveLength(1)
  })
})

describe('wirePushToTalk', () => {
  it('tells the user when the OS refuses the push-to-talk chord', async () => {
    const shortcut = new FakeGlobalShortcut()
    shortcut.taken.add('CommandOrControl+Shift+Space')
    const settings = defaultSettings()
    const notices: string[] = []
    const stop = wirePushToTalk(
      {
        events: { on: () => () => undefined, emit: () => undefined } as never,
        settings: { get: () => settings },
        vad: { flush: () => undefined, reset: () => undefined }
      },
      { globalShortcut: shortcut, loadUiohook: async () => null, platform: 'linux', notify: (m) => notices.push(m), cliBinding: 'voice-assistant --toggle' }
    )
    await expect.poll(() => notices).toEqual([
      'Could not register Ctrl+Shift+Space for Push to talk: another application (or the system) already uses it. Pick a different combination in Settings → Hotkeys.'
    ])
    stop.dispose()
  })
})

import { describe, expect, it } from 'vitest'
import {
  acceleratorFromKeyChord,
  describeRegistrationFailure,
  findHotkeyProblems,
  findHotkeyWarnings,
  formatAccelerator,
  parseAccelerator,
  resolveChord,
  type ParsedAccelerator
} from '../../../../src/shared/hotkeys/accelerator'

function parsed(text: string): ParsedAccelerator {
  const result = parseAccelerator(text)
  if (!result.ok) throw new Error(`${text}: ${result.error}`)
  return result.accelerator
}

describe('accelerator parsing', () => {
  it('accepts Electron accelerators and canonicalises spelling and modifier order', () => {
    expect(parsed('CmdOrCtrl+Shift+Space').canonical).toBe('CommandOrControl+Shift+Space')
    expect(parsed('shift+ctrl+k').canonical).toBe('Control+Shift+K')
    expect(parsed('Option+Return').canonical).toBe('Alt+Enter')
    expect(parsed('Meta+Esc').canonical).toBe('Super+Escape')
    expect(parsed('Alt+Plus').canonical).toBe('Alt+Plus')
    expect(parsed('Control+Alt+/').canonical).toBe('Control+Alt+/')
    expect(parsed('F13').canonical).toBe('F13')
    expect(parsed('MediaPlayPause').canonical).toBe('MediaPlayPause')
    expect(parsed('Shift+F24').canonical).toBe('Shift+F24')
    expect(parsed('Alt+num5').canonical).toBe('Alt+num5')
  })

  it.each([
    ['', 'is empty'],
    ['   ', 'is empty'],
    ['Ctrl+', 'empty part'],
    ['Ctrl++', 'empty part'],
    ['Ctrl+Shift', 'no key'],
    ['Ctrl+Hyper+K', 'unknown modifier "Hyper"'],
    ['Ctrl+K+L', 'more than one key'],
    ['Ctrl+Banana', 'unknown key "Banana"'],
    ['Ctrl+Ctrl+K', 'repeats the modifier Control'],
    ['CmdOrCtrl+Ctrl+K', 'combines CommandOrControl'],
    ['Ctrl + K', 'must not contain spaces'],
    ['A', 'needs a modifier'],
    ['Shift+A', 'needs a modifier'],
    ['Space', 'needs a modifier'],
    ['F25', 'unknown key'],
    ['Ctrl+é', 'unknown key'],
    ['Ctrl+' + 'K'.repeat(70), 'longer than 64']
  ])('rejects %j (%s)', (text, error) => {
    const result = parseAccelerator(text)
    expect(result.ok).toBe(false)
    if (!result.ok) expect(result.error).toContain(error)
  })

  it('resolves CommandOrControl, Command and Super per platform', () => {
    expect(resolveChord(parsed('CommandOrControl+K'), 'darwin')).toBe('meta+K')
    expect(resolveChord(parsed('CommandOrControl+K'), 'linux')).toBe('ctrl+K')
    expect(resolveChord(parsed('Command+K'), 'win32')).toBe('ctrl+K')
    expect(resolveChord(parsed('Super+K'), 'darwin')).toBe('meta+K')
    expect(resolveChord(parsed('Super+Shift+Alt+K'), 'linux')).toBe('alt+shift+meta+K')
  })

  it('formats for display on each platform', () => {
    expect(formatAccelerator(parsed('CommandOrControl+Shift+Space'), 'darwin')).toBe('Cmd+Shift+Space')
    expect(formatAccelerator(parsed('CommandOrControl+Alt+K'), 'win32')).toBe('Ctrl+Alt+K')
    expect(formatAccelerator(parsed('Super+K'), 'win32')).toBe('Win+K')
  })
})

describe('hotkey conflict detection', () => {
  const labels = { pushToTalk: 'Push to talk', toggleListening: 'Start/stop listening', showWindow: 'Show/hide window' }

  it('finds no problem in a clean set, ignoring unbound actions', () => {
    expect(findHotkeyProblems({ pushToTalk: 'CommandOrControl+Shift+Space', toggleListening: 'Alt+F9', showWindow: null }, 'linux')).toEqual([])
  })

  it('flags the same chord on two actions, including spellings that coincide only on this platform', () => {
    const bindings = { pushToTalk: 'CommandOrControl+Shift+K', toggleListening: 'Shift+Control+K', showWindow: null }
    const linux = findHotkeyProblems(bindings, 'linux', labels)
    expect(linux).toEqual([
      { kind: 'duplicate', actions: ['pushToTalk', 'toggleListening'], message: 'Ctrl+Shift+K is assigned to both Push to talk and Start/stop listening; each hotkey must be different' }
    ])
    // On macOS CommandOrControl is Cmd, so these are two different chords.
    expect(findHotkeyProblems(bindings, 'darwin', labels)).toEqual([])
  })

  it('flags OS-reserved chords per platform, with the reason', () => {
    const mac = findHotkeyProblems({ pushToTalk: 'CommandOrControl+Space' }, 'darwin', labels)
    expect(mac).toEqual([{ kind: 'reserved', actions: ['pushToTalk'], message: 'Push to talk: Cmd+Space opens Spotlight on macOS; pick another combination' }])
    expect(findHotkeyProblems({ pushToTalk: 'Alt+F4' }, 'win32')[0]?.kind).toBe('reserved')
    expect(findHotkeyProblems({ pushToTalk: 'Alt+Tab' }, 'linux')[0]?.kind).toBe('reserved')
    expect(findHotkeyProblems({ pushToTalk: 'CmdOrCtrl+C' }, 'linux')[0]?.message).toContain('is Copy in every app')
    expect(findHotkeyProblems({ pushToTalk: 'Command+Q' }, 'darwin')[0]?.message).toContain('quits the front app')
    // Cmd+Space is free on Linux (CommandOrControl is Ctrl there … and Ctrl+Space is not reserved on Linux).
    expect(findHotkeyProblems({ pushToTalk: 'CommandOrControl+Space' }, 'linux')).toEqual([])
  })

  it('reports invalid strings instead of throwing', () => {
    expect(findHotkeyProblems({ pushToTalk: 'Ctrl+Nope' }, 'linux', labels)).toEqual([
      { kind: 'invalid', actions: ['pushToTalk'], message: 'Push to talk: "Ctrl+Nope" has an unknown key "Nope"' }
    ])
  })

  it('explains registration failures with a way out', () => {
    expect(describeRegistrationFailure({ actionLabel: 'push to talk', accelerator: 'CommandOrControl+Shift+Space', platform: 'win32' })).toBe(
      'Could not register Ctrl+Shift+Space for push to talk: another application (or the system) already uses it. Pick a different combination in Settings → Hotkeys.'
    )
    expect(describeRegistrationFailure({ actionLabel: 'push to talk', accelerator: 'Alt+K', platform: 'linux', waylandSession: true })).toContain('Wayland')
    expect(describeRegistrationFailure({ actionLabel: 'push to talk', accelerator: 'K', platform: 'linux' })).toContain('needs a modifier')
  })
})

describe('hotkey warnings', () => {
  const labels = { pushToTalk: 'Push to talk', toggleMute: 'Mute' }

  it('warns on Windows about chords whose only modifier is Alt (with or without Shift); refuses nothing', () => {
    const bindings = { pushToTalk: 'Alt+K', toggleMute: 'Alt+Shift+Space', a: 'Control+Alt+K', b: 'Alt+Super+K', c: 'F9', d: 'Alt+F4', e: null }
    const warnings = findHotkeyWarnings(bindings, 'win32', labels)
    expect(warnings.map((w) => w.actions)).toEqual([['pushToTalk'], ['toggleMute']])
    expect(warnings[0]!.message).toBe(
      "Push to talk: Alt+K uses Alt as its only modifier; on Windows that opens the focused app's menus (Alt+letter is a menu key, and Alt pressed and released alone opens the menu bar). Add Ctrl or Win."
    )
    expect(findHotkeyProblems({ pushToTalk: 'Alt+K', toggleMute: 'Alt+Shift+Space' }, 'win32', labels)).toEqual([]) // a warning, not a refusal
  })

  it('does not warn on Linux or macOS, where Alt-only chords do not open menus', () => {
    expect(findHotkeyWarnings({ pushToTalk: 'Alt+K' }, 'linux')).toEqual([])
    expect(findHotkeyWarnings({ pushToTalk: 'Alt+K' }, 'darwin')).toEqual([])
  })
})

describe('recording a chord from a key event', () => {
  const chord = (code: string, mods: Partial<{ ctrlKey: boolean; altKey: boolean; shiftKey: boolean; metaKey: boolean }> = {}) => ({
    key: '',
    code,
    ctrlKey: false,
    altKey: false,
    shiftKey: false,
    metaKey: false,
    ...mods
  })

  it('uses the physical key and portable modifiers', () => {
    expect(acceleratorFromKeyChord(chord('KeyK', { ctrlKey: true, shiftKey: true }), 'linux')).toBe('CommandOrControl+Shift+K')
    expect(acceleratorFromKeyChord(chord('KeyK', { metaKey: true, shiftKey: true }), 'darwin')).toBe('CommandOrControl+Shift+K')
    expect(acceleratorFromKeyChord(chord('KeyK', { ctrlKey: true }), 'darwin')).toBe('Control+K')
    expect(acceleratorFromKeyChord(chord('Digit1', { altKey: true, metaKey: true }), 'win32')).toBe('Alt+Super+1')
    expect(acceleratorFromKeyChord(chord('Space', { ctrlKey: true, altKey: true }), 'linux')).toBe('CommandOrControl+Alt+Space')
    expect(acceleratorFromKeyChord(chord('F13'), 'linux')).toBe('F13')
    expect(acceleratorFromKeyChord(chord('Slash', { altKey: true }), 'linux')).toBe('Alt+/')
  })

  it('returns null for modifier-only presses and unknown keys; every result parses', () => {
    expect(acceleratorFromKeyChord(chord('ShiftLeft', { shiftKey: true }), 'linux')).toBeNull()
    expect(acceleratorFromKeyChord(chord('IntlRo', { ctrlKey: true }), 'linux')).toBeNull()
    for (const code of ['KeyA', 'Digit0', 'Numpad4', 'ArrowUp', 'Backquote', 'F1', 'NumpadAdd']) {
      const text = acceleratorFromKeyChord(chord(code, { ctrlKey: true }), 'linux')!
      expect(parseAccelerator(text).ok, text).toBe(true)
    }
  })
})

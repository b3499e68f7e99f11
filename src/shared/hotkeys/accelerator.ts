/**
 * Global hotkey accelerators (Electron's accelerator grammar, e.g. "CommandOrControl+Shift+Space"): parsing,
 * validation, platform resolution, conflict detection and user-facing messages. Pure: no Electron, no I/O, so the
 * settings UI, the settings contract and the main-process hotkey adapter all use the same rules.
 */

export type HotkeyPlatform = 'darwin' | 'win32' | 'linux'

/** Modifiers as written in an accelerator, canonical spelling. */
export type ModifierToken = 'CommandOrControl' | 'Command' | 'Control' | 'Alt' | 'AltGr' | 'Shift' | 'Super'

/** Physical modifiers after resolving CommandOrControl/Super for a platform. */
export type PhysicalModifier = 'ctrl' | 'alt' | 'altgr' | 'shift' | 'meta'

export interface ParsedAccelerator {
  modifiers: ModifierToken[]
  key: string
  /** Canonical spelling: modifiers in a fixed order, canonical key name ("CommandOrControl+Shift+Space"). */
  canonical: string
}

export type ParseResult = { ok: true; accelerator: ParsedAccelerator } | { ok: false; error: string }

const MODIFIER_ALIASES: Record<string, ModifierToken> = {
  commandorcontrol: 'CommandOrControl',
  cmdorctrl: 'CommandOrControl',
  command: 'Command',
  cmd: 'Command',
  control: 'Control',
  ctrl: 'Control',
  alt: 'Alt',
  option: 'Alt',
  altgr: 'AltGr',
  shift: 'Shift',
  super: 'Super',
  meta: 'Super'
}

const MODIFIER_ORDER: ModifierToken[] = ['CommandOrControl', 'Command', 'Control', 'Alt', 'AltGr', 'Shift', 'Super']

const NAMED_KEYS = [
  'Plus', 'Space', 'Tab', 'Capslock', 'Numlock', 'Scrolllock', 'Backspace', 'Delete', 'Insert', 'Enter',
  'Up', 'Down', 'Left', 'Right', 'Home', 'End', 'PageUp', 'PageDown', 'Escape',
  'VolumeUp', 'VolumeDown', 'VolumeMute', 'MediaNextTrack', 'MediaPreviousTrack', 'MediaStop', 'MediaPlayPause',
  'PrintScreen',
  'num0', 'num1', 'num2', 'num3', 'num4', 'num5', 'num6', 'num7', 'num8', 'num9',
  'numdec', 'numadd', 'numsub', 'nummult', 'numdiv'
]
const KEY_ALIASES: Record<string, string> = { return: 'Enter', esc: 'Escape' }
const NAMED_BY_LOWER = new Map(NAMED_KEYS.map((k) => [k.toLowerCase(), k]))
/** Single printable characters Electron accepts as keys ("+" must be written "Plus"). */
const PUNCTUATION = new Set([...')!@#$%^&*(:;=<,_->.?/~`{]}[|\\\'"'])
const FUNCTION_KEY = /^f([1-9]|1[0-9]|2[0-4])$/i

/** Keys that may be a global hotkey on their own: they type nothing, so grabbing them does not break typing. */
export function isStandaloneKey(key: string): boolean {
  return FUNCTION_KEY.test(key) || key.startsWith('Media') || key.startsWith('Volume')
}

function canonicalKey(token: string): string | null {
  if (token.length === 1) {
    if (/^[a-z0-9]$/i.test(token)) return token.toUpperCase()
    if (PUNCTUATION.has(token)) return token
    return null
  }
  const lower = token.toLowerCase()
  if (FUNCTION_KEY.test(lower)) return lower.toUpperCase()
  if (KEY_ALIASES[lower]) return KEY_ALIASES[lower]
  return NAMED_BY_LOWER.get(lower) ?? null
}

export const MAX_ACCELERATOR_LENGTH = 64

/** Parse and validate one accelerator. Errors are sentences meant for the settings page. */
export function parseAccelerator(text: string): ParseResult {
  if (typeof text !== 'string' || text.trim() === '') return { ok: false, error: 'is empty' }
  if (text.length > MAX_ACCELERATOR_LENGTH) return { ok: false, error: `is longer than ${MAX_ACCELERATOR_LENGTH} characters` }
  if (/\s/.test(text.replace(/^\s+|\s+$/g, ''))) return { ok: false, error: 'must not contain spaces (write the Space key as "Space")' }
  const tokens = text.trim().split('+')
  if (tokens.some((t) => t === '')) return { ok: false, error: 'has an empty part (write the + key as "Plus")' }
  const keyToken = tokens[tokens.length - 1]!
  const modifiers: ModifierToken[] = []
  for (const token of tokens.slice(0, -1)) {
    const modifier = MODIFIER_ALIASES[token.toLowerCase()]
    if (!modifier) {
      return canonicalKey(token)
        ? { ok: false, error: `has more than one key ("${token}" is not a modifier; only the last part is the key)` }
        : { ok: false, error: `has an unknown modifier "${token}"` }
    }
    if (modifiers.includes(modifier)) return { ok: false, error: `repeats the modifier ${modifier}` }
    modifiers.push(modifier)
  }
  if (MODIFIER_ALIASES[keyToken.toLowerCase()]) return { ok: false, error: 'has no key, only modifiers' }
  const key = canonicalKey(keyToken)
  if (!key) return { ok: false, error: `has an unknown key "${keyToken}"` }
  if (modifiers.includes('CommandOrControl') && (modifiers.includes('Command') || modifiers.includes('Control'))) {
    return { ok: false, error: 'combines CommandOrControl with Command or Control' }
  }
  const nonShift = modifiers.filter((m) => m !== 'Shift')
  if (nonShift.length === 0 && !isStandaloneKey(key)) {
    return {
      ok: false,
      error: `needs a modifier such as CommandOrControl or Alt (a global "${[...modifiers, key].join('+')}" would stop that key from typing in every app); F1–F24 and media keys may be used alone`
    }
  }
  modifiers.sort((a, b) => MODIFIER_ORDER.indexOf(a) - MODIFIER_ORDER.indexOf(b))
  return { ok: true, accelerator: { modifiers, key, canonical: [...modifiers, key].join('+') } }
}

/** The physical chord an accelerator means on a platform (for comparing two accelerators). */
export function resolveChord(accelerator: ParsedAccelerator, platform: HotkeyPlatform): string {
  const physical = new Set<PhysicalModifier>()
  for (const m of accelerator.modifiers) {
    if (m === 'CommandOrControl') physical.add(platform === 'darwin' ? 'meta' : 'ctrl')
    else if (m === 'Command') physical.add(platform === 'darwin' ? 'meta' : 'ctrl') // Electron maps Command to Ctrl off macOS
    else if (m === 'Control') physical.add('ctrl')
    else if (m === 'Alt') physical.add('alt')
    else if (m === 'AltGr') physical.add('altgr')
    else if (m === 'Shift') physical.add('shift')
    else physical.add('meta')
  }
  const order: PhysicalModifier[] = ['ctrl', 'alt', 'altgr', 'shift', 'meta']
  return [...order.filter((m) => physical.has(m)), accelerator.key].join('+')
}

/**
 * Chords the operating system (or every app) already owns, written as physical chords. A global hotkey on these
 * either never fires or breaks something the user relies on (switching windows, copy/paste, locking the screen).
 */
/** Copy, paste, cut, undo, select all and save: taking one of these would break it in every other app. */
function editingShortcuts(modifier: 'meta' | 'ctrl'): Record<string, string> {
  const actions: Array<[key: string, action: string]> = [['C', 'Copy'], ['V', 'Paste'], ['X', 'Cut'], ['Z', 'Undo'], ['A', 'Select All'], ['S', 'Save']]
  return Object.fromEntries(actions.map(([key, action]) => [`${modifier}+${key}`, `is ${action} in every app`]))
}

const RESERVED: Record<HotkeyPlatform, Record<string, string>> = {
  darwin: {
    'meta+Q': 'quits the front app',
    'meta+W': 'closes windows in every app',
    'meta+H': 'hides the front app',
    'meta+M': 'minimizes windows',
    'meta+Tab': 'switches apps',
    'meta+`': 'switches windows',
    'meta+Space': 'opens Spotlight',
    'ctrl+Space': 'switches input source',
    'alt+meta+Escape': 'opens Force Quit',
    'ctrl+meta+Q': 'locks the screen',
    'shift+meta+3': 'takes a screenshot',
    'shift+meta+4': 'takes a screenshot',
    'shift+meta+5': 'opens the screenshot tool',
    ...editingShortcuts('meta')
  },
  win32: {
    'alt+Tab': 'switches windows',
    'alt+F4': 'closes the window',
    'alt+Escape': 'cycles windows',
    'ctrl+Escape': 'opens the Start menu',
    'ctrl+alt+Delete': 'opens the security screen',
    'ctrl+shift+Escape': 'opens Task Manager',
    'meta+L': 'locks the computer',
    'meta+D': 'shows the desktop',
    'meta+E': 'opens File Explorer',
    'meta+R': 'opens Run',
    'meta+Tab': 'opens Task View',
    ...editingShortcuts('ctrl')
  },
  linux: {
    'alt+Tab': 'switches windows',
    'alt+F4': 'closes the window',
    'alt+F2': 'opens the run dialog',
    'ctrl+alt+Delete': 'logs out or reboots',
    'ctrl+alt+T': 'opens a terminal on many desktops',
    'ctrl+alt+L': 'locks the screen on many desktops',
    'meta+L': 'locks the screen',
    'meta+Tab': 'switches apps',
    'ctrl+alt+Left': 'switches workspaces',
    'ctrl+alt+Right': 'switches workspaces',
    ...editingShortcuts('ctrl')
  }
}

/** Why the OS owns this accelerator on this platform, or null when it is free to use. */
export function reservedReason(accelerator: ParsedAccelerator, platform: HotkeyPlatform): string | null {
  return RESERVED[platform][resolveChord(accelerator, platform)] ?? null
}

export function toHotkeyPlatform(platform: string): HotkeyPlatform {
  return platform === 'darwin' || platform === 'win32' ? platform : 'linux'
}

export interface HotkeyProblem {
  kind: 'invalid' | 'duplicate' | 'reserved'
  /** The hotkey actions (settings field names) involved. */
  actions: string[]
  message: string
}

/**
 * Check a set of bindings (action → accelerator or null = unbound) for one platform: invalid strings, the same
 * chord bound to two actions (including spellings that only coincide on this platform, e.g. CommandOrControl+K and
 * Control+K off macOS), and OS-reserved chords.
 */
export function findHotkeyProblems(
  bindings: Record<string, string | null>,
  platform: HotkeyPlatform,
  labels: Record<string, string> = {}
): HotkeyProblem[] {
  const label = (action: string): string => labels[action] ?? action
  const problems: HotkeyProblem[] = []
  const byChord = new Map<string, string[]>()
  for (const [action, text] of Object.entries(bindings)) {
    if (text === null) continue
    const parsed = parseAccelerator(text)
    if (!parsed.ok) {
      problems.push({ kind: 'invalid', actions: [action], message: `${label(action)}: "${text}" ${parsed.error}` })
      continue
    }
    const reason = reservedReason(parsed.accelerator, platform)
    if (reason) {
      problems.push({
        kind: 'reserved',
        actions: [action],
        message: `${label(action)}: ${formatAccelerator(parsed.accelerator, platform)} ${reason} on ${platformName(platform)}; pick another combination`
      })
    }
    const chord = resolveChord(parsed.accelerator, platform)
    byChord.set(chord, [...(byChord.get(chord) ?? []), action])
  }
  for (const [, actions] of byChord) {
    if (actions.length < 2) continue
    const shown = parseAccelerator(bindings[actions[0]!]!)
    const keys = shown.ok ? formatAccelerator(shown.accelerator, platform) : bindings[actions[0]!]
    problems.push({
      kind: 'duplicate',
      actions,
      message: `${keys} is assigned to both ${actions.map(label).join(' and ')}; each hotkey must be different`
    })
  }
  return problems
}

export interface HotkeyWarning {
  actions: string[]
  message: string
}

/**
 * Chords that can be registered but misbehave: warned about while typing, never refused. On Windows a chord whose
 * only modifier is Alt (Alt+K, Alt+Shift+Space) fights the focused app's menus: Alt+letter is a menu access key in
 * most Windows apps, and where the chord's key is taken by the system hotkey the app sees Alt go down and up alone,
 * which opens its menu bar and takes the keyboard focus from what the user was typing in.
 */
export function findHotkeyWarnings(bindings: Record<string, string | null>, platform: HotkeyPlatform, labels: Record<string, string> = {}): HotkeyWarning[] {
  if (platform !== 'win32') return []
  const warnings: HotkeyWarning[] = []
  for (const [action, text] of Object.entries(bindings)) {
    if (text === null) continue
    const parsed = parseAccelerator(text)
    if (!parsed.ok || reservedReason(parsed.accelerator, platform)) continue
    const mods = resolveChord(parsed.accelerator, platform).split('+').slice(0, -1)
    if (!mods.includes('alt') || mods.some((m) => m !== 'alt' && m !== 'shift')) continue
    warnings.push({
      actions: [action],
      message: `${labels[action] ?? action}: ${formatAccelerator(parsed.accelerator, platform)} uses Alt as its only modifier; on Windows that opens the focused app's menus (Alt+letter is a menu key, and Alt pressed and released alone opens the menu bar). Add Ctrl or Win.`
    })
  }
  return warnings
}

export function platformName(platform: HotkeyPlatform): string {
  return platform === 'darwin' ? 'macOS' : platform === 'win32' ? 'Windows' : 'Linux'
}

/** How the chord is shown to the user on a platform ("Ctrl+Shift+Space", "Cmd+Shift+Space"). */
export function formatAccelerator(accelerator: ParsedAccelerator, platform: HotkeyPlatform): string {
  const names: Record<ModifierToken, string> = {
    CommandOrControl: platform === 'darwin' ? 'Cmd' : 'Ctrl',
    Command: platform === 'darwin' ? 'Cmd' : 'Ctrl',
    Control: 'Ctrl',
    Alt: platform === 'darwin' ? 'Option' : 'Alt',
    AltGr: 'AltGr',
    Shift: 'Shift',
    Super: platform === 'darwin' ? 'Cmd' : platform === 'win32' ? 'Win' : 'Super'
  }
  return [...accelerator.modifiers.map((m) => names[m]), accelerator.key].join('+')
}

/**
 * The message shown when the OS refuses to register a hotkey (Electron's globalShortcut.register returns false when
 * another application holds the chord; Wayland sessions may refuse all global shortcuts).
 */
export function describeRegistrationFailure(input: {
  actionLabel: string
  accelerator: string
  platform: HotkeyPlatform
  waylandSession?: boolean
}): string {
  const parsed = parseAccelerator(input.accelerator)
  const shown = parsed.ok ? formatAccelerator(parsed.accelerator, input.platform) : input.accelerator
  const base = `Could not register ${shown} for ${input.actionLabel}`
  if (!parsed.ok) return `${base}: "${input.accelerator}" ${parsed.error}. Change it in Settings → Hotkeys.`
  const why = input.waylandSession
    ? 'this Wayland session does not let apps register global shortcuts (add one in your desktop settings that runs the app, or log in to an X11 session)'
    : 'another application (or the system) already uses it'
  return `${base}: ${why}. Pick a different combination in Settings → Hotkeys.`
}

/** The subset of a KeyboardEvent the recorder needs. */
export interface KeyChord {
  key: string
  code: string
  ctrlKey: boolean
  altKey: boolean
  shiftKey: boolean
  metaKey: boolean
}

const CODE_KEYS: Record<string, string> = {
  Space: 'Space', Tab: 'Tab', Enter: 'Enter', NumpadEnter: 'Enter', Backspace: 'Backspace', Delete: 'Delete',
  Insert: 'Insert', Escape: 'Escape', ArrowUp: 'Up', ArrowDown: 'Down', ArrowLeft: 'Left', ArrowRight: 'Right',
  Home: 'Home', End: 'End', PageUp: 'PageUp', PageDown: 'PageDown', PrintScreen: 'PrintScreen',
  Minus: '-', Equal: '=', BracketLeft: '[', BracketRight: ']', Backslash: '\\', Semicolon: ';', Quote: "'",
  Comma: ',', Period: '.', Slash: '/', Backquote: '`', NumpadAdd: 'numadd', NumpadSubtract: 'numsub',
  NumpadMultiply: 'nummult', NumpadDivide: 'numdiv', NumpadDecimal: 'numdec',
  AudioVolumeUp: 'VolumeUp', AudioVolumeDown: 'VolumeDown', AudioVolumeMute: 'VolumeMute',
  MediaTrackNext: 'MediaNextTrack', MediaTrackPrevious: 'MediaPreviousTrack', MediaStop: 'MediaStop', MediaPlayPause: 'MediaPlayPause'
}

/**
 * Turn a keydown in the settings page's "record" box into an accelerator, by physical key (event.code) so the
 * result does not depend on the keyboard layout or on Shift changing the character. Returns null while only
 * modifiers are held or for keys accelerators cannot express.
 */
export function acceleratorFromKeyChord(chord: KeyChord, platform: HotkeyPlatform): string | null {
  let key: string | null
  const { code } = chord
  if (/^Key[A-Z]$/.test(code)) key = code.slice(3)
  else if (/^Digit[0-9]$/.test(code)) key = code.slice(5)
  else if (/^Numpad[0-9]$/.test(code)) key = `num${code.slice(6)}`
  else if (/^F([1-9]|1[0-9]|2[0-4])$/.test(code)) key = code
  else key = CODE_KEYS[code] ?? null
  if (!key) return null
  const modifiers: ModifierToken[] = []
  if (platform === 'darwin') {
    if (chord.metaKey) modifiers.push('CommandOrControl')
    if (chord.ctrlKey) modifiers.push('Control')
  } else {
    if (chord.ctrlKey) modifiers.push('CommandOrControl')
    if (chord.metaKey) modifiers.push('Super')
  }
  if (chord.altKey) modifiers.push('Alt')
  if (chord.shiftKey) modifiers.push('Shift')
  modifiers.sort((a, b) => MODIFIER_ORDER.indexOf(a) - MODIFIER_ORDER.indexOf(b))
  return [...modifiers, key].join('+')
}

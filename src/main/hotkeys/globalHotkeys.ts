import type { AssistantStatus, UserCommand } from '../../shared/contract/api'
import type { Outcome } from '../../shared/contract/dispatch'
import { hotkeyActionLabels, type HotkeySettings, type Settings, type SettingsPatch } from '../../shared/contract/settings'
import { describeRegistrationFailure, findHotkeyProblems, parseAccelerator, type HotkeyPlatform } from '../../shared/hotkeys/accelerator'
import type { GlobalShortcutLike } from './pushToTalkHotkey'
import { silentLogger, type Logger } from '../../shared/logging/logger'

/**
 * The press-to-act global hotkeys (start/stop listening, mute, show window, latency overlay), registered with
 * Electron's globalShortcut. Push-to-talk is not here: it needs key-up events (wirePushToTalk in ./pushToTalkHotkey.ts).
 * Which chords get registered and what a press does are pure functions (planGlobalHotkeys, hotkeyOutcome); the
 * wiring keeps the registrations in step with the settings. Electron's objects are injected: no Electron import.
 */

export const PRESS_HOTKEY_ACTIONS = ['toggleListening', 'toggleMute', 'showWindow', 'toggleLatencyOverlay'] as const
export type PressHotkeyAction = (typeof PRESS_HOTKEY_ACTIONS)[number]

export interface HotkeyPlan {
  /** Chords to register (canonical accelerator spelling). */
  register: Array<{ action: PressHotkeyAction; accelerator: string }>
  /** Bound actions that must not be registered, with the reason shown to the user. */
  skipped: Array<{ action: PressHotkeyAction; accelerator: string; message: string }>
}

/**
 * Which press hotkeys to register. Settings saved through the api are already free of conflicts, but a file edited
 * by hand or copied from another OS is not: an invalid, OS-reserved or duplicated binding is skipped with its
 * reason. Of two actions sharing a chord the first in settings order keeps it (push-to-talk before all others).
 */
export function planGlobalHotkeys(hotkeys: HotkeySettings, platform: HotkeyPlatform): HotkeyPlan {
  const ordered: Record<string, string | null> = { pushToTalk: hotkeys.pushToTalk }
  for (const action of PRESS_HOTKEY_ACTIONS) ordered[action] = hotkeys[action]
  const problems = findHotkeyProblems(ordered, platform, hotkeyActionLabels)
  const plan: HotkeyPlan = { register: [], skipped: [] }
  for (const action of PRESS_HOTKEY_ACTIONS) {
    const text = hotkeys[action]
    if (text === null) continue
    const own = problems.filter((p) => p.actions.includes(action) && !(p.kind === 'duplicate' && p.actions[0] === action))
    const parsed = parseAccelerator(text)
    if (own.length > 0 || !parsed.ok) {
      const reasons = own.length > 0 ? own.map((p) => p.message) : [`${hotkeyActionLabels[action]}: "${text}" is not a valid hotkey`]
      plan.skipped.push({ action, accelerator: text, message: `Hotkey not registered — ${reasons.join('; ')}. Change it in Settings → Hotkeys.` })
      continue
    }
    plan.register.push({ action, accelerator: parsed.accelerator.canonical })
  }
  return plan
}

export type HotkeyOutcome =
  | { type: 'command'; command: UserCommand['command'] }
  | { type: 'toggleWindow' }
  | { type: 'updateSettings'; patch: SettingsPatch }

/** What a press does, given what the assistant is doing now (the same choices the tray menu makes). */
export function hotkeyOutcome(action: PressHotkeyAction, state: { assistant: AssistantStatus; settings: Settings }): HotkeyOutcome {
  switch (action) {
    case 'toggleListening':
      return { type: 'command', command: state.assistant.activity === 'idle' ? 'startListening' : 'stopListening' }
    case 'toggleMute':
      return { type: 'command', command: 'toggleMute' }
    case 'showWindow':
      return { type: 'toggleWindow' }
    case 'toggleLatencyOverlay':
      return { type: 'updateSettings', patch: { ui: { showLatencyOverlay: !state.settings.ui.showLatencyOverlay } } }
  }
}

/** The parts of AppCore the wiring uses (so it is testable without Electron). */
export interface GlobalHotkeysCore {
  events: {
    on(event: 'settingsChanged', listener: (settings: Settings) => void): () => void
    emit(event: 'userCommand', payload: UserCommand): void
  }
  settings: { get(): Settings }
  readonly assistantStatus: AssistantStatus
  dispatch(method: 'updateSettings', params: SettingsPatch): Promise<Outcome>
}

export interface GlobalHotkeysDeps {
  globalShortcut: GlobalShortcutLike
  platform: HotkeyPlatform
  /** Wayland sessions refuse global shortcuts: the failure message then says so. */
  waylandSession?: boolean
  toggleWindow(): void
  /** Shown to the user once per problem (a notice in the window). */
  notify(message: string): void
  logger?: Logger
}

/**
 * Keep the press hotkeys registered as the settings say, re-registering on every settings change (only what
 * changed). A chord the OS refuses is reported once with describeRegistrationFailure and not retried until its
 * binding changes. Returns a function that unregisters everything.
 */
export function wireGlobalHotkeys(core: GlobalHotkeysCore, deps: GlobalHotkeysDeps): () => void {
  const logger = deps.logger ?? silentLogger
  /** Registered now: action → canonical accelerator. */
  const active = new Map<PressHotkeyAction, string>()
  /** Refused by the OS: action → accelerator (not retried, not re-reported, until the binding changes). */
  const refused = new Map<PressHotkeyAction, string>()
  /** Skipped by the plan: action → message already shown. */
  const reported = new Map<PressHotkeyAction, string>()

  const press = (action: PressHotkeyAction): void => {
    const outcome = hotkeyOutcome(action, { assistant: core.assistantStatus, settings: core.settings.get() })
    if (outcome.type === 'command') core.events.emit('userCommand', { command: outcome.command })
    else if (outcome.type === 'toggleWindow') deps.toggleWindow()
    else {
      void core.dispatch('updateSettings', outcome.patch).then(
        (result) => {
          if (!result.ok) deps.notify(`${hotkeyActionLabels[action]}: ${result.error.issues?.join('; ') ?? result.error.message}`)
        },
        (error: Error) => deps.notify(`${hotkeyActionLabels[action]}: ${error.message}`)
      )
    }
  }

  const apply = (settings: Settings): void => {
    const plan = planGlobalHotkeys(settings.hotkeys, deps.platform)
    const wanted = new Map(plan.register.map((r) => [r.action, r.accelerator]))
    // Unregister first, so two actions swapping chords both end up registered.
    for (const [action, accelerator] of [...active]) {
      if (wanted.get(action) === accelerator) continue
      deps.globalShortcut.unregister(accelerator)
      active.delete(action)
    }
    for (const action of PRESS_HOTKEY_ACTIONS) {
      if (refused.has(action) && refused.get(action) !== wanted.get(action)) refused.delete(action)
    }
    const skipped = new Map(plan.skipped.map((s) => [s.action, s.message]))
    for (const action of PRESS_HOTKEY_ACTIONS) {
      const message = skipped.get(action)
      if (message === undefined) reported.delete(action)
      else if (reported.get(action) !== message) {
        reported.set(action, message)
        logger.warn('hotkey not registered', { action, problem: message })
        deps.notify(message)
      }
    }
    for (const { action, accelerator } of plan.register) {
      if (active.get(action) === accelerator || refused.get(action) === accelerator) continue
      let ok: boolean
      try {
        ok = deps.globalShortcut.register(accelerator, () => press(action))
      } catch (error) {
        logger.warn('registering a hotkey threw', { action, accelerator, error: (error as Error).message })
        ok = false
      }
      if (ok) {
        active.set(action, accelerator)
        logger.info('hotkey registered', { action: hotkeyActionLabels[action], accelerator })
      } else {
        refused.set(action, accelerator)
        const message = describeRegistrationFailure({ actionLabel: hotkeyActionLabels[action], accelerator, platform: deps.platform, waylandSession: deps.waylandSession })
        logger.warn('hotkey refused by the system', { action, accelerator, problem: message })
        deps.notify(message)
      }
    }
  }

  apply(core.settings.get())
  const off = core.events.on('settingsChanged', apply)
  return () => {
    off()
    for (const accelerator of active.values()) deps.globalShortcut.unregister(accelerator)
    active.clear()
  }
}

import { describeRegistrationFailure, parseAccelerator, resolveChord, type HotkeyPlatform } from '../../shared/hotkeys/accelerator'
import { DEFAULT_PUSH_TO_TALK_CONFIG, PushToTalkMachine, type ListeningMode, type PushToTalkEffect, type PushToTalkInput } from '../../shared/voice/pushToTalk'

/**
 * Push-to-talk hotkey adapter. Hold mode needs key-up events, which Electron's globalShortcut does not give: it uses
 * uiohook-napi (a global keyboard hook) where it loads and starts. Where it does not (Wayland, missing accessibility
 * permission on macOS, no prebuilt binary) it falls back to globalShortcut in toggle mode. All decisions are made by
 * the pure PushToTalkMachine; this file only turns OS key events into its inputs and its effects into callbacks.
 * Electron's objects are injected, so this module is testable without Electron.
 */

export interface GlobalShortcutLike {
  register(accelerator: string, callback: () => void): boolean
  unregister(accelerator: string): void
}

export interface KeyEventLike {
  keycode: number
  altKey: boolean
  ctrlKey: boolean
  metaKey: boolean
  shiftKey: boolean
}

export interface UiohookLike {
  on(event: 'keydown' | 'keyup', listener: (e: KeyEventLike) => void): unknown
  off(event: 'keydown' | 'keyup', listener: (e: KeyEventLike) => void): unknown
  start(): void
  stop(): void
}

export interface PushToTalkHotkeyOptions {
  accelerator: string
  /** hold / toggle as the user chose; auto = hold if uiohook works, toggle otherwise. hands-free: press toggles. */
  style: 'auto' | 'hold' | 'toggle' | 'hands-free'
  platform: HotkeyPlatform
  globalShortcut: GlobalShortcutLike
  /** Loads uiohook-napi's hook (null if unavailable); called only when hold mode is wanted. */
  loadUiohook: () => Promise<{ hook: UiohookLike; keycodes: Record<string, number> } | null>
  onEffect: (effect: PushToTalkEffect) => void
  log?: (line: string) => void
  now?: () => number
}

export interface PushToTalkHotkey {
  /** The mode actually in use (hold needs uiohook). */
  readonly mode: ListeningMode
  readonly machine: PushToTalkMachine
  /** Tell the machine the pipeline finished / the VAD committed (hands-free). */
  send(input: PushToTalkInput): void
  dispose(): void
}

/** uiohook key name for an accelerator key ("Space" → "Space", "A" → "A", "F5" → "F5"), or null. */
function uiohookKeyName(key: string, keycodes: Record<string, number>): string | null {
  if (key in keycodes) return key
  const aliases: Record<string, string> = { Return: 'Enter', Esc: 'Escape', Plus: 'Equal', Up: 'ArrowUp', Down: 'ArrowDown', Left: 'ArrowLeft', Right: 'ArrowRight' }
  const alias = aliases[key]
  return alias && alias in keycodes ? alias : null
}

export async function registerPushToTalkHotkey(opts: PushToTalkHotkeyOptions): Promise<PushToTalkHotkey> {
  const log = opts.log ?? (() => undefined)
  const now = opts.now ?? (() => Date.now())
  const parsed = parseAccelerator(opts.accelerator)
  if (!parsed.ok) throw new Error(`push-to-talk hotkey "${opts.accelerator}" ${parsed.error}`)
  const chord = resolveChord(parsed.accelerator, opts.platform).split('+')
  const key = chord.pop()!
  const mods = new Set(chord)

  let timer: ReturnType<typeof setTimeout> | null = null
  let machine!: PushToTalkMachine
  const send = (input: PushToTalkInput): void => {
    const step = machine.send(input)
    for (const effect of step.effects) opts.onEffect(effect)
    if (timer) clearTimeout(timer)
    timer = step.deadline === null ? null : setTimeout(() => send({ type: 'tick', at: now() }), Math.max(0, step.deadline - now()))
  }

  const wantHold = opts.style === 'hold' || opts.style === 'auto'
  if (wantHold) {
    let loaded: Awaited<ReturnType<PushToTalkHotkeyOptions['loadUiohook']>> = null
    try {
      loaded = await opts.loadUiohook()
    } catch (error) {
      log(`hotkeys: global key hook unavailable (${(error as Error).message})`)
    }
    const keyName = loaded ? uiohookKeyName(key, loaded.keycodes) : null
    if (loaded && keyName) {
      const { hook } = loaded
      const code = loaded.keycodes[keyName]!
      const modsHeld = (e: KeyEventLike): boolean =>
        mods.has('ctrl') === e.ctrlKey && mods.has('alt') === e.altKey && mods.has('shift') === e.shiftKey && mods.has('meta') === e.metaKey
      // Key-down needs the exact chord; key-up of the main key ends it whatever modifiers were released first.
      const down = (e: KeyEventLike): void => {
        if (e.keycode === code && modsHeld(e)) send({ type: 'keyDown', at: now() })
      }
      const up = (e: KeyEventLike): void => {
        if (e.keycode === code) send({ type: 'keyUp', at: now() })
      }
      try {
        hook.on('keydown', down)
        hook.on('keyup', up)
        hook.start()
        machine = new PushToTalkMachine({ ...DEFAULT_PUSH_TO_TALK_CONFIG, mode: 'hold' })
        log(`hotkeys: push-to-talk ${opts.accelerator} (hold, global key hook)`)
        return {
          mode: 'hold',
          machine,
          send,
          dispose() {
            if (timer) clearTimeout(timer)
            hook.off('keydown', down)
            hook.off('keyup', up)
            hook.stop()
          }
        }
      } catch (error) {
        hook.off('keydown', down)
        hook.off('keyup', up)
        log(`hotkeys: global key hook failed to start (${(error as Error).message}); using toggle mode`)
      }
    } else if (loaded) log(`hotkeys: key ${key} has no global key hook code; using toggle mode`)
    if (opts.style === 'hold') log('hotkeys: hold-to-talk is not available here (no global key-up events, e.g. Wayland); press once to start, again to stop')
  }

  const mode: ListeningMode = opts.style === 'hands-free' ? 'hands-free' : 'toggle'
  machine = new PushToTalkMachine({ ...DEFAULT_PUSH_TO_TALK_CONFIG, mode })
  const accelerator = parsed.accelerator.canonical
  if (!opts.globalShortcut.register(accelerator, () => send({ type: 'toggle', at: now() }))) {
    throw new Error(`push-to-talk hotkey ${opts.accelerator} is taken by another application`)
  }
  log(`hotkeys: push-to-talk ${opts.accelerator} (${mode}, globalShortcut)`)
  return {
    mode,
    machine,
    send,
    dispose() {
      if (timer) clearTimeout(timer)
      opts.globalShortcut.unregister(accelerator)
    }
  }
}

/** The real uiohook-napi, loaded lazily (a native module that may be missing or refuse to start). */
export async function loadUiohookNapi(): Promise<{ hook: UiohookLike; keycodes: Record<string, number> } | null> {
  if (process.platform === 'linux' && process.env.XDG_SESSION_TYPE === 'wayland') return null // no global hook on Wayland
  const mod = (await import('uiohook-napi')) as unknown as { uIOhook: UiohookLike; UiohookKey: Record<string, number> }
  return { hook: mod.uIOhook, keycodes: mod.UiohookKey }
}

/** The parts of AppCore the push-to-talk wiring uses (so it is testable without Electron). */
export interface PushToTalkCore {
  events: {
    on(event: 'settingsChanged', l: (s: PushToTalkSettings) => void): () => void
    on(event: 'vadEvent', l: (e: { type: string }) => void): () => void
    emit(event: 'userCommand', payload: { command: 'startListening' | 'stopListening' }): void
  }
  settings: { get(): PushToTalkSettings }
  vad: { flush(): void; reset(): void }
}
export interface PushToTalkSettings {
  hotkeys: { pushToTalk: string | null }
  listening: { mode: 'push-to-talk' | 'hands-free'; pushToTalkStyle: 'auto' | 'hold' | 'toggle' }
}

/**
 * Keep the push-to-talk hotkey registered as the settings say: its effects become userCommand events for the window
 * (which owns the mic) and flush/reset of the local VAD stream; in hands-free mode the VAD's end of utterance moves
 * the machine to Processing. Returns a function that unregisters everything.
 */
export function wirePushToTalk(
  core: PushToTalkCore,
  deps: Pick<PushToTalkHotkeyOptions, 'globalShortcut' | 'loadUiohook' | 'platform' | 'log'> & {
    /** Told (once per binding) when the OS refuses the chord; a notice in the window. */
    notify?(message: string): void
    waylandSession?: boolean
  }
): () => void {
  let current: PushToTalkHotkey | null = null
  let key = ''
  let generation = 0
  const onEffect = (effect: PushToTalkEffect): void => {
    if (effect === 'startCapture') core.events.emit('userCommand', { command: 'startListening' })
    if (effect === 'commitUtterance' || effect === 'cancelCapture') {
      if (effect === 'commitUtterance') core.vad.flush()
      else core.vad.reset()
      core.events.emit('userCommand', { command: 'stopListening' })
    }
  }
  const apply = (settings: PushToTalkSettings): void => {
    const accelerator = settings.hotkeys.pushToTalk
    const style = settings.listening.mode === 'hands-free' ? 'hands-free' : settings.listening.pushToTalkStyle
    const next = `${accelerator}|${style}`
    if (next === key) return
    key = next
    current?.dispose()
    current = null
    if (!accelerator) return
    const mine = ++generation
    registerPushToTalkHotkey({ ...deps, accelerator, style, onEffect }).then(
      (hotkey) => {
        if (mine === generation) current = hotkey
        else hotkey.dispose()
      },
      (error: Error) => {
        deps.log?.(`hotkeys: ${error.message}`)
        if (mine === generation) deps.notify?.(describeRegistrationFailure({ actionLabel: 'Push to talk', accelerator, platform: deps.platform, waylandSession: deps.waylandSession }))
      }
    )
  }
  apply(core.settings.get())
  const offs = [
    core.events.on('settingsChanged', apply),
    core.events.on('vadEvent', (e) => {
      if (e.type === 'end_of_utterance') current?.send({ type: 'endOfUtterance', at: Date.now() })
    })
  ]
  return () => {
    generation++
    offs.forEach((off) => off())
    current?.dispose()
    current = null
  }
}

import { spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import type { TalkCommand, TalkCommandResult, TalkKeySource, TalkKeyStatus } from '../../shared/contract/talk'
import { describeRegistrationFailure, formatAccelerator, parseAccelerator, resolveChord, type HotkeyPlatform } from '../../shared/hotkeys/accelerator'
import type { ListeningMode, PushToTalkEffect } from '../../shared/voice/pushToTalk'
import { TalkController } from './talkController'
import { silentLogger, type Logger } from '../../shared/logging/logger'

/**
 * Push-to-talk hotkey adapter. Hold mode needs key-up events, which Electron's globalShortcut does not give: it uses
 * uiohook-napi (a global keyboard hook) where it loads and starts, else the XDG GlobalShortcuts portal (Wayland
 * desktops that offer it: press and release signals). Where neither works it falls back to globalShortcut in toggle
 * mode, and where that is refused too (or in browser mode, which has no globalShortcut) the command-line trigger is
 * the way (`voice-assistant --toggle`, bound in the desktop's keyboard settings). All decisions are made by the pure
 * PushToTalkMachine inside one TalkController; this file only turns key events into its inputs. Electron's objects
 * are injected, so this module is testable without Electron.
 *
 * Synthetic key events are accepted on purpose: remappers (AutoHotkey, Logi Options, keyd, xremap) and xdotool
 * inject their keys (Windows LLKHF_INJECTED, X11 XTEST), and people bind the talk key through them. libuiohook passes
 * injected events on (its X11 hook records every client's input through XRecord; its Windows hook does not look at
 * the injected flag) and nothing here filters them; test/e2e/talkKey.test.ts drives the hook with xdotool's XTEST
 * events only.
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

/** A bound key with press and release that is not the key hook: the Wayland GlobalShortcuts portal's binding. */
export interface HoldKeyBinding {
  /** The key as the desktop shows it (it may differ from the chord asked for: the desktop lets the user choose). */
  trigger: string
  dispose(): void
}
/** Bind the chord through the portal; rejects with the reason when the desktop offers no portal or refuses. */
export type OpenHoldPortal = (request: { accelerator: string; onDown(): void; onUp(): void }) => Promise<HoldKeyBinding>

export interface PushToTalkHotkeyOptions {
  accelerator: string
  /** hold / toggle as the user chose; auto = hold if a key-up source works, toggle otherwise. hands-free: press toggles. */
  style: 'auto' | 'hold' | 'toggle' | 'hands-free'
  platform: HotkeyPlatform
  /** Electron's globalShortcut (press-only); absent in browser mode. */
  globalShortcut?: GlobalShortcutLike
  /** Loads uiohook-napi's hook (null if unavailable); called only when hold mode is wanted. */
  loadUiohook: () => Promise<{ hook: UiohookLike; keycodes: Record<string, number> } | null>
  /** The Wayland portal, tried for hold mode when the key hook is unavailable. */
  openPortal?: OpenHoldPortal
  onEffect: (effect: PushToTalkEffect) => void
  logger?: Logger
  now?: () => number
}

export interface PushToTalkHotkey {
  /** The mode actually in use (hold needs a key-up source). */
  readonly mode: ListeningMode
  /** Where the key comes from. */
  readonly source: Exclude<TalkKeySource, 'none'>
  /** One sentence for the Settings page. */
  readonly detail: string
  readonly controller: TalkController
  dispose(): void
}

/** The chord could not be registered at all; `holdNotes` say why hold-to-talk was not available either. */
export class PushToTalkUnavailableError extends Error {
  constructor(
    message: string,
    readonly holdNotes: string[],
    /** taken: the OS or another app holds the chord. no-shortcuts: this process has no press-only shortcuts. */
    readonly kind: 'taken' | 'no-shortcuts'
  ) {
    super(message)
    this.name = 'PushToTalkUnavailableError'
  }
}

function formatChord(accelerator: string, platform: HotkeyPlatform): string {
  const parsed = parseAccelerator(accelerator)
  return parsed.ok ? formatAccelerator(parsed.accelerator, platform) : accelerator
}

/** uiohook key name for an accelerator key ("Space" → "Space", "A" → "A", "F5" → "F5"), or null. */
function uiohookKeyName(key: string, keycodes: Record<string, number>): string | null {
  if (key in keycodes) return key
  const aliases: Record<string, string> = { Return: 'Enter', Esc: 'Escape', Plus: 'Equal', Up: 'ArrowUp', Down: 'ArrowDown', Left: 'ArrowLeft', Right: 'ArrowRight' }
  const alias = aliases[key]
  return alias && alias in keycodes ? alias : null
}

export async function registerPushToTalkHotkey(opts: PushToTalkHotkeyOptions): Promise<PushToTalkHotkey> {
  const logger = opts.logger ?? silentLogger
  const now = opts.now ?? (() => Date.now())
  const parsed = parseAccelerator(opts.accelerator)
  if (!parsed.ok) throw new Error(`push-to-talk hotkey "${opts.accelerator}" ${parsed.error}`)
  const shown = formatAccelerator(parsed.accelerator, opts.platform)
  const chord = resolveChord(parsed.accelerator, opts.platform).split('+')
  const key = chord.pop()!
  const mods = new Set(chord)
  /** Why hold-to-talk is not available, for the log and the Settings page. */
  const holdNotes: string[] = []

  const wantHold = opts.style === 'hold' || opts.style === 'auto'
  if (wantHold) {
    let loaded: Awaited<ReturnType<PushToTalkHotkeyOptions['loadUiohook']>> = null
    try {
      loaded = await opts.loadUiohook()
      if (!loaded) holdNotes.push('no global key hook in a Wayland session')
    } catch (error) {
      holdNotes.push(`global key hook unavailable: ${(error as Error).message}`)
      logger.info('global key hook unavailable', { error: (error as Error).message })
    }
    const keyName = loaded ? uiohookKeyName(key, loaded.keycodes) : null
    if (loaded && keyName) {
      const { hook } = loaded
      const code = loaded.keycodes[keyName]!
      const controller = new TalkController('hold', opts.onEffect, now)
      const modsHeld = (e: KeyEventLike): boolean =>
        mods.has('ctrl') === e.ctrlKey && mods.has('alt') === e.altKey && mods.has('shift') === e.shiftKey && mods.has('meta') === e.metaKey
      // Key-down needs the exact chord; key-up of the main key ends it whatever modifiers were released first.
      const down = (e: KeyEventLike): void => {
        if (e.keycode === code && modsHeld(e)) controller.send({ type: 'keyDown', at: now() })
      }
      const up = (e: KeyEventLike): void => {
        if (e.keycode === code) controller.send({ type: 'keyUp', at: now() })
      }
      try {
        hook.on('keydown', down)
        hook.on('keyup', up)
        hook.start()
        logger.info('push-to-talk key bound', { accelerator: opts.accelerator, mode: 'hold', via: 'global key hook' })
        return {
          mode: 'hold',
          source: 'key-hook',
          detail: `Hold ${shown} to talk (global key hook).`,
          controller,
          dispose() {
            controller.dispose()
            hook.off('keydown', down)
            hook.off('keyup', up)
            hook.stop()
          }
        }
      } catch (error) {
        controller.dispose()
        hook.off('keydown', down)
        hook.off('keyup', up)
        holdNotes.push(`global key hook failed to start: ${(error as Error).message}`)
        logger.warn('global key hook failed to start; trying the next way', { error: (error as Error).message })
      }
    } else if (loaded) {
      holdNotes.push(`the global key hook has no code for ${key}`)
      logger.info('key has no global key hook code', { key })
    }
    if (opts.openPortal) {
      const controller = new TalkController('hold', opts.onEffect, now)
      try {
        const binding = await opts.openPortal({
          accelerator: parsed.accelerator.canonical,
          onDown: () => controller.send({ type: 'keyDown', at: now() }),
          onUp: () => controller.send({ type: 'keyUp', at: now() })
        })
        logger.info('push-to-talk key bound', { accelerator: binding.trigger, mode: 'hold', via: 'GlobalShortcuts portal' })
        return {
          mode: 'hold',
          source: 'portal',
          detail: `Hold ${binding.trigger || shown} to talk (the desktop's global shortcuts portal; change the key in the desktop's settings).`,
          controller,
          dispose() {
            controller.dispose()
            binding.dispose()
          }
        }
      } catch (error) {
        controller.dispose()
        holdNotes.push(`no global shortcuts portal: ${(error as Error).message}`)
        logger.info('GlobalShortcuts portal unavailable', { error: (error as Error).message })
      }
    }
    if (opts.style === 'hold') logger.info('hold-to-talk is not available here (no global key-up events, e.g. Wayland); press once to start, again to stop')
  }

  const mode: ListeningMode = opts.style === 'hands-free' ? 'hands-free' : 'toggle'
  const { globalShortcut } = opts
  if (!globalShortcut) throw new PushToTalkUnavailableError(`push-to-talk hotkey ${opts.accelerator}: no press-only global shortcuts in this process`, holdNotes, 'no-shortcuts')
  const controller = new TalkController(mode, opts.onEffect, now)
  const accelerator = parsed.accelerator.canonical
  if (!globalShortcut.register(accelerator, () => controller.send({ type: 'toggle', at: now() }))) {
    controller.dispose()
    throw new PushToTalkUnavailableError(`push-to-talk hotkey ${opts.accelerator} is taken by another application`, holdNotes, 'taken')
  }
  logger.info('push-to-talk key bound', { accelerator: opts.accelerator, mode, via: 'globalShortcut' })
  const why = holdNotes.length > 0 ? ` Hold-to-talk is not available: ${holdNotes.join('; ')}.` : ''
  return {
    mode,
    source: 'global-shortcut',
    detail: mode === 'hands-free' ? `Press ${shown} to turn listening on or off (hands-free).` : `Press ${shown} to start talking and again to send (toggle).${why}`,
    controller,
    dispose() {
      controller.dispose()
      globalShortcut.unregister(accelerator)
    }
  }
}

/**
 * Whether uiohook-napi's hook can start here, tried in a child process: on Linux a hook started without a reachable
 * X server aborts the whole process (libuiohook 1.5.5: "XOpenDisplay failure!", then SIGABRT) instead of throwing,
 * so the app must not find out in-process. Resolves null when it can, else the reason. `execPath` is this process's
 * executable; under Electron it runs as plain Node (ELECTRON_RUN_AS_NODE). Takes about 150 ms, once per process
 * (a hook that starts exits after 30 ms; one that cannot logs "… failure!" and is killed at once).
 */
export async function probeUiohook(env: NodeJS.ProcessEnv = process.env, execPath: string = process.execPath, timeoutMs = 4000): Promise<string | null> {
  const modulePath = createRequire(import.meta.url).resolve('uiohook-napi')
  const script = `const { uIOhook } = require(${JSON.stringify(modulePath)}); uIOhook.start(); setTimeout(() => { uIOhook.stop(); process.exit(0) }, 30)`
  return new Promise((resolve) => {
    const child = spawn(execPath, ['-e', script], { env: { ...env, ELECTRON_RUN_AS_NODE: '1' }, stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < 4096) stderr += chunk.toString()
      // libuiohook logs "... failure!" and then hangs or aborts: no need to wait for the timeout.
      if (/failure|error/i.test(stderr)) child.kill('SIGKILL')
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', (error) => {
      clearTimeout(timer)
      resolve(`could not run the probe (${error.message})`)
    })
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      if (code === 0) return resolve(null)
      const lastLine = stderr.trim().split('\n').filter(Boolean).at(-1)?.trim()
      resolve(`it does not start here (${lastLine ?? (signal ? `${signal}` : `exit code ${code}`)})`)
    })
  })
}

/** The real uiohook-napi, loaded lazily (a native module that may be missing or refuse to start). */
export async function loadUiohookNapi(env: NodeJS.ProcessEnv = process.env): Promise<{ hook: UiohookLike; keycodes: Record<string, number> } | null> {
  if (process.platform === 'linux') {
    if (env.XDG_SESSION_TYPE === 'wayland') return null // no global hook on Wayland
    if (!env.DISPLAY) throw new Error('no X display (DISPLAY is not set)')
    const problem = await probeUiohook(env)
    if (problem) throw new Error(`${problem} (DISPLAY=${env.DISPLAY})`)
  }
  const mod = (await import('uiohook-napi')) as unknown as { uIOhook: UiohookLike; UiohookKey: Record<string, number> }
  return { hook: mod.uIOhook, keycodes: mod.UiohookKey }
}

/** The parts of AppCore the push-to-talk wiring uses (so it is testable without Electron). */
export interface PushToTalkCore {
  events: {
    on(event: 'settingsChanged', l: (s: PushToTalkSettings) => void): () => void
    on(event: 'vadEvent', l: (e: { type: string }) => void): () => void
    on(event: 'assistantStatus', l: (s: { activity: string }) => void): () => void
    emit(event: 'userCommand', payload: { command: 'startListening' | 'stopListening' }): void
  }
  settings: { get(): PushToTalkSettings }
  vad: { flush(): void; reset(): void }
}
export interface PushToTalkSettings {
  hotkeys: { pushToTalk: string | null }
  listening: { mode: 'push-to-talk' | 'hands-free'; pushToTalkStyle: 'auto' | 'hold' | 'toggle' }
}

/** The talk key of a running app: the hotkey from settings, the command-line trigger, and what the Settings page shows. */
export interface TalkKeyService {
  /** A command from the command-line trigger (second instance, browser-mode api). */
  command(command: TalkCommand): TalkCommandResult
  status(): TalkKeyStatus
  dispose(): void
}

export interface TalkKeyDeps extends Pick<PushToTalkHotkeyOptions, 'globalShortcut' | 'loadUiohook' | 'openPortal' | 'platform' | 'logger'> {
  /** Told (once per binding) when the OS refuses the chord; a notice in the window. */
  notify?(message: string): void
  waylandSession?: boolean
  /** The command line to bind in the desktop's keyboard settings (talkCliBinding). */
  cliBinding: string
  /** --show: bring the window up (Electron), or open the page (browser mode). */
  showWindow?(): void
  /** Every change of the status (a talkKeyStatus event for the Settings page). */
  onStatus?(status: TalkKeyStatus): void
}

/**
 * Keep the push-to-talk hotkey registered as the settings say: its effects become userCommand events for the window
 * (which owns the mic) and flush/reset of the local VAD stream; in hands-free mode the VAD's end of utterance moves
 * the machine to Processing, and the assistant going idle (or back to listening after a reply) ends Processing; the
 * machine follows the window's mic in hands-free mode, which the conversation opens without a press. The command-line trigger drives the same
 * machine; while no key is registered (none bound, refused, still being set up) it drives a machine of its own with
 * the mode the settings ask for.
 */
export function wirePushToTalk(core: PushToTalkCore, deps: TalkKeyDeps): TalkKeyService {
  let current: PushToTalkHotkey | null = null
  /** Drives the machine while no key is registered, so the command-line trigger always works. */
  let commandOnly: TalkController | null = null
  let key = ''
  let generation = 0
  /** The assistant's last reported activity (a turn is over when it leaves thinking or speaking). */
  let activity = ''
  let status: TalkKeyStatus = { source: 'none', mode: 'toggle', accelerator: null, detail: 'Starting.', cliBinding: deps.cliBinding }
  const setStatus = (next: TalkKeyStatus): void => {
    status = next
    deps.onStatus?.(next)
  }
  const controller = (): TalkController | null => current?.controller ?? commandOnly
  const onEffect = (effect: PushToTalkEffect): void => {
    if (effect === 'startCapture') core.events.emit('userCommand', { command: 'startListening' })
    if (effect === 'commitUtterance' || effect === 'cancelCapture') {
      if (effect === 'commitUtterance') core.vad.flush()
      else core.vad.reset()
      core.events.emit('userCommand', { command: 'stopListening' })
    }
  }
  /** A machine being replaced must not leave the mic open: what it was hearing is dropped. */
  const retire = (old: TalkController | undefined, dispose: () => void = () => old?.dispose()): void => {
    if (old?.machine.state.phase === 'listening') old.command('cancel')
    dispose()
  }
  const apply = (settings: PushToTalkSettings): void => {
    const accelerator = settings.hotkeys.pushToTalk
    const style = settings.listening.mode === 'hands-free' ? 'hands-free' : settings.listening.pushToTalkStyle
    const next = `${accelerator}|${style}`
    if (next === key) return
    key = next
    if (current) retire(current.controller, current.dispose)
    current = null
    retire(commandOnly ?? undefined)
    const mode: ListeningMode = style === 'hands-free' ? 'hands-free' : style === 'toggle' ? 'toggle' : 'hold'
    commandOnly = new TalkController(mode, onEffect)
    const mine = ++generation
    if (!accelerator) {
      setStatus({ source: 'none', mode, accelerator: null, detail: 'No talk key is set: bind the command below to a key in your desktop\'s keyboard settings, or set one under Hotkeys.', cliBinding: deps.cliBinding })
      return
    }
    setStatus({ source: 'none', mode, accelerator, detail: 'Setting up the talk key…', cliBinding: deps.cliBinding })
    registerPushToTalkHotkey({ ...deps, accelerator, style, onEffect }).then(
      (hotkey) => {
        if (mine !== generation) return hotkey.dispose()
        retire(commandOnly ?? undefined)
        commandOnly = null
        current = hotkey
        setStatus({ source: hotkey.source, mode: hotkey.mode, accelerator, detail: hotkey.detail, cliBinding: deps.cliBinding })
      },
      (error: Error) => {
        deps.logger?.warn('talk key problem', { error: error.message })
        if (mine !== generation) return
        const notes = error instanceof PushToTalkUnavailableError ? error.holdNotes : []
        const bind = "bind the command below to a key in your desktop's keyboard settings."
        let failure: string
        let detail: string
        if (error instanceof PushToTalkUnavailableError && error.kind === 'no-shortcuts') {
          const why = notes.length > 0 ? notes.join('; ') : 'press-to-toggle needs the desktop app\'s global shortcuts (hold-to-talk would use the global key hook)'
          failure = `${formatChord(accelerator, deps.platform)} cannot be heard here: ${why}.`
          detail = `${failure} For a talk key, ${bind}`
        } else {
          failure = describeRegistrationFailure({ actionLabel: 'Push to talk', accelerator, platform: deps.platform, waylandSession: deps.waylandSession })
          detail = `${failure}${notes.length > 0 ? ` Hold-to-talk is not available: ${notes.join('; ')}.` : ''} Meanwhile, ${bind}`
        }
        setStatus({ source: 'none', mode, accelerator, detail, cliBinding: deps.cliBinding })
        deps.notify?.(failure)
      }
    )
  }
  apply(core.settings.get())
  const offs = [
    core.events.on('settingsChanged', apply),
    core.events.on('vadEvent', (e) => {
      if (e.type === 'end_of_utterance') controller()?.send({ type: 'endOfUtterance', at: Date.now() })
    }),
    core.events.on('assistantStatus', (s) => {
      const target = controller()
      const before = activity
      activity = s.activity
      if (!target) return
      const phase = target.machine.state.phase
      // The turn is over when the assistant is idle again, or (hands-free, the mic stays open) when it goes back to
      // listening after thinking or speaking.
      const turnOver = s.activity === 'idle' || (s.activity === 'listening' && (before === 'thinking' || before === 'speaking'))
      if (phase === 'processing' && turnOver) target.send({ type: 'processingDone', at: Date.now() })
      // Hands-free: the machine follows the window's mic (opened on connect, closed by the tray or mute).
      else if (s.activity === 'listening' || s.activity === 'idle') target.send({ type: 'micReported', open: s.activity === 'listening', at: Date.now() })
    })
  ]
  return {
    command(command) {
      if (command === 'show') {
        deps.showWindow?.()
        const phase = controller()?.machine.state.phase ?? 'idle'
        return { command, phase, applied: deps.showWindow !== undefined }
      }
      const target = controller()
      if (!target) return { command, phase: 'idle', applied: false }
      const result = target.command(command)
      deps.logger?.info('talk command', { command, phase: result.phase, applied: result.applied })
      return result
    },
    status: () => status,
    dispose() {
      generation++
      offs.forEach((off) => off())
      current?.dispose()
      current = null
      commandOnly?.dispose()
      commandOnly = null
    }
  }
}

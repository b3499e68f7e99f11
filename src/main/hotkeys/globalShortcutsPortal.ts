import { randomBytes } from 'node:crypto'
import { parseAccelerator } from '../../shared/hotkeys/accelerator'
import type { HoldKeyBinding } from './pushToTalkHotkey'
import type { Logger } from '../../shared/logging/logger'

/**
 * Hold-to-talk on Wayland through the XDG GlobalShortcuts portal (org.freedesktop.portal.GlobalShortcuts, on the
 * session D-Bus; KDE Plasma 6, GNOME 48+, Hyprland's portal): CreateSession, BindShortcuts with the chord as the
 * preferred trigger (the desktop may ask the user to confirm or pick another key), then the Activated / Deactivated
 * signals are key-down / key-up. The session belongs to the D-Bus connection that made it, so one connection lives as
 * long as the binding. The protocol steps that need no bus are pure functions below (tested); the bus is an
 * interface (PortalBus) with one implementation over the npm package @jellybrick/dbus-next, loaded at run time: where
 * it is not installed the portal is reported unavailable with that reason and the app falls back.
 */

export const PORTAL_NAME = 'org.freedesktop.portal.Desktop'
export const PORTAL_PATH = '/org/freedesktop/portal/desktop'
export const SHORTCUTS_IFACE = 'org.freedesktop.portal.GlobalShortcuts'
export const REQUEST_IFACE = 'org.freedesktop.portal.Request'
export const SESSION_IFACE = 'org.freedesktop.portal.Session'
/** The id of our one shortcut in the portal session (the desktop's settings list it under the app). */
export const PUSH_TO_TALK_SHORTCUT_ID = 'push-to-talk'
/** npm package behind PortalBus (pure JavaScript D-Bus client; a maintained fork of dbus-next). */
export const DBUS_PACKAGE = '@jellybrick/dbus-next'

/** The request object a portal call will answer on: /org/freedesktop/portal/desktop/request/SENDER/TOKEN, SENDER
 * being the caller's unique name without the colon and with dots as underscores (the portal spec's rule). */
export function portalRequestPath(uniqueName: string, token: string): string {
  return `${PORTAL_PATH}/request/${uniqueName.replace(/^:/, '').replace(/\./g, '_')}/${token}`
}

/** XKB keysym names for the accelerator keys that are not the same word. */
const KEYSYMS: Record<string, string> = {
  Space: 'space', Enter: 'Return', Escape: 'Escape', Tab: 'Tab', Backspace: 'BackSpace', Delete: 'Delete', Insert: 'Insert',
  Up: 'Up', Down: 'Down', Left: 'Left', Right: 'Right', Home: 'Home', End: 'End', PageUp: 'Page_Up', PageDown: 'Page_Down',
  Capslock: 'Caps_Lock', Numlock: 'Num_Lock', Scrolllock: 'Scroll_Lock', PrintScreen: 'Print', Plus: 'plus',
  VolumeUp: 'XF86AudioRaiseVolume', VolumeDown: 'XF86AudioLowerVolume', VolumeMute: 'XF86AudioMute',
  MediaNextTrack: 'XF86AudioNext', MediaPreviousTrack: 'XF86AudioPrev', MediaStop: 'XF86AudioStop', MediaPlayPause: 'XF86AudioPlay',
  numdec: 'KP_Decimal', numadd: 'KP_Add', numsub: 'KP_Subtract', nummult: 'KP_Multiply', numdiv: 'KP_Divide',
  ')': 'parenright', '!': 'exclam', '@': 'at', '#': 'numbersign', $: 'dollar', '%': 'percent', '^': 'asciicircum', '&': 'ampersand',
  '*': 'asterisk', '(': 'parenleft', ':': 'colon', ';': 'semicolon', '=': 'equal', '<': 'less', ',': 'comma', _: 'underscore',
  '-': 'minus', '>': 'greater', '.': 'period', '?': 'question', '/': 'slash', '~': 'asciitilde', '`': 'grave', '{': 'braceleft',
  ']': 'bracketright', '}': 'braceright', '[': 'bracketleft', '|': 'bar', '\\': 'backslash', "'": 'apostrophe', '"': 'quotedbl'
}

/**
 * The accelerator as the portal's preferred_trigger (the XDG shortcuts format: CTRL, ALT, SHIFT, LOGO then an XKB
 * keysym name: "CTRL+SHIFT+space"), or null for chords the format cannot say (AltGr).
 */
export function portalTrigger(accelerator: string): string | null {
  const parsed = parseAccelerator(accelerator)
  if (!parsed.ok) return null
  const mods: string[] = []
  for (const m of parsed.accelerator.modifiers) {
    if (m === 'AltGr') return null
    const name = m === 'Alt' ? 'ALT' : m === 'Shift' ? 'SHIFT' : m === 'Super' ? 'LOGO' : 'CTRL' // Command/CommandOrControl/Control: Ctrl off macOS
    if (!mods.includes(name)) mods.push(name)
  }
  const { key } = parsed.accelerator
  const keysym = /^num[0-9]$/.test(key) ? `KP_${key.slice(3)}` : /^[A-Z]$/.test(key) ? key.toLowerCase() : (KEYSYMS[key] ?? key)
  return [...mods, keysym].join('+')
}

/** A D-Bus variant's value (dbus-next hands { signature, value } objects). */
export function variantValue(v: unknown): unknown {
  return v !== null && typeof v === 'object' && 'value' in v && 'signature' in v ? (v as { value: unknown }).value : v
}

export type PortalResponse = { ok: true; results: Record<string, unknown> } | { ok: false; reason: string }

/** The body of an org.freedesktop.portal.Request.Response signal: (u response, a{sv} results). */
export function portalResponse(body: unknown[], step: string): PortalResponse {
  const [code, results] = body
  if (code === 0) {
    const plain: Record<string, unknown> = {}
    if (results && typeof results === 'object') for (const [k, v] of Object.entries(results)) plain[k] = variantValue(v)
    return { ok: true, results: plain }
  }
  if (code === 1) return { ok: false, reason: `${step} was cancelled (the desktop's shortcut dialog was dismissed)` }
  return { ok: false, reason: `${step} was refused by the desktop (response ${String(code)})` }
}

/** The trigger the desktop bound for our shortcut, from BindShortcuts' results (a(sa{sv}) shortcuts). */
export function boundTrigger(results: Record<string, unknown>, id: string = PUSH_TO_TALK_SHORTCUT_ID): string | null {
  const shortcuts = results.shortcuts
  if (!Array.isArray(shortcuts)) return null
  for (const entry of shortcuts) {
    if (!Array.isArray(entry) || entry[0] !== id) continue
    const props = entry[1] as Record<string, unknown> | undefined
    const described = props ? variantValue(props.trigger_description) : undefined
    return typeof described === 'string' && described.trim() !== '' ? described : null
  }
  return null
}

export interface PortalSignal {
  path: string
  interface: string
  member: string
  body: unknown[]
}

/** Activated → down, Deactivated → up, for our session and shortcut only (one connection may hold other sessions). */
export function shortcutEdge(signal: PortalSignal, sessionHandle: string, id: string = PUSH_TO_TALK_SHORTCUT_ID): 'down' | 'up' | null {
  if (signal.interface !== SHORTCUTS_IFACE || signal.body[0] !== sessionHandle || signal.body[1] !== id) return null
  return signal.member === 'Activated' ? 'down' : signal.member === 'Deactivated' ? 'up' : null
}

/** The session D-Bus as the portal client needs it. */
export interface PortalBus {
  /** This connection's unique name (":1.42"). */
  readonly uniqueName: string
  /** Call a method and return the reply's body; rejects with the D-Bus error. */
  call(msg: { destination: string; path: string; interface: string; member: string; signature: string; body: unknown[] }): Promise<unknown[]>
  onSignal(listener: (signal: PortalSignal) => void): void
  variant(signature: string, value: unknown): unknown
  close(): void
}

interface DbusNextModule {
  sessionBus(opts?: { busAddress?: string }): DbusNextBus
  Message: new (m: Record<string, unknown>) => unknown
  Variant: new (signature: string, value: unknown) => unknown
}
interface DbusNextBus {
  name: string | null
  on(event: 'connect', l: () => void): void
  on(event: 'error', l: (e: Error) => void): void
  on(event: 'message', l: (m: { type: number; path: string; interface: string; member: string; body: unknown[] }) => void): void
  call(msg: unknown): Promise<{ body: unknown[] } | null>
  disconnect(): void
}
/** D-Bus message type 4 = SIGNAL (the spec's numbering, which dbus-next keeps). */
const SIGNAL_MESSAGE = 4

/** Connect to the session bus through @jellybrick/dbus-next. `load` imports the package (injected by tests that
 * keep it elsewhere). */
export async function connectDbusNext(env: NodeJS.ProcessEnv = process.env, load: () => Promise<unknown> = () => import(/* @vite-ignore */ DBUS_PACKAGE)): Promise<PortalBus> {
  if (!env.DBUS_SESSION_BUS_ADDRESS) throw new Error('no session D-Bus (DBUS_SESSION_BUS_ADDRESS is not set)')
  let mod: DbusNextModule
  try {
    mod = (await load()) as DbusNextModule
  } catch {
    throw new Error(`the D-Bus client package ${DBUS_PACKAGE} is not installed`)
  }
  const bus = mod.sessionBus({ busAddress: env.DBUS_SESSION_BUS_ADDRESS })
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the session D-Bus did not answer within 3 s')), 3000)
    bus.on('connect', () => (clearTimeout(timer), resolve()))
    bus.on('error', (error) => (clearTimeout(timer), reject(new Error(`session D-Bus: ${error.message}`))))
  })
  const listeners: Array<(s: PortalSignal) => void> = []
  bus.on('message', (m) => {
    if (m.type !== SIGNAL_MESSAGE) return
    for (const l of listeners) l({ path: m.path, interface: m.interface, member: m.member, body: m.body })
  })
  return {
    uniqueName: bus.name ?? '',
    async call(msg) {
      const reply = await bus.call(new mod.Message({ type: 1, ...msg }))
      return reply?.body ?? []
    },
    onSignal: (l) => void listeners.push(l),
    variant: (signature, value) => new mod.Variant(signature, value),
    close: () => bus.disconnect()
  }
}

export interface PortalOptions {
  accelerator: string
  onDown(): void
  onUp(): void
  logger?: Logger
  /** The bus (default: the session bus through @jellybrick/dbus-next). */
  connect?: () => Promise<PortalBus>
  /** CreateSession answers at once; BindShortcuts may wait for the user in the desktop's dialog. */
  timeouts?: { createMs: number; bindMs: number }
}

/**
 * Bind push-to-talk through the portal. Resolves once the desktop has bound it (with the trigger as the desktop shows
 * it); rejects with the reason when there is no portal, it has no GlobalShortcuts, or the user or desktop declines.
 */
export async function openGlobalShortcutsPortal(opts: PortalOptions): Promise<HoldKeyBinding> {
  const trigger = portalTrigger(opts.accelerator)
  if (trigger === null) throw new Error(`${opts.accelerator} cannot be written as a portal shortcut`)
  const timeouts = opts.timeouts ?? { createMs: 10_000, bindMs: 120_000 }
  const bus = await (opts.connect ?? (() => connectDbusNext()))()
  /** Response signals by request path; a signal may come before the call's reply names the path. */
  const responses = new Map<string, unknown[]>()
  const waiting = new Map<string, (body: unknown[]) => void>()
  let session: string | null = null
  let closed = false
  bus.onSignal((signal) => {
    if (signal.interface === REQUEST_IFACE && signal.member === 'Response') {
      const waiter = waiting.get(signal.path)
      if (waiter) waiter(signal.body)
      else if (responses.size < 16) responses.set(signal.path, signal.body)
      return
    }
    if (session === null || closed) return
    const edge = shortcutEdge(signal, session)
    if (edge === 'down') opts.onDown()
    else if (edge === 'up') opts.onUp()
  })
  const call = (iface: string, member: string, signature: string, body: unknown[], path = PORTAL_PATH): Promise<unknown[]> =>
    bus.call({ destination: PORTAL_NAME, path, interface: iface, member, signature, body })
  const addMatch = (rule: string): Promise<unknown[]> =>
    bus.call({ destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus', member: 'AddMatch', signature: 's', body: [rule] })
  /** Call a portal method that answers through a Request object, and wait for its Response. */
  const request = async (step: string, member: string, signature: string, body: (token: string) => unknown[], timeoutMs: number): Promise<Record<string, unknown>> => {
    const token = `va_${randomBytes(6).toString('hex')}`
    const expected = portalRequestPath(bus.uniqueName, token)
    let timer: ReturnType<typeof setTimeout> | undefined
    const answer = new Promise<unknown[]>((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`${step}: the portal did not answer within ${Math.round(timeoutMs / 1000)} s`)), timeoutMs)
      waiting.set(expected, resolve)
    })
    try {
      const [handle] = await call(SHORTCUTS_IFACE, member, signature, body(token))
      if (typeof handle === 'string' && handle !== expected) {
        // Portals before version 0.9 chose their own request path: wait on that one.
        const resolve = waiting.get(expected)!
        waiting.delete(expected)
        const early = responses.get(handle)
        if (early) resolve(early)
        else waiting.set(handle, resolve)
      }
      const response = portalResponse(await answer, step)
      if (!response.ok) throw new Error(response.reason)
      return response.results
    } finally {
      clearTimeout(timer)
      waiting.clear()
    }
  }
  try {
    try {
      await bus.call({ destination: PORTAL_NAME, path: PORTAL_PATH, interface: 'org.freedesktop.DBus.Properties', member: 'Get', signature: 'ss', body: [SHORTCUTS_IFACE, 'version'] })
    } catch (error) {
      throw new Error(`this desktop's portal has no GlobalShortcuts (${(error as Error).message})`, { cause: error })
    }
    await addMatch(`type='signal',sender='${PORTAL_NAME}',interface='${REQUEST_IFACE}',member='Response'`)
    await addMatch(`type='signal',sender='${PORTAL_NAME}',interface='${SHORTCUTS_IFACE}'`)
    const created = await request(
      'CreateSession',
      'CreateSession',
      'a{sv}',
      (token) => [{ handle_token: bus.variant('s', token), session_handle_token: bus.variant('s', `va_session_${randomBytes(6).toString('hex')}`) }],
      timeouts.createMs
    )
    const handle = created.session_handle
    if (typeof handle !== 'string' || handle === '') throw new Error('CreateSession answered without a session handle')
    session = handle
    const bound = await request(
      'BindShortcuts',
      'BindShortcuts',
      'oa(sa{sv})sa{sv}',
      (token) => [
        handle,
        [[PUSH_TO_TALK_SHORTCUT_ID, { description: bus.variant('s', 'Push to talk (hold)'), preferred_trigger: bus.variant('s', trigger) }]],
        '',
        { handle_token: bus.variant('s', token) }
      ],
      timeouts.bindMs
    )
    const shown = boundTrigger(bound) ?? trigger
    opts.logger?.info('GlobalShortcuts portal bound push-to-talk', { trigger: shown })
    return {
      trigger: shown,
      dispose() {
        if (closed) return
        closed = true
        void call(SESSION_IFACE, 'Close', '', [], handle)
          .catch(() => undefined)
          .finally(() => bus.close())
      }
    }
  } catch (error) {
    closed = true
    bus.close()
    throw error
  }
}

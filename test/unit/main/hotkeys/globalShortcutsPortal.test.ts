import { describe, expect, it } from 'vitest'
import {
  boundTrigger,
  connectDbusNext,
  openGlobalShortcutsPortal,
  portalRequestPath,
  portalResponse,
  portalTrigger,
  shortcutEdge,
  type PortalBus,
  type PortalSignal
} from '../../../../src/main/hotkeys/globalShortcutsPortal'

const v = (signature: string, value: unknown) => ({ signature, value })
const SESSION = '/org/freedesktop/portal/desktop/session/1_42/va_session'

/** An in-memory portal with the behaviours real ones show: answers on the predicted request path or (before portal
 * 0.9) a path of its own, a Response that can overtake the method reply, no GlobalShortcuts, a dismissed dialog. */
class FakePortalBus implements PortalBus {
  readonly uniqueName = ':1.42'
  calls: string[] = []
  closed = false
  hasShortcuts = true
  ownRequestPaths = false
  responseBeforeReply = false
  silent = false
  bindAnswer: unknown[] = [0, { shortcuts: v('a(sa{sv})', [['push-to-talk', { description: v('s', 'Push to talk (hold)'), trigger_description: v('s', 'Ctrl+Shift+Space') }]]) }]
  preferredTrigger: unknown = null
  private listeners: Array<(s: PortalSignal) => void> = []
  private requests = 0

  onSignal(l: (s: PortalSignal) => void): void {
    this.listeners.push(l)
  }
  emit(s: PortalSignal): void {
    for (const l of this.listeners) l(s)
  }
  variant(signature: string, value: unknown): unknown {
    return v(signature, value)
  }
  close(): void {
    this.closed = true
  }
  async call(msg: { path: string; interface: string; member: string; body: unknown[] }): Promise<unknown[]> {
    this.calls.push(`${msg.interface}.${msg.member}`)
    if (msg.member === 'Get') {
      if (!this.hasShortcuts) throw new Error('No such interface "org.freedesktop.portal.GlobalShortcuts"')
      return [v('u', 1)]
    }
    if (msg.member === 'AddMatch' || msg.member === 'Close') return []
    const options = (msg.member === 'CreateSession' ? msg.body[0] : msg.body[3]) as Record<string, { value: string }>
    if (msg.member === 'BindShortcuts') this.preferredTrigger = ((msg.body[1] as unknown[][])[0]![1] as Record<string, { value: unknown }>).preferred_trigger!.value
    const path = this.ownRequestPaths ? `/org/freedesktop/portal/desktop/request/old/${++this.requests}` : portalRequestPath(this.uniqueName, options.handle_token!.value)
    const answer = msg.member === 'CreateSession' ? [0, { session_handle: v('s', SESSION) }] : this.bindAnswer
    const respond = () => this.emit({ path, interface: 'org.freedesktop.portal.Request', member: 'Response', body: answer })
    if (!this.silent) {
      if (this.responseBeforeReply) respond()
      else setTimeout(respond, 1)
    }
    return [path]
  }
}

describe('portal protocol pieces', () => {
  it('predicts the request path from the unique name and token', () => {
    expect(portalRequestPath(':1.42', 'va_abc')).toBe('/org/freedesktop/portal/desktop/request/1_42/va_abc')
  })

  it('writes accelerators as XDG shortcut triggers (CTRL/ALT/SHIFT/LOGO + keysym), null for AltGr', () => {
    expect(portalTrigger('CommandOrControl+Shift+Space')).toBe('CTRL+SHIFT+space')
    expect(portalTrigger('Super+Alt+K')).toBe('ALT+LOGO+k')
    expect(portalTrigger('F13')).toBe('F13')
    expect(portalTrigger('Control+PageDown')).toBe('CTRL+Page_Down')
    expect(portalTrigger('Alt+num5')).toBe('ALT+KP_5')
    expect(portalTrigger('Ctrl+-')).toBe('CTRL+minus')
    expect(portalTrigger('AltGr+K')).toBeNull()
    expect(portalTrigger('Nope+K')).toBeNull()
  })

  it('reads Response bodies and the bound trigger', () => {
    expect(portalResponse([0, { session_handle: v('s', SESSION) }], 'CreateSession')).toEqual({ ok: true, results: { session_handle: SESSION } })
    expect(portalResponse([1, {}], 'BindShortcuts')).toEqual({ ok: false, reason: "BindShortcuts was cancelled (the desktop's shortcut dialog was dismissed)" })
    expect(portalResponse([2, {}], 'CreateSession')).toEqual({ ok: false, reason: 'CreateSession was refused by the desktop (response 2)' })
    expect(boundTrigger({ shortcuts: [['other', {}], ['push-to-talk', { trigger_description: v('s', 'Press Ctrl+Shift+Space') }]] })).toBe('Press Ctrl+Shift+Space')
    expect(boundTrigger({ shortcuts: [['push-to-talk', { trigger_description: v('s', '') }]] })).toBeNull()
    expect(boundTrigger({})).toBeNull()
  })

  it('maps Activated / Deactivated of our session and shortcut to down / up, and nothing else', () => {
    const sig = (member: string, session: string, id: string): PortalSignal => ({ path: '/org/freedesktop/portal/desktop', interface: 'org.freedesktop.portal.GlobalShortcuts', member, body: [session, id, 123n, {}] })
    expect(shortcutEdge(sig('Activated', SESSION, 'push-to-talk'), SESSION)).toBe('down')
    expect(shortcutEdge(sig('Deactivated', SESSION, 'push-to-talk'), SESSION)).toBe('up')
    expect(shortcutEdge(sig('Activated', `${SESSION}2`, 'push-to-talk'), SESSION)).toBeNull()
    expect(shortcutEdge(sig('Activated', SESSION, 'other'), SESSION)).toBeNull()
    expect(shortcutEdge(sig('ShortcutsChanged', SESSION, 'push-to-talk'), SESSION)).toBeNull()
  })
})

describe('openGlobalShortcutsPortal', () => {
  const shortcutSignal = (member: string, session = SESSION): PortalSignal => ({ path: '/org/freedesktop/portal/desktop', interface: 'org.freedesktop.portal.GlobalShortcuts', member, body: [session, 'push-to-talk', 1n, {}] })

  it('creates a session, binds the chord, turns the signals into key-down / key-up, and closes the session on dispose', async () => {
    const bus = new FakePortalBus()
    const edges: string[] = []
    const binding = await openGlobalShortcutsPortal({ accelerator: 'CommandOrControl+Shift+Space', onDown: () => edges.push('down'), onUp: () => edges.push('up'), connect: async () => bus })
    expect(binding.trigger).toBe('Ctrl+Shift+Space')
    expect(bus.preferredTrigger).toBe('CTRL+SHIFT+space')
    expect(bus.calls).toEqual([
      'org.freedesktop.DBus.Properties.Get',
      'org.freedesktop.DBus.AddMatch',
      'org.freedesktop.DBus.AddMatch',
      'org.freedesktop.portal.GlobalShortcuts.CreateSession',
      'org.freedesktop.portal.GlobalShortcuts.BindShortcuts'
    ])
    bus.emit(shortcutSignal('Activated', '/org/freedesktop/portal/desktop/session/other'))
    bus.emit(shortcutSignal('Activated'))
    bus.emit(shortcutSignal('Deactivated'))
    expect(edges).toEqual(['down', 'up'])
    binding.dispose()
    bus.emit(shortcutSignal('Activated'))
    expect(edges).toEqual(['down', 'up'])
    await expect.poll(() => bus.closed).toBe(true)
    expect(bus.calls.at(-1)).toBe('org.freedesktop.portal.Session.Close')
  })

  it('handles a Response that overtakes the reply, and portals that pick their own request path', async () => {
    for (const setup of [{ responseBeforeReply: true }, { ownRequestPaths: true }, { ownRequestPaths: true, responseBeforeReply: true }]) {
      const bus = Object.assign(new FakePortalBus(), setup)
      const binding = await openGlobalShortcutsPortal({ accelerator: 'Alt+F9', onDown: () => undefined, onUp: () => undefined, connect: async () => bus })
      expect(binding.trigger).toBe('Ctrl+Shift+Space')
      binding.dispose()
    }
  })

  it('rejects with the reason and closes the bus: no GlobalShortcuts, a dismissed dialog, no answer, an AltGr chord', async () => {
    const cases: Array<[Partial<FakePortalBus>, RegExp]> = [
      [{ hasShortcuts: false }, /^this desktop's portal has no GlobalShortcuts \(No such interface/],
      [{ bindAnswer: [1, {}] }, /^BindShortcuts was cancelled/],
      [{ silent: true }, /^CreateSession: the portal did not answer within 0 s$/]
    ]
    for (const [setup, reason] of cases) {
      const bus = Object.assign(new FakePortalBus(), setup)
      await expect(openGlobalShortcutsPortal({ accelerator: 'Alt+F9', onDown: () => undefined, onUp: () => undefined, connect: async () => bus, timeouts: { createMs: 50, bindMs: 50 } })).rejects.toThrow(reason)
      expect(bus.closed).toBe(true)
    }
    await expect(openGlobalShortcutsPortal({ accelerator: 'AltGr+K', onDown: () => undefined, onUp: () => undefined, connect: async () => new FakePortalBus() })).rejects.toThrow('AltGr+K cannot be written as a portal shortcut')
  })
})

describe('connectDbusNext', () => {
  it('says what is missing: the session bus address, or the D-Bus package', async () => {
    await expect(connectDbusNext({})).rejects.toThrow('no session D-Bus (DBUS_SESSION_BUS_ADDRESS is not set)')
    await expect(connectDbusNext({ DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent' }, () => Promise.reject(new Error('Cannot find package')))).rejects.toThrow(
      'the D-Bus client package @jellybrick/dbus-next is not installed'
    )
  })
})

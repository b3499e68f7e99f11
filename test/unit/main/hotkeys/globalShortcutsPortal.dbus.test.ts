import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectDbusNext, DBUS_PACKAGE, openGlobalShortcutsPortal, portalRequestPath } from '../../../../src/main/hotkeys/globalShortcutsPortal'

/**
 * The portal client over a real D-Bus: a private dbus-daemon and a stand-in portal (org.freedesktop.portal.Desktop
 * with GlobalShortcuts, answering as xdg-desktop-portal does), both through the npm D-Bus package. Skipped, with the
 * reason, where that package or dbus-daemon is not installed.
 */

type DbusModule = {
  sessionBus(opts: { busAddress: string }): DbusBus
  Message: { newMethodReturn(m: unknown, sig?: string, body?: unknown[]): unknown; newSignal(path: string, iface: string, name: string, sig?: string, body?: unknown[]): unknown }
  Variant: new (sig: string, value: unknown) => unknown
}
type DbusMsg = { path: string; interface: string; member: string; sender: string; body: unknown[] }
type DbusBus = {
  requestName(name: string, flags?: number): Promise<number>
  addMethodHandler(fn: (m: DbusMsg) => boolean): void
  send(m: unknown): void
  disconnect(): void
}

const loadDbus = (): Promise<unknown> => import(/* @vite-ignore */ DBUS_PACKAGE)
const dbusModule = (await loadDbus().catch(() => null)) as DbusModule | null
const hasDaemon = spawnSync('sh', ['-c', 'command -v dbus-daemon'], { stdio: 'ignore' }).status === 0
const skipReason = !dbusModule ? `${DBUS_PACKAGE} is not installed` : !hasDaemon ? 'dbus-daemon is not installed' : null

describe.skipIf(skipReason !== null)(`GlobalShortcuts portal over a private session bus${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let daemon: ChildProcess
  let address = ''
  let portal: DbusBus
  const closed: string[] = []
  let sessionPath = ''

  beforeAll(async () => {
    daemon = spawn('dbus-daemon', ['--session', '--nofork', '--print-address=1', '--address=unix:tmpdir=/tmp'], { stdio: ['ignore', 'pipe', 'ignore'] })
    address = await new Promise<string>((resolve) => daemon.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim())))
    const dbus = dbusModule!
    portal = dbus.sessionBus({ busAddress: address })
    await portal.requestName('org.freedesktop.portal.Desktop', 4)
    const respond = (path: string, results: Record<string, unknown>) =>
      setTimeout(() => portal.send(dbus.Message.newSignal(path, 'org.freedesktop.portal.Request', 'Response', 'ua{sv}', [0, results])), 5)
    portal.addMethodHandler((m) => {
      if (m.interface === 'org.freedesktop.DBus.Properties' && m.member === 'Get' && m.body[0] === 'org.freedesktop.portal.GlobalShortcuts') {
        portal.send(dbus.Message.newMethodReturn(m, 'v', [new dbus.Variant('u', 1)]))
        return true
      }
      if (m.interface === 'org.freedesktop.portal.GlobalShortcuts' && m.member === 'CreateSession') {
        const options = m.body[0] as Record<string, { value: string }>
        const path = portalRequestPath(m.sender, options.handle_token!.value)
        sessionPath = `/org/freedesktop/portal/desktop/session/${m.sender.slice(1).replace(/\./g, '_')}/${options.session_handle_token!.value}`
        portal.send(dbus.Message.newMethodReturn(m, 'o', [path]))
        respond(path, { session_handle: new dbus.Variant('s', sessionPath) })
        return true
      }
      if (m.interface === 'org.freedesktop.portal.GlobalShortcuts' && m.member === 'BindShortcuts') {
        const options = m.body[3] as Record<string, { value: string }>
        const path = portalRequestPath(m.sender, options.handle_token!.value)
        const [id, props] = (m.body[1] as Array<[string, Record<string, { value: string }>]>)[0]!
        portal.send(dbus.Message.newMethodReturn(m, 'o', [path]))
        const described = `Ctrl+Shift+Space (asked: ${props.preferred_trigger!.value})`
        respond(path, { shortcuts: new dbus.Variant('a(sa{sv})', [[id, { description: props.description, trigger_description: new dbus.Variant('s', described) }]]) })
        return true
      }
      if (m.interface === 'org.freedesktop.portal.Session' && m.member === 'Close') {
        closed.push(m.path)
        portal.send(dbus.Message.newMethodReturn(m))
        return true
      }
      return false
    })
  })
  afterAll(() => {
    portal?.disconnect()
    daemon?.kill()
  })

  it('binds push-to-talk, receives Activated / Deactivated as key-down / key-up, and closes the session', async () => {
    const dbus = dbusModule!
    const edges: string[] = []
    const binding = await openGlobalShortcutsPortal({
      accelerator: 'CommandOrControl+Shift+Space',
      onDown: () => edges.push('down'),
      onUp: () => edges.push('up'),
      connect: () => connectDbusNext({ DBUS_SESSION_BUS_ADDRESS: address }, loadDbus)
    })
    expect(binding.trigger).toBe('Ctrl+Shift+Space (asked: CTRL+SHIFT+space)')
    const signal = (member: string) =>
      portal.send(dbus.Message.newSignal('/org/freedesktop/portal/desktop', 'org.freedesktop.portal.GlobalShortcuts', member, 'osta{sv}', [sessionPath, 'push-to-talk', 1000n, {}]))
    signal('Activated')
    signal('Deactivated')
    await expect.poll(() => edges).toEqual(['down', 'up'])
    binding.dispose()
    await expect.poll(() => closed).toEqual([sessionPath])
  })
})

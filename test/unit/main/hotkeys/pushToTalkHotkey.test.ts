import { EventEmitter } from 'node:events'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { registerPushToTalkHotkey, type KeyEventLike, type UiohookLike } from '../../../../src/main/hotkeys/pushToTalkHotkey'

class FakeHook extends EventEmitter implements UiohookLike {
  started = false
  start(): void {
    this.started = true
  }
  stop(): void {
    this.started = false
  }
  override on(event: 'keydown' | 'keyup', l: (e: KeyEventLike) => void): this {
    return super.on(event, l)
  }
  override off(event: 'keydown' | 'keyup', l: (e: KeyEventLike) => void): this {
    return super.off(event, l)
  }
  key(type: 'keydown' | 'keyup', keycode: number, mods: Partial<KeyEventLike> = {}): void {
    this.emit(type, { keycode, altKey: false, ctrlKey: false, metaKey: false, shiftKey: false, ...mods })
  }
}

function fakeShortcuts() {
  const registered = new Map<string, () => void>()
  return {
    registered,
    register: (a: string, cb: () => void) => (registered.has(a) ? false : (registered.set(a, cb), true)),
    unregister: (a: string) => void registered.delete(a)
  }
}

describe('push-to-talk hotkey adapter', () => {
  afterEach(() => vi.useRealTimers())

  it('hold mode through the global key hook: chord down starts, key-up commits after the grace period', async () => {
    vi.useFakeTimers({ now: 0 })
    const hook = new FakeHook()
    const effects: string[] = []
    const shortcuts = fakeShortcuts()
    const ptt = await registerPushToTalkHotkey({
      accelerator: 'CommandOrControl+Shift+Space',
      style: 'auto',
      platform: 'linux',
      globalShortcut: shortcuts,
      loadUiohook: async () => ({ hook, keycodes: { Space: 57 } }),
      onEffect: (e) => effects.push(e)
    })
    expect(ptt.mode).toBe('hold')
    expect(hook.started).toBe(true)
    hook.key('keydown', 57) // no modifiers: not our chord
    expect(effects).toEqual([])
    hook.key('keydown', 57, { ctrlKey: true, shiftKey: true })
    vi.advanceTimersByTime(1500)
    hook.key('keyup', 57) // modifiers already released: still ends it
    vi.advanceTimersByTime(299)
    expect(effects).toEqual(['startCapture'])
    vi.advanceTimersByTime(1)
    expect(effects).toEqual(['startCapture', 'commitUtterance'])
    ptt.dispose()
    expect(hook.started).toBe(false)
    expect(shortcuts.registered.size).toBe(0)
  })

  it('falls back to globalShortcut toggle mode when the hook is unavailable (Wayland)', async () => {
    vi.useFakeTimers({ now: 0 })
    const shortcuts = fakeShortcuts()
    const effects: string[] = []
    const logs: string[] = []
    const ptt = await registerPushToTalkHotkey({
      accelerator: 'Ctrl+Alt+K',
      style: 'hold',
      platform: 'linux',
      globalShortcut: shortcuts,
      loadUiohook: async () => null,
      onEffect: (e) => effects.push(e),
      log: (l) => logs.push(l)
    })
    expect(ptt.mode).toBe('toggle')
    expect(logs.join('\n')).toMatch(/hold-to-talk is not available/)
    const press = [...shortcuts.registered.values()][0]!
    press()
    vi.advanceTimersByTime(50)
    press() // double-fired within the debounce window
    vi.advanceTimersByTime(2000)
    press()
    expect(effects).toEqual(['startCapture', 'commitUtterance'])
    ptt.dispose()
    expect(shortcuts.registered.size).toBe(0)
  })

  it('reports a taken or malformed hotkey clearly', async () => {
    const shortcuts = fakeShortcuts()
    shortcuts.register('Control+Alt+K', () => undefined)
    const base = { style: 'toggle' as const, platform: 'linux' as const, globalShortcut: shortcuts, loadUiohook: async () => null, onEffect: () => undefined }
    await expect(registerPushToTalkHotkey({ ...base, accelerator: 'Ctrl+Alt+K' })).rejects.toThrow(/taken by another application/)
    await expect(registerPushToTalkHotkey({ ...base, accelerator: 'Ctrl+Nope+' })).rejects.toThrow(/push-to-talk hotkey/)
  })
})

describe('wirePushToTalk (settings → hotkey → window commands and VAD)', () => {
  it('registers from settings, drives commands and the VAD, and re-registers when settings change', async () => {
    const { TypedEmitter } = await import('../../../../src/shared/typedEmitter')
    const { wirePushToTalk } = await import('../../../../src/main/hotkeys/pushToTalkHotkey')
    vi.useFakeTimers({ now: 0 })
    const events = new TypedEmitter<Record<string, unknown>>()
    const commands: string[] = []
    events.on('userCommand', (p) => commands.push((p as { command: string }).command))
    let settings = { hotkeys: { pushToTalk: 'Alt+Space' as string | null }, listening: { mode: 'push-to-talk' as const, pushToTalkStyle: 'toggle' as const } }
    const vadCalls: string[] = []
    const shortcuts = fakeShortcuts()
    const stop = wirePushToTalk(
      { events: events as never, settings: { get: () => settings }, vad: { flush: () => vadCalls.push('flush'), reset: () => vadCalls.push('reset') } },
      { globalShortcut: shortcuts, loadUiohook: async () => null, platform: 'linux' }
    )
    await vi.advanceTimersByTimeAsync(0)
    expect([...shortcuts.registered.keys()]).toEqual(['Alt+Space'])
    shortcuts.registered.get('Alt+Space')!()
    await vi.advanceTimersByTimeAsync(1000)
    shortcuts.registered.get('Alt+Space')!()
    expect(commands).toEqual(['startListening', 'stopListening'])
    expect(vadCalls).toEqual(['flush'])
    settings = { ...settings, hotkeys: { pushToTalk: 'Ctrl+Shift+K' } }
    events.emit('settingsChanged', settings)
    await vi.advanceTimersByTimeAsync(0)
    expect([...shortcuts.registered.keys()]).toEqual(['Control+Shift+K'])
    stop()
    expect(shortcuts.registered.size).toBe(0)
  })
})

import { EventEmitter } from 'node:events'
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  probeUiohook,
  PushToTalkUnavailableError,
  registerPushToTalkHotkey,
  wirePushToTalk,
  type KeyEventLike,
  type PushToTalkSettings,
  type UiohookLike
} from '../../../../src/main/hotkeys/pushToTalkHotkey'
import { TypedEmitter } from '../../../../src/shared/typedEmitter'
import { MemoryLogger } from '../../../helpers/memoryLogger'

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
    const logs = new MemoryLogger()
    const ptt = await registerPushToTalkHotkey({
      accelerator: 'Ctrl+Alt+K',
      style: 'hold',
      platform: 'linux',
      globalShortcut: shortcuts,
      loadUiohook: async () => null,
      onEffect: (e) => effects.push(e),
      logger: logs
    })
    expect(ptt.mode).toBe('toggle')
    expect(logs.text()).toMatch(/info hold-to-talk is not available/)
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

  it('holds through the Wayland portal when the key hook is unavailable: Activated starts, Deactivated commits after the grace', async () => {
    vi.useFakeTimers({ now: 0 })
    const shortcuts = fakeShortcuts()
    const effects: string[] = []
    let edges: { onDown(): void; onUp(): void } | null = null
    let disposed = false
    const ptt = await registerPushToTalkHotkey({
      accelerator: 'CommandOrControl+Shift+Space',
      style: 'auto',
      platform: 'linux',
      globalShortcut: shortcuts,
      loadUiohook: async () => null,
      openPortal: async (request) => {
        expect(request.accelerator).toBe('CommandOrControl+Shift+Space')
        edges = request
        return { trigger: 'Ctrl+Shift+Space', dispose: () => (disposed = true) }
      },
      onEffect: (e) => effects.push(e)
    })
    expect([ptt.mode, ptt.source]).toEqual(['hold', 'portal'])
    expect(ptt.detail).toMatch(/Hold Ctrl\+Shift\+Space to talk \(the desktop's global shortcuts portal/)
    expect(shortcuts.registered.size).toBe(0) // the portal holds the key: no globalShortcut as well
    edges!.onDown()
    vi.advanceTimersByTime(800)
    edges!.onUp()
    vi.advanceTimersByTime(300)
    expect(effects).toEqual(['startCapture', 'commitUtterance'])
    ptt.dispose()
    expect(disposed).toBe(true)
  })

  it('says why hold is not available when it falls back to toggle (hook and portal both refused)', async () => {
    const shortcuts = fakeShortcuts()
    const ptt = await registerPushToTalkHotkey({
      accelerator: 'Alt+F9',
      style: 'auto',
      platform: 'linux',
      globalShortcut: shortcuts,
      loadUiohook: async () => {
        throw new Error('no X display (DISPLAY is not set)')
      },
      openPortal: async () => {
        throw new Error("this desktop's portal has no GlobalShortcuts")
      },
      onEffect: () => undefined
    })
    expect([ptt.mode, ptt.source]).toEqual(['toggle', 'global-shortcut'])
    expect(ptt.detail).toBe(
      "Press Alt+F9 to start talking and again to send (toggle). Hold-to-talk is not available: global key hook unavailable: no X display (DISPLAY is not set); no global shortcuts portal: this desktop's portal has no GlobalShortcuts."
    )
    ptt.dispose()
  })

  it('without globalShortcut (browser mode) and without a key-up source it is unavailable, with the reasons', async () => {
    const attempt = registerPushToTalkHotkey({ accelerator: 'Alt+F9', style: 'auto', platform: 'linux', loadUiohook: async () => null, onEffect: () => undefined })
    await expect(attempt).rejects.toBeInstanceOf(PushToTalkUnavailableError)
    await attempt.catch((error: PushToTalkUnavailableError) => {
      expect(error.kind).toBe('no-shortcuts')
      expect(error.holdNotes).toEqual(['no global key hook in a Wayland session'])
    })
  })
})

describe('probeUiohook', () => {
  it('reports, from a child process, that the hook cannot start without an X display (in-process it would abort)', async () => {
    const env = { ...process.env }
    delete env.DISPLAY
    const problem = await probeUiohook(env)
    // libuiohook's hook thread and its settings thread both try the display; either may report first.
    expect(problem).toMatch(/^it does not start here \(\w+ \[\d+\]: XOpenDisplay failure!\)$/)
  })
})


describe('wirePushToTalk (settings → hotkey → window commands and VAD)', () => {
  afterEach(() => vi.useRealTimers())

  function fakeCore(initial: PushToTalkSettings) {
    const events = new TypedEmitter<Record<string, unknown>>()
    const commands: string[] = []
    events.on('userCommand', (p) => commands.push((p as { command: string }).command))
    let settings = initial
    const vadCalls: string[] = []
    const core = {
      events: events as never,
      settings: { get: () => settings },
      vad: { flush: () => vadCalls.push('flush'), reset: () => vadCalls.push('reset') }
    }
    const change = (next: PushToTalkSettings): void => {
      settings = next
      events.emit('settingsChanged', next)
    }
    return { core, events, commands, vadCalls, change }
  }
  const pttSettings = (pushToTalk: string | null, style: 'auto' | 'hold' | 'toggle' = 'toggle'): PushToTalkSettings => ({
    hotkeys: { pushToTalk },
    listening: { mode: 'push-to-talk', pushToTalkStyle: style }
  })
  const cliBinding = "npm --prefix /app run --silent talk -- --toggle"

  it('registers from settings, drives commands and the VAD, and re-registers when settings change', async () => {
    vi.useFakeTimers({ now: 0 })
    const { core, commands, vadCalls, change } = fakeCore(pttSettings('Alt+Space'))
    const shortcuts = fakeShortcuts()
    const statuses: string[] = []
    const talk = wirePushToTalk(core, { globalShortcut: shortcuts, loadUiohook: async () => null, platform: 'linux', cliBinding, onStatus: (s) => statuses.push(`${s.source}/${s.mode}`) })
    await vi.advanceTimersByTimeAsync(0)
    expect([...shortcuts.registered.keys()]).toEqual(['Alt+Space'])
    expect(talk.status()).toEqual({ source: 'global-shortcut', mode: 'toggle', accelerator: 'Alt+Space', detail: 'Press Alt+Space to start talking and again to send (toggle).', cliBinding })
    shortcuts.registered.get('Alt+Space')!()
    await vi.advanceTimersByTimeAsync(1000)
    shortcuts.registered.get('Alt+Space')!()
    expect(commands).toEqual(['startListening', 'stopListening'])
    expect(vadCalls).toEqual(['flush'])
    change(pttSettings('Ctrl+Shift+K'))
    await vi.advanceTimersByTimeAsync(0)
    expect([...shortcuts.registered.keys()]).toEqual(['Control+Shift+K'])
    expect(statuses).toEqual(['none/toggle', 'global-shortcut/toggle', 'none/toggle', 'global-shortcut/toggle'])
    talk.dispose()
    expect(shortcuts.registered.size).toBe(0)
  })

  it('the command-line trigger and the key drive one machine: --toggle starts, the key press sends', async () => {
    vi.useFakeTimers({ now: 0 })
    const { core, commands } = fakeCore(pttSettings('Alt+Space'))
    const shortcuts = fakeShortcuts()
    const talk = wirePushToTalk(core, { globalShortcut: shortcuts, loadUiohook: async () => null, platform: 'linux', cliBinding })
    await vi.advanceTimersByTimeAsync(0)
    expect(talk.command('toggle')).toEqual({ command: 'toggle', phase: 'listening', applied: true })
    await vi.advanceTimersByTimeAsync(1000)
    shortcuts.registered.get('Alt+Space')!()
    expect(commands).toEqual(['startListening', 'stopListening'])
    expect(talk.command('talk-stop')).toEqual({ command: 'talk-stop', phase: 'processing', applied: false })
    talk.dispose()
  })

  it('works with no key at all (none bound, or refused): hold semantics for --talk-start / --talk-stop, --cancel drops', async () => {
    vi.useFakeTimers({ now: 0 })
    const { core, commands, vadCalls } = fakeCore(pttSettings(null, 'auto'))
    const talk = wirePushToTalk(core, { loadUiohook: async () => null, platform: 'linux', cliBinding })
    expect(talk.status()).toMatchObject({ source: 'none', mode: 'hold', accelerator: null, cliBinding })
    expect(talk.status().detail).toMatch(/No talk key is set: bind the command below/)
    expect(talk.command('talk-start')).toEqual({ command: 'talk-start', phase: 'listening', applied: true })
    expect(talk.command('talk-start')).toMatchObject({ applied: false }) // a repeated press binding changes nothing
    await vi.advanceTimersByTimeAsync(1200)
    expect(talk.command('talk-stop')).toEqual({ command: 'talk-stop', phase: 'listening', applied: true }) // the grace keeps the last word
    await vi.advanceTimersByTimeAsync(300)
    expect(commands).toEqual(['startListening', 'stopListening'])
    expect(vadCalls).toEqual(['flush'])
    await vi.advanceTimersByTimeAsync(500)
    talk.command('toggle')
    expect(talk.command('cancel')).toEqual({ command: 'cancel', phase: 'idle', applied: true })
    expect(commands).toEqual(['startListening', 'stopListening', 'startListening', 'stopListening'])
    expect(vadCalls).toEqual(['flush', 'reset'])
    talk.dispose()
  })

  it('a refused chord leaves the command-line trigger working and the Settings text says so', async () => {
    vi.useFakeTimers({ now: 0 })
    const { core, commands } = fakeCore(pttSettings('Alt+F9'))
    const notices: string[] = []
    const talk = wirePushToTalk(core, { loadUiohook: async () => null, platform: 'linux', cliBinding, notify: (m) => notices.push(m) })
    await vi.advanceTimersByTimeAsync(0)
    expect(talk.status()).toMatchObject({ source: 'none', mode: 'toggle', accelerator: 'Alt+F9' })
    expect(talk.status().detail).toBe(
      "Alt+F9 cannot be heard here: press-to-toggle needs the desktop app's global shortcuts (hold-to-talk would use the global key hook). For a talk key, bind the command below to a key in your desktop's keyboard settings."
    )
    expect(notices).toHaveLength(1)
    talk.command('toggle')
    expect(commands).toEqual(['startListening'])
    talk.dispose()
  })

  it('--show brings the window up; the assistant going idle ends processing; a settings change never leaves the mic open', async () => {
    vi.useFakeTimers({ now: 0 })
    const { core, events, commands, vadCalls, change } = fakeCore(pttSettings(null, 'toggle'))
    let shown = 0
    const talk = wirePushToTalk(core, { loadUiohook: async () => null, platform: 'linux', cliBinding, showWindow: () => shown++ })
    expect(talk.command('show')).toEqual({ command: 'show', phase: 'idle', applied: true })
    expect(shown).toBe(1)
    talk.command('toggle')
    await vi.advanceTimersByTimeAsync(500)
    talk.command('toggle')
    expect(talk.command('show').phase).toBe('processing')
    events.emit('assistantStatus', { activity: 'idle', micMuted: false })
    expect(talk.command('show').phase).toBe('idle')
    await vi.advanceTimersByTimeAsync(500)
    talk.command('toggle')
    change(pttSettings(null, 'auto'))
    expect(commands).toEqual(['startListening', 'stopListening', 'startListening', 'stopListening'])
    expect(vadCalls).toEqual(['flush', 'reset'])
    talk.dispose()
  })

  it('hands-free: the mic the conversation opened on connect is followed, so the first --toggle stops listening; a turn ends when listening resumes', async () => {
    vi.useFakeTimers({ now: 0 })
    const { core, events, commands, vadCalls } = fakeCore({ hotkeys: { pushToTalk: null }, listening: { mode: 'hands-free', pushToTalkStyle: 'auto' } })
    const talk = wirePushToTalk(core, { loadUiohook: async () => null, platform: 'linux', cliBinding })
    await vi.advanceTimersByTimeAsync(1000)
    events.emit('assistantStatus', { activity: 'listening', micMuted: false }) // connected hands-free: the mic is open
    expect(talk.command('show').phase).toBe('listening')
    events.emit('vadEvent', { type: 'end_of_utterance' })
    events.emit('assistantStatus', { activity: 'thinking', micMuted: false })
    events.emit('assistantStatus', { activity: 'speaking', micMuted: false })
    expect(talk.command('show').phase).toBe('processing')
    events.emit('assistantStatus', { activity: 'listening', micMuted: false }) // reply over, the mic stayed open
    expect(talk.command('show').phase).toBe('listening')
    await vi.advanceTimersByTimeAsync(1000)
    expect(talk.command('toggle')).toEqual({ command: 'toggle', phase: 'idle', applied: true })
    expect(commands).toEqual(['stopListening'])
    expect(vadCalls).toEqual(['reset'])
    talk.dispose()
  })
})

import { describe, expect, it } from 'vitest'
import { parseTalkArgv, talkCliBinding, talkCommandInput } from '../../../../src/main/hotkeys/talkCommand'
import { initialPushToTalkState, type PushToTalkState } from '../../../../src/shared/voice/pushToTalk'

describe('parseTalkArgv', () => {
  it('finds the talk flag among Electron and Chromium arguments', () => {
    expect(parseTalkArgv(['/opt/Voice Assistant/voice-assistant', '--no-sandbox', '--toggle'])).toEqual({ ok: true, command: 'toggle' })
    expect(parseTalkArgv(['/usr/lib/electron', '.', '--allow-file-access-from-files', '--talk-start', '--original-process-start-time=1'])).toEqual({ ok: true, command: 'talk-start' })
    expect(parseTalkArgv(['--port', '0', '--no-open'])).toEqual({ ok: true, command: null })
    expect(parseTalkArgv(['--hidden', '--show', '--show'])).toEqual({ ok: true, command: 'show' })
  })

  it('refuses two commands and flags with values, and stops at --', () => {
    expect(parseTalkArgv(['--toggle', '--cancel'])).toEqual({ ok: false, error: 'one talk command at a time, got --toggle and --cancel' })
    expect(parseTalkArgv(['--toggle=1'])).toEqual({ ok: false, error: '--toggle takes no value (got "--toggle=1")' })
    expect(parseTalkArgv(['--', '--toggle'])).toEqual({ ok: true, command: null })
    expect(parseTalkArgv(['--toggles', '--talk'])).toEqual({ ok: true, command: null })
  })
})

describe('talkCommandInput', () => {
  const idle = initialPushToTalkState()
  const listening = (extra: Partial<PushToTalkState> = {}): PushToTalkState => ({ ...idle, phase: 'listening', changedAt: 0, ...extra })
  const processing: PushToTalkState = { ...idle, phase: 'processing', changedAt: 0 }

  it('toggle and cancel are the machine\'s own inputs; cancel when idle and show are nothing to the machine', () => {
    expect(talkCommandInput('toggle', idle, 'hold', 5)).toEqual({ type: 'toggle', at: 5 })
    expect(talkCommandInput('cancel', listening(), 'toggle', 5)).toEqual({ type: 'cancel', at: 5 })
    expect(talkCommandInput('cancel', processing, 'toggle', 5)).toEqual({ type: 'cancel', at: 5 })
    expect(talkCommandInput('cancel', idle, 'toggle', 5)).toBeNull()
    expect(talkCommandInput('show', listening(), 'hold', 5)).toBeNull()
  })

  it('hold mode: talk-start / talk-stop are a key press and release; a stop after a toggle-started turn toggles', () => {
    expect(talkCommandInput('talk-start', idle, 'hold', 1)).toEqual({ type: 'keyDown', at: 1 })
    expect(talkCommandInput('talk-start', processing, 'hold', 1)).toEqual({ type: 'keyDown', at: 1 })
    expect(talkCommandInput('talk-start', listening({ pressedAt: 0 }), 'hold', 1)).toBeNull()
    expect(talkCommandInput('talk-start', listening({ pressedAt: 0, releaseAt: 300 }), 'hold', 1)).toEqual({ type: 'keyDown', at: 1 }) // pressed again in the grace
    expect(talkCommandInput('talk-stop', listening({ pressedAt: 0 }), 'hold', 1)).toEqual({ type: 'keyUp', at: 1 })
    expect(talkCommandInput('talk-stop', listening({ pressedAt: 0, releaseAt: 300 }), 'hold', 1)).toBeNull()
    expect(talkCommandInput('talk-stop', listening({ pressedAt: null }), 'hold', 1)).toEqual({ type: 'toggle', at: 1 })
    expect(talkCommandInput('talk-stop', idle, 'hold', 1)).toBeNull()
  })

  it('toggle and hands-free modes: talk-start only starts and talk-stop only stops', () => {
    for (const mode of ['toggle', 'hands-free'] as const) {
      expect(talkCommandInput('talk-start', idle, mode, 1)).toEqual({ type: 'toggle', at: 1 })
      expect(talkCommandInput('talk-start', listening(), mode, 1)).toBeNull()
      expect(talkCommandInput('talk-stop', listening(), mode, 1)).toEqual({ type: 'toggle', at: 1 })
      expect(talkCommandInput('talk-stop', processing, mode, 1)).toBeNull()
    }
  })
})

describe('talkCliBinding', () => {
  it('names the installed executable, the Electron dev launch, or the npm script, quoted for a shell', () => {
    expect(talkCliBinding({ mode: 'packaged', executable: '/usr/bin/voice-assistant' })).toBe('/usr/bin/voice-assistant --toggle')
    expect(talkCliBinding({ mode: 'packaged', executable: "/home/ann/Apps/Voice Assistant's.AppImage" })).toBe("'/home/ann/Apps/Voice Assistant'\\''s.AppImage' --toggle")
    expect(talkCliBinding({ mode: 'electron-dev', electron: '/src/va/node_modules/electron/dist/electron', appPath: '/src/va' }, 'talk-start')).toBe(
      '/src/va/node_modules/electron/dist/electron /src/va --talk-start'
    )
    expect(talkCliBinding({ mode: 'browser', appRoot: '/home/ann/voice assistant' })).toBe("npm --prefix '/home/ann/voice assistant' run --silent talk -- --toggle")
  })
})

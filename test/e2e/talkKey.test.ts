import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectApi, startBrowserModeProcess, type BrowserModeProcess } from '../helpers/browserModeProcess'
import { startXvfb, xdotool, type XServer } from '../helpers/xvfb'

/**
 * Real key events: browser mode (the talk key service in Node, uiohook-napi's global key hook) on a private X server,
 * and the configured chord (the default, Ctrl+Shift+Space) pressed and released by xdotool. xdotool injects through
 * XTEST, i.e. synthetic events as AutoHotkey-style remappers make: the hook must take them. Skipped only when no X
 * server can be started here.
 */
const x: XServer = await startXvfb()

describe.skipIf(!x.ok)(`talk key from real X11 key events${x.ok ? '' : ` (skipped: ${x.reason})`}`, () => {
  let app: BrowserModeProcess
  let window: Awaited<ReturnType<typeof connectApi>>
  const display = x.ok ? x.display : ''
  const commands = (): string[] => window.events('userCommand').map((p) => (p as { command: string }).command)
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

  beforeAll(async () => {
    app = await startBrowserModeProcess({ env: { DISPLAY: display, XDG_SESSION_TYPE: undefined, WAYLAND_DISPLAY: undefined } })
    window = await connectApi(app.runFile)
    // The hook is probed in a child process and started after the app is up.
    for (const end = Date.now() + 20_000; ((await window.call('getTalkKeyStatus')) as { source: string }).source !== 'key-hook' && Date.now() < end; ) await sleep(100)
  })
  afterAll(async () => {
    window?.close()
    await app?.stop()
    if (x.ok) await x.close()
  })

  it('the Settings status names the key hook and hold mode', async () => {
    expect(await window.call('getTalkKeyStatus')).toMatchObject({ source: 'key-hook', mode: 'hold', accelerator: 'CommandOrControl+Shift+Space', detail: 'Hold Ctrl+Shift+Space to talk (global key hook).' })
  })

  it('hold starts listening, release ends the utterance after the grace period; other keys do nothing', async () => {
    xdotool(display, ['key', 'space']) // the key without the chord's modifiers
    xdotool(display, ['key', 'ctrl+space'])
    await sleep(300)
    expect(commands()).toEqual([])
    xdotool(display, ['keydown', 'ctrl+shift+space'])
    await expect.poll(commands, { timeout: 5000 }).toEqual(['startListening'])
    await sleep(700)
    expect(commands()).toEqual(['startListening'])
    const releasedAt = Date.now()
    xdotool(display, ['keyup', 'ctrl+shift+space'])
    await expect.poll(commands, { timeout: 5000, interval: 10 }).toEqual(['startListening', 'stopListening'])
    // The release commits after the 300 ms grace that keeps the last word (DEFAULT_PUSH_TO_TALK_CONFIG.graceMs).
    expect(Date.now() - releasedAt).toBeGreaterThanOrEqual(250)
  })

  it('a tap shorter than the minimum hold is dropped (listening starts and is cancelled at once)', async () => {
    await sleep(400)
    xdotool(display, ['key', '--delay', '20', 'ctrl+shift+space'])
    await expect.poll(commands, { timeout: 5000 }).toEqual(['startListening', 'stopListening', 'startListening', 'stopListening'])
  })

  it('the command-line trigger and the key drive the same machine', async () => {
    await sleep(400)
    expect(await window.call('talkCommand', { command: 'talk-start' })).toEqual({ command: 'talk-start', phase: 'listening', applied: true })
    xdotool(display, ['keydown', 'ctrl+shift+space']) // already listening: the press changes nothing
    await sleep(300)
    xdotool(display, ['keyup', 'ctrl+shift+space']) // the release ends the turn the command started
    await expect.poll(commands, { timeout: 5000 }).toHaveLength(6)
    expect(commands().slice(4)).toEqual(['startListening', 'stopListening'])
  })
})

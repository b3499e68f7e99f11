import { execFile, spawnSync } from 'node:child_process'
import { promisify } from 'node:util'
import { loadUiohookNapi, registerPushToTalkHotkey } from '../src/main/hotkeys/pushToTalkHotkey'
import { startXvfb } from '../test/helpers/xvfb'

const run = promisify(execFile)

/** CLOCK_MONOTONIC in ms: the clock an X server stamps its events with (Xorg's GetTimeInMillis, 1 ms or finer). */
const monoMs = (): number => Number(process.hrtime.bigint() / 1_000_000n)

export type RealKeyResult = { ok: true; keyDownToFirstRtp: number[]; keyEventToHook: number[] } | { ok: false; reason: string }

/**
 * Real key-down → first RTP: a private X server (Xvfb), the push-to-talk chord pressed by xdotool (XTEST), heard by
 * uiohook-napi in this process through the app's push-to-talk adapter (registerPushToTalkHotkey, hold mode), whose
 * startCapture effect resumes the page's mic (`talk(true)`; the app sends it to the window as one WebSocket frame,
 * here it is one CDP message). The key-down instant is the X server's own timestamp of the key event (the hook
 * reports it), so xdotool's start-up is not counted; `firstRtpAt` waits for the server to see the first packet
 * after that press. Returns why not when no X server or xdotool is available.
 */
export async function measureRealKeyDown(opts: {
  presses: number
  talk(on: boolean): Promise<void>
  /** Resolves with the epoch ms of the first RTP at the server after the call. */
  nextFirstRtp(): Promise<number>
}): Promise<RealKeyResult> {
  if (opts.presses === 0) return { ok: false, reason: 'no presses asked for (--presses 0)' }
  if (spawnSync('sh', ['-c', 'command -v xdotool'], { stdio: 'ignore' }).status !== 0) return { ok: false, reason: 'xdotool is not installed (apt-get install xdotool)' }
  const x = await startXvfb()
  if (!x.ok) return { ok: false, reason: x.reason }
  // libuiohook keeps X connections open in this process after the hook stops (one from load time for its system
  // properties): the server must outlive this process, or Xlib ends it ("X connection to :0 broken", then SIGSEGV).
  x.closeAfterExit()
  const env: NodeJS.ProcessEnv = { ...process.env, DISPLAY: x.display }
  delete env.XDG_SESSION_TYPE
  // uiohook-napi opens the display named by this process's DISPLAY when it starts: always the private server, never the
  // user's desktop (xdotool would type into it).
  const savedDisplay = process.env.DISPLAY
  process.env.DISPLAY = x.display
  let keyDownAt: number | null = null
  let hookAt: number | null = null
  const hotkey = await registerPushToTalkHotkey({
    accelerator: 'CommandOrControl+Shift+Space',
    style: 'hold',
    platform: 'linux',
    loadUiohook: async () => {
      const loaded = await loadUiohookNapi(env)
      if (!loaded) return null
      const space = loaded.keycodes.Space
      loaded.hook.on('keydown', (e) => {
        const time = (e as { time?: number }).time
        if (e.keycode !== space || typeof time !== 'number' || keyDownAt !== null) return
        // X time is CLOCK_MONOTONIC ms truncated to 32 bits: its age now, then the same instant on the epoch clock.
        const ageMs = (((monoMs() % 2 ** 32) - time) % 2 ** 32 + 2 ** 32) % 2 ** 32
        hookAt = Date.now()
        keyDownAt = hookAt - ageMs
      })
      return loaded
    },
    onEffect: (effect) => {
      if (effect === 'startCapture') void opts.talk(true)
      if (effect === 'commitUtterance' || effect === 'cancelCapture') void opts.talk(false)
    }
  })
  try {
    if (hotkey.source !== 'key-hook') return { ok: false, reason: `the global key hook did not start on Xvfb (${hotkey.detail})` }
    const keyDownToFirstRtp: number[] = []
    const keyEventToHook: number[] = []
    const xdo = (args: string[]) => run('xdotool', args, { env })
    for (let i = 0; i < opts.presses; i++) {
      keyDownAt = null
      hookAt = null
      const rtp = opts.nextFirstRtp()
      await xdo(['keydown', 'ctrl+shift+space'])
      const rtpAt = await rtp
      if (keyDownAt === null || hookAt === null) throw new Error('the key hook did not report the key-down')
      keyDownToFirstRtp.push(rtpAt - keyDownAt)
      keyEventToHook.push(hookAt - keyDownAt)
      await new Promise((r) => setTimeout(r, 250))
      await xdo(['keyup', 'ctrl+shift+space'])
      // The release commits after the 300 ms grace; then a pause past the debounce before the next press.
      await new Promise((r) => setTimeout(r, 450 + Math.random() * 40))
    }
    return { ok: true, keyDownToFirstRtp, keyEventToHook }
  } finally {
    hotkey.dispose()
    if (savedDisplay === undefined) delete process.env.DISPLAY
    else process.env.DISPLAY = savedDisplay
  }
}

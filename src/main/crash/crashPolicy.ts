/**
 * What the app does when one of Electron's processes goes away: pure decisions (no Electron, no clock of its own),
 * applied by electronCrashCapture.ts. Reasons are Electron's RenderProcessGoneDetails / Details `reason`.
 */

export interface RenderProcessGone {
  reason: string
  exitCode: number
}

export interface ChildProcessGone {
  /** 'Utility', 'GPU', 'Zygote', 'Sandbox helper', 'Pepper Plugin', … */
  type: string
  reason: string
  exitCode: number
  /** A utility process's service ('network.mojom.NetworkService', 'audio.mojom.AudioService', …). */
  serviceName?: string
  name?: string
}

export interface CrashDecision {
  level: 'info' | 'warn' | 'error'
  /** The log line. */
  message: string
  /** Reload the window's page (render-process-gone only). */
  reload: boolean
  /** What the user is told, if anything. */
  notice: { level: 'warning' | 'error'; message: string } | null
}

/** A renderer that keeps dying is not reloaded forever: at most this many reloads within RELOAD_WINDOW_MS. */
export const MAX_RELOADS = 3
export const RELOAD_WINDOW_MS = 60_000

/**
 * The window's renderer process went away. A clean exit (the window closing) needs nothing. Anything else (crashed,
 * killed, out of memory, failed to launch) reloads the page, which starts a new renderer and reconnects by itself,
 * unless it already happened MAX_RELOADS times within a minute: then the window is left as it is and the user told.
 */
export class RendererRecovery {
  private readonly reloads: number[] = []

  decide(gone: RenderProcessGone, now: number): CrashDecision {
    const what = `the window's renderer process is gone (${gone.reason}, exit code ${gone.exitCode})`
    if (gone.reason === 'clean-exit') return { level: 'info', message: what, reload: false, notice: null }
    while (this.reloads.length && now - this.reloads[0]! > RELOAD_WINDOW_MS) this.reloads.shift()
    if (this.reloads.length >= MAX_RELOADS) {
      return {
        level: 'error',
        message: `${what}; not reloading: it went away ${MAX_RELOADS} times within ${RELOAD_WINDOW_MS / 1000} s`,
        reload: false,
        notice: { level: 'error', message: `The window stopped ${MAX_RELOADS + 1} times within a minute (${gone.reason}); it was not reloaded again. Restart the app; the log has the details.` }
      }
    }
    this.reloads.push(now)
    return { level: 'error', message: `${what}; reloading the window`, reload: true, notice: { level: 'warning', message: `The window stopped (${gone.reason}) and was reloaded.` } }
  }
}

/**
 * One of Electron's helper processes went away (GPU, network or audio service, …). Electron starts most of them
 * again by itself; the app logs it, and tells the user when it was not a clean exit, since audio or the display may
 * have hiccuped.
 */
export function childProcessGoneDecision(gone: ChildProcessGone): CrashDecision {
  const who = [gone.type, gone.serviceName ?? gone.name].filter(Boolean).join(' ')
  const message = `an app helper process is gone: ${who} (${gone.reason}, exit code ${gone.exitCode})`
  if (gone.reason === 'clean-exit') return { level: 'info', message, reload: false, notice: null }
  return { level: 'error', message, reload: false, notice: { level: 'warning', message: `A helper process of the app stopped (${who}: ${gone.reason}). If audio or the window misbehaves, restart the app.` } }
}

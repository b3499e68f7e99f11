import type { Logger } from '../../shared/logging/logger'
import { childProcessGoneDecision, RendererRecovery, type ChildProcessGone, type CrashDecision, type RenderProcessGone } from './crashPolicy'

/** The parts of Electron this adapter uses (structural, so tests pass fakes; the app passes electron's objects). */
export interface CrashCaptureElectron {
  app: {
    on(event: 'render-process-gone', listener: (event: unknown, webContents: GoneWebContents, details: RenderProcessGone) => void): unknown
    on(event: 'child-process-gone', listener: (event: unknown, details: ChildProcessGone) => void): unknown
  }
  crashReporter: { start(options: { uploadToServer: boolean; compress?: boolean }): void }
}

export interface GoneWebContents {
  isDestroyed(): boolean
  reload(): void
  getURL(): string
}

export interface CrashCaptureOptions {
  logger: Logger
  /** Tell the user (a notice in the window; late-bound: the window may not exist yet). */
  notify: (notice: NonNullable<CrashDecision['notice']>) => void
  now?: () => number
}

/**
 * Electron main's crash capture, a thin adapter over crashPolicy.ts: native crash dumps kept on this machine only
 * (crashReporter with uploadToServer false: minidumps under the app's crashDumps folder, never sent anywhere), and
 * the render-process-gone / child-process-gone events logged, acted on (the window reloaded) and told to the user.
 * Call as early as possible (before app ready), so a crash during start-up is captured too.
 */
export function installElectronCrashCapture(electron: CrashCaptureElectron, opts: CrashCaptureOptions): void {
  electron.crashReporter.start({ uploadToServer: false, compress: true })
  const now = opts.now ?? Date.now
  const recovery = new RendererRecovery()
  const apply = (decision: CrashDecision, fields: Record<string, unknown>): void => {
    opts.logger[decision.level](decision.message, fields)
    if (decision.notice) opts.notify(decision.notice)
  }
  electron.app.on('render-process-gone', (_event, webContents, details) => {
    const decision = recovery.decide(details, now())
    apply(decision, { reason: details.reason, exitCode: details.exitCode, url: webContents.isDestroyed() ? null : webContents.getURL() })
    if (decision.reload && !webContents.isDestroyed()) webContents.reload()
  })
  electron.app.on('child-process-gone', (_event, details) => {
    apply(childProcessGoneDecision(details), { type: details.type, reason: details.reason, exitCode: details.exitCode, serviceName: details.serviceName, name: details.name })
  })
}

import { EventEmitter } from 'node:events'
import { describe, expect, it } from 'vitest'
import type { CrashDecision } from '../../../../src/main/crash/crashPolicy'
import { installElectronCrashCapture, type CrashCaptureElectron, type GoneWebContents } from '../../../../src/main/crash/electronCrashCapture'
import { MemoryLogger } from '../../../helpers/memoryLogger'

class FakeWebContents implements GoneWebContents {
  reloads = 0
  destroyed = false
  isDestroyed(): boolean {
    return this.destroyed
  }
  reload(): void {
    this.reloads++
  }
  getURL(): string {
    return 'app://bundle/index.html'
  }
}

function fakeElectron() {
  const app = new EventEmitter()
  const started: unknown[] = []
  const electron = { app, crashReporter: { start: (o: unknown) => void started.push(o) } } as unknown as CrashCaptureElectron
  return { app, started, electron }
}

describe('installElectronCrashCapture (Electron faked: the binary is not needed)', () => {
  it('starts the crash reporter with uploads off', () => {
    const { started, electron } = fakeElectron()
    installElectronCrashCapture(electron, { logger: new MemoryLogger(), notify: () => undefined })
    expect(started).toEqual([{ uploadToServer: false, compress: true }])
  })

  it('render-process-gone: logs why, reloads the window, tells the user; a storm of them stops the reloads', () => {
    const { app, electron } = fakeElectron()
    const logger = new MemoryLogger()
    const notices: Array<NonNullable<CrashDecision['notice']>> = []
    let t = 0
    installElectronCrashCapture(electron, { logger, notify: (n) => notices.push(n), now: () => t })
    const wc = new FakeWebContents()
    app.emit('render-process-gone', {}, wc, { reason: 'crashed', exitCode: 139 })
    expect(wc.reloads).toBe(1)
    expect(logger.find(/renderer process is gone \(crashed, exit code 139\); reloading/, 'error')[0]!.fields).toEqual({ reason: 'crashed', exitCode: 139, url: 'app://bundle/index.html' })
    expect(notices).toEqual([{ level: 'warning', message: 'The window stopped (crashed) and was reloaded.' }])
    for (let i = 0; i < 3; i++) {
      t += 1000
      app.emit('render-process-gone', {}, wc, { reason: 'killed', exitCode: 9 })
    }
    expect(wc.reloads).toBe(3)
    expect(notices.at(-1)!.level).toBe('error')
    wc.destroyed = true
    t += 120_000
    app.emit('render-process-gone', {}, wc, { reason: 'oom', exitCode: 0 })
    expect(wc.reloads).toBe(3) // a destroyed window is not touched
    expect(logger.find(/oom/)[0]!.fields.url).toBeNull()
  })

  it('child-process-gone: logged with the process and reason, told to the user unless it was a clean exit', () => {
    const { app, electron } = fakeElectron()
    const logger = new MemoryLogger()
    const notices: unknown[] = []
    installElectronCrashCapture(electron, { logger, notify: (n) => notices.push(n) })
    app.emit('child-process-gone', {}, { type: 'GPU', reason: 'crashed', exitCode: 11 })
    app.emit('child-process-gone', {}, { type: 'Utility', serviceName: 'network.mojom.NetworkService', reason: 'clean-exit', exitCode: 0 })
    expect(logger.find(/helper process is gone: GPU \(crashed, exit code 11\)/, 'error')[0]!.fields).toMatchObject({ type: 'GPU', reason: 'crashed', exitCode: 11 })
    expect(logger.find(/NetworkService \(clean-exit/, 'info')).toHaveLength(1)
    expect(notices).toHaveLength(1)
  })
})

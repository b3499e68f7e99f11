import { describe, expect, it } from 'vitest'
import { childProcessGoneDecision, MAX_RELOADS, RELOAD_WINDOW_MS, RendererRecovery } from '../../../../src/main/crash/crashPolicy'

describe('RendererRecovery: the window’s renderer went away', () => {
  it('a crash, a kill or running out of memory reloads the window and tells the user; a clean exit does nothing', () => {
    const r = new RendererRecovery()
    expect(r.decide({ reason: 'crashed', exitCode: 139 }, 0)).toEqual({
      level: 'error',
      message: "the window's renderer process is gone (crashed, exit code 139); reloading the window",
      reload: true,
      notice: { level: 'warning', message: 'The window stopped (crashed) and was reloaded.' }
    })
    expect(r.decide({ reason: 'oom', exitCode: 0 }, 1000).reload).toBe(true)
    expect(r.decide({ reason: 'clean-exit', exitCode: 0 }, 2000)).toMatchObject({ level: 'info', reload: false, notice: null })
  })

  it(`stops reloading after ${MAX_RELOADS} reloads within a minute, and reloads again once that minute has passed`, () => {
    const r = new RendererRecovery()
    for (let i = 0; i < MAX_RELOADS; i++) expect(r.decide({ reason: 'killed', exitCode: 9 }, i * 1000).reload).toBe(true)
    const storm = r.decide({ reason: 'killed', exitCode: 9 }, 5000)
    expect(storm.reload).toBe(false)
    expect(storm.message).toMatch(/not reloading: it went away 3 times within 60 s/)
    expect(storm.notice).toMatchObject({ level: 'error', message: expect.stringMatching(/not reloaded again\. Restart the app/) as string })
    expect(r.decide({ reason: 'killed', exitCode: 9 }, RELOAD_WINDOW_MS + 1001).reload).toBe(true)
  })
})

describe('childProcessGoneDecision', () => {
  it('names the process and why; a crash is told to the user, a clean exit only logged', () => {
    expect(childProcessGoneDecision({ type: 'Utility', serviceName: 'audio.mojom.AudioService', reason: 'crashed', exitCode: 133 })).toEqual({
      level: 'error',
      message: 'an app helper process is gone: Utility audio.mojom.AudioService (crashed, exit code 133)',
      reload: false,
      notice: { level: 'warning', message: 'A helper process of the app stopped (Utility audio.mojom.AudioService: crashed). If audio or the window misbehaves, restart the app.' }
    })
    expect(childProcessGoneDecision({ type: 'GPU', reason: 'clean-exit', exitCode: 0 })).toMatchObject({ level: 'info', notice: null, message: 'an app helper process is gone: GPU (clean-exit, exit code 0)' })
  })
})

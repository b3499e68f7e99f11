import { execFileSync } from 'node:child_process'
import { afterEach, describe, expect, it } from 'vitest'
import { FakeLlm, startVoiceSessionRig, type VoiceSessionRig } from '../../../helpers/voiceSessionRig'

/** espeak-ng processes that are children of this (test) process. */
function espeakChildren(): number[] {
  let out: string
  try {
    out = execFileSync('ps', ['-o', 'pid=,comm=', '--ppid', String(process.pid)], { encoding: 'utf8' })
  } catch {
    return [] // ps exits 1 when there are no children
  }
  return out
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter(([, comm]) => comm === 'espeak-ng')
    .map(([pid]) => Number(pid))
}

describe('VoiceSession: close', () => {
  let rig: VoiceSessionRig | null = null
  afterEach(async () => {
    await rig?.close()
    rig = null
  })

  it('closing mid-reply leaves nothing running: no timer, provider calls aborted, out of the registry, no filler, observers hear no more', async () => {
    const llm = new FakeLlm()
    llm.hold = true
    rig = startVoiceSessionRig({ llm, serverVad: true })
    await rig.run(500)
    rig.client('vadActive')
    rig.client('speechStart', 't1')
    await rig.run(600, 'speech')
    rig.client('endOfUtterance', 't1')
    await rig.run(200)
    expect(rig.replyFramesSent()).toBeGreaterThan(0)
    expect(rig.runtime.session('rig-session-0001')).toBe(rig.session)
    expect(rig.clock.liveTimers).toBeGreaterThanOrEqual(4) // turn ticker, server VAD tick, reply player poll, sender
    const traces = rig.traces.length
    const notices = rig.notices.length

    rig.session.close()
    expect(llm.calls[0]!.signal.aborted).toBe(true)
    expect(rig.chainEvents.closed).toBe(1)
    expect(rig.filler).toBeNull()
    expect(rig.runtime.session('rig-session-0001')).toBeUndefined()
    expect(rig.runtime.size).toBe(0)
    await rig.run(100, 'none')
    // The session's sender (the media session's, not the pipeline's) idles once nothing feeds it.
    expect(rig.clock.liveTimers).toBe(0)
    expect(rig.traces.length).toBe(traces) // the cancelled turn's last trace is not sent after close
    expect(rig.notices.length).toBe(notices)
    const sent = rig.sent.length
    rig.session.close() // twice is harmless; a closed session takes no more audio or events
    rig.session.onFrame({ pcm: new Int16Array(320), sampleRate: 16_000, rtpTimestamp: 0, concealed: false, receivedAt: performance.now() })
    rig.client('speechStart', 't2')
    rig.clock.advance(1000)
    expect(rig.clock.liveTimers).toBe(0)
    expect(rig.sent.length).toBe(sent)
    expect(rig.types().at(-1)).not.toBe('utteranceStart')
  })

  it('the runtime outlives its sessions: the shared ticker and the server VAD run only while a session is open', async () => {
    rig = startVoiceSessionRig({ serverVad: true })
    expect(rig.runtime.ticker.listening).toBe(1)
    const second = rig.runtime.startSession({ ...rig.ctx, sessionId: 'rig-session-0002' }, { chains: rig.fakeChains })
    expect(rig.runtime.ticker.listening).toBe(2)
    expect(() => rig!.runtime.startSession(rig!.ctx)).toThrow(/already runs a voice pipeline/)
    rig.session.close()
    expect(rig.runtime.ticker.listening).toBe(1)
    second.close()
    expect(rig.runtime.ticker.listening).toBe(0)
    expect(rig.clock.liveTimers).toBe(0)
    await rig.runtime.close()
    expect(() => rig!.runtime.startSession({ ...rig!.ctx, sessionId: 'rig-session-0003' })).toThrow(/closed/)
  })

  it('with the built-in espeak-ng voice: the warm processes end with the last session, no process is left', async () => {
    const before = espeakChildren()
    rig = startVoiceSessionRig({ realChains: true })
    // The spare processes start while nobody speaks (one now, the rest one per 10 ms).
    rig.clock.advance(50)
    expect(rig.runtime.ttsPool.spares).toBe(3)
    expect(espeakChildren().length - before.length).toBe(3)
    rig.session.close()
    expect(rig.runtime.ttsPool.spares).toBe(0)
    await expect.poll(() => espeakChildren().filter((pid) => !before.includes(pid)), { timeout: 2000, interval: 20 }).toEqual([])
  })
})

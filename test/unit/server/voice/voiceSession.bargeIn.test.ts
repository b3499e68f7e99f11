import { afterEach, describe, expect, it } from 'vitest'
import { FakeLlm, FakeStt, FakeTts, startVoiceSessionRig, type RigOptions, type VoiceSessionRig } from '../../../helpers/voiceSessionRig'

/** 3 sentences × 25 frames: a 1.5 s reply. */
const REPLY_FRAMES = 75

describe('VoiceSession: barge-in and false interruptions', () => {
  let rig: VoiceSessionRig
  afterEach(async () => {
    await rig?.close()
  })

  /** The user asks (the app's VAD), the reply plays for `playMs`. STT answers from `answers`, in order. */
  async function replyPlaying(answers: string[], playMs: number, opts: RigOptions = {}): Promise<void> {
    const stt = new FakeStt('Fake STT', () => answers.shift() ?? '')
    rig = startVoiceSessionRig({ stt: [stt], tts: new FakeTts(25), session: { detector: { earlyReply: false } }, ...opts })
    await rig.run(500)
    await rig.askThenWait(playMs)
    expect(rig.replyFramesSent()).toBeGreaterThan(0)
  }

  it('speech over the reply pauses it at once; a transcript with words cancels it, and the interruption is the next turn', async () => {
    const llm = new FakeLlm()
    llm.hold = true // the reply is still being written
    await replyPlaying(['what time is it', 'stop, what is the date'], 400, { llm })
    rig.client('speechStart', 't2')
    expect(rig.notifications.at(-1)).toEqual({ type: 'replyPaused', detail: { turnId: 't1' } })
    expect(rig.sender.queued).toBe(0) // the unsent reply frames were taken back
    const sentAtPause = rig.replyFramesSent()
    await rig.run(500, 'speech')
    expect(rig.replyFramesSent()).toBe(sentAtPause) // silence while paused
    rig.client('speechEnd')
    await rig.run(20)
    expect(rig.notifications.at(-1)).toEqual({ type: 'replyCancelled', detail: { turnId: 't1', reason: 'the user said something' } })
    expect(llm.calls[0]!.signal.aborted).toBe(true)
    await rig.run(20)
    expect(rig.lastTrace('t1')!.status).toBe('cancelled')
    llm.hold = false
    rig.client('endOfUtterance', 't2')
    await rig.run(2000)
    expect(rig.llm.calls.at(-1)!.messages.at(-1)).toEqual({ role: 'user', content: 'stop, what is the date' })
    expect(rig.lastTrace('t2')).toMatchObject({ status: 'done', transcript: 'stop, what is the date' })
  })

  it('a backchannel ("mhm") is a false interruption: the reply resumes where the user heard it stop, and it is not a turn', async () => {
    await replyPlaying(['what time is it', 'mhm'], 400)
    rig.client('speechStart', 't2')
    const sentAtPause = rig.replyFramesSent()
    expect(sentAtPause).toBeGreaterThan(8)
    await rig.run(300, 'speech')
    rig.client('speechEnd')
    await rig.run(20)
    expect(rig.notifications.at(-1)).toEqual({ type: 'replyResumed', detail: { turnId: 't1', reason: 'false interruption: only a backchannel ("mhm")' } })
    await rig.run(2000)
    // All of the reply went out, and the 8 frames before the pause (which the app silenced) once more.
    expect(rig.replyFramesSent()).toBe(REPLY_FRAMES + 8)
    expect(rig.types().filter((t) => t.startsWith('reply'))).toEqual(['replyStart', 'replyPaused', 'replyResumed', 'replyEnd'])
    expect(rig.llm.calls).toHaveLength(1)
    expect(rig.lastTrace('t1')!.status).toBe('done')
  })

  it('speech that goes on for 700 ms (its speech_end still not come 96 ms later) cancels the reply without waiting for a transcript', async () => {
    await replyPlaying(['what time is it'], 300)
    rig.client('speechStart', 't2')
    await rig.run(780, 'speech')
    expect(rig.types()).not.toContain('replyCancelled')
    await rig.run(40, 'speech')
    expect(rig.notifications.at(-1)).toEqual({ type: 'replyCancelled', detail: { turnId: 't1', reason: 'speech longer than 700 ms' } })
  })

  it('the server VAD pauses the reply on one loud frame; when no speech follows within 250 ms, the reply resumes', async () => {
    await replyPlaying(['what time is it'], 400, { serverVad: true })
    await rig.run(20, 'speech') // a click: one 20 ms frame
    await rig.run(40)
    expect(rig.types()).toContain('replyPaused')
    const pausedAt = rig.clock.now()
    await rig.run(200)
    expect(rig.types()).not.toContain('replyResumed')
    await rig.run(100)
    expect(rig.notifications.at(-1)).toEqual({ type: 'replyResumed', detail: { turnId: 't1', reason: 'no speech followed' } })
    expect(rig.clock.now() - pausedAt).toBeLessThan(400)
    await rig.run(2000)
    expect(rig.types().filter((t) => t.startsWith('reply')).at(-1)).toBe('replyEnd')
  })
})

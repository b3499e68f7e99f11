import { afterEach, describe, expect, it } from 'vitest'
import { FakeStt, FakeTts, startVoiceSessionRig, type VoiceSessionRig } from '../../../helpers/voiceSessionRig'

describe("VoiceSession: the user's turn-taking settings", () => {
  let rig: VoiceSessionRig
  afterEach(async () => {
    await rig?.close()
  })

  it('bargeInMinWords: one word over the reply pauses it, and it resumes at the end of that utterance instead of stopping', async () => {
    const answers = ['what time is it', 'wait']
    rig = startVoiceSessionRig({ stt: [new FakeStt('Fake STT', () => answers.shift() ?? '')], tts: new FakeTts(25), session: { detector: { earlyReply: false } } })
    rig.session.configure({ stt: [], llm: [], tts: [], turn: { replyAfterPauseMs: 5000, bargeInMinWords: 2 } })
    await rig.run(500)
    await rig.askThenWait(400)
    expect(rig.replyFramesSent()).toBeGreaterThan(0)

    rig.client('speechStart', 't2')
    await rig.run(300, 'speech')
    rig.client('speechEnd')
    await rig.run(200)
    expect(rig.notifications.at(-1)).toEqual({ type: 'replyPaused', detail: { turnId: 't1' } })
    rig.client('endOfUtterance', 't2')
    await rig.run(20)
    expect(rig.notifications.at(-1)).toEqual({ type: 'replyResumed', detail: { turnId: 't1', reason: 'false interruption: only 1 word (2 needed to interrupt)' } })
    await rig.run(2000)
    expect(rig.types()).not.toContain('replyCancelled')
    expect(rig.llm.calls).toHaveLength(1)
    expect(rig.lastTrace('t1')!.status).toBe('done')
  })
})

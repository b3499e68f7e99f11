import { afterEach, describe, expect, it } from 'vitest'
import { FakeLlm, FakeStt, FakeTts, startVoiceSessionRig, type VoiceSessionRig } from '../../../helpers/voiceSessionRig'

describe("VoiceSession: the reply's own echo", () => {
  let rig: VoiceSessionRig
  afterEach(async () => {
    await rig?.close()
  })

  it('speech over the reply whose transcript is the reply\'s own words resumes it; the user\'s words cancel it', async () => {
    const answers = ['what time is it', 'the sun is high', 'no, stop']
    rig = startVoiceSessionRig({
      stt: [new FakeStt('Fake STT', () => answers.shift() ?? '')],
      llm: new FakeLlm('It is noon. The sun is high. Anything else?'),
      tts: new FakeTts(25),
      session: { detector: { earlyReply: false } }
    })
    await rig.run(500)
    await rig.askThenWait(400)
    expect(rig.replyFramesSent()).toBeGreaterThan(0)

    rig.client('speechStart', 't2')
    await rig.run(300, 'speech')
    rig.client('speechEnd')
    await rig.run(40)
    expect(rig.notifications.at(-1)).toEqual({ type: 'replyResumed', detail: { turnId: 't1', reason: "false interruption: the reply's own words (echo)" } })

    rig.client('speechStart', 't3')
    await rig.run(300, 'speech')
    rig.client('speechEnd')
    await rig.run(40)
    expect(rig.notifications.at(-1)).toEqual({ type: 'replyCancelled', detail: { turnId: 't1', reason: 'the user said something' } })
  })
})

import { afterEach, describe, expect, it } from 'vitest'
import { DEFAULT_ENDPOINTER_CONFIG } from '../../../../src/shared/voice/endpointer'
import { FakeStt, startVoiceSessionRig, type VoiceSessionRig } from '../../../helpers/voiceSessionRig'

/** The pause the app's speech_end reports by default (its silence plus the lag it dates the voice end back by). */
const SPEECH_END_PAUSE_MS = DEFAULT_ENDPOINTER_CONFIG.speechEndSilenceMs + DEFAULT_ENDPOINTER_CONFIG.offsetLagMs

const samples = (ms: number): number => (ms * 16_000) / 1000

describe('VoiceSession: the early reply and its revocation', () => {
  let rig: VoiceSessionRig
  afterEach(async () => {
    await rig?.close()
  })

  /** 1 s of silence, then the app's VAD hears `speechMs` of speech and reports its early speech_end. */
  async function speakThenPause(turnId: string, speechMs: number): Promise<void> {
    await rig.run(1000)
    rig.client('vadActive')
    rig.client('speechStart', turnId)
    await rig.run(speechMs, 'speech')
    rig.client('speechEnd')
  }

  it('a complete request starts the reply as soon as its transcript is in (the pause is already past the complete wait); end_of_utterance keeps it', async () => {
    rig = startVoiceSessionRig()
    await speakThenPause('t1', 600)
    await rig.run(60)
    expect(rig.types()).toEqual(['utteranceStart', 'utteranceEnd', 'replyStart'])
    expect(rig.lastTrace('t1')!.notes![0]).toMatch(/^reply started after a pause, before end_of_utterance \(app's VAD\)/)
    rig.client('endOfUtterance', 't1')
    await rig.run(1500)
    expect(rig.llm.calls).toHaveLength(1) // one turn, not committed again
    expect(rig.types()).toEqual(['utteranceStart', 'utteranceEnd', 'replyStart', 'replyEnd'])
    expect(rig.replyFramesSent()).toBe(30)
  })

  it('going on talking revokes the early reply at once: stopped, left out of the conversation, and the sentence continues as one turn with all of its audio', async () => {
    const answers = ['what time is it', 'what time is it in Paris']
    const stt = new FakeStt('Fake STT', () => answers.shift() ?? '')
    rig = startVoiceSessionRig({ stt: [stt] })
    rig.llm.hold = true // the first reply is still being written when the user goes on
    await speakThenPause('t1', 600)
    await rig.run(200)
    expect(rig.types()).toContain('replyStart')
    const firstCall = rig.llm.calls[0]!
    const replyFramesBefore = rig.replyFramesSent()
    expect(replyFramesBefore).toBeGreaterThan(0)

    rig.client('speechResume')
    expect(rig.notifications.at(-1)).toEqual({ type: 'replyRevoked', detail: { turnId: 't1', reason: 'the user went on talking' } })
    expect(firstCall.signal.aborted).toBe(true) // the LLM call stopped
    await rig.run(400, 'speech')
    expect(rig.replyFramesSent()).toBe(replyFramesBefore) // nothing of that reply after the revocation
    expect(rig.sent.slice(-10).every((f) => f.value === 0)).toBe(true) // the stream stays steady: silence

    rig.llm.hold = false
    rig.client('speechEnd')
    await rig.run(40)
    // The speculative transcription of the whole sentence: from the first speech start's pre-roll on.
    expect(stt.calls).toHaveLength(2)
    expect(stt.calls[1]!.audio.samples.length).toBe(samples(400 + 600 + 200 + 400))
    rig.client('endOfUtterance', 't1')
    await rig.run(1500)
    expect(rig.llm.calls).toHaveLength(2)
    // The revoked turn never happened for the conversation: only the whole sentence is in the messages.
    expect(rig.llm.calls[1]!.messages.map((m) => m.role + ': ' + m.content)).toEqual(['system: You are a test.', 'user: what time is it in Paris'])
    expect(rig.lastTrace('t1')).toMatchObject({ status: 'done', transcript: 'what time is it in Paris' })
    expect(rig.types().filter((t) => t === 'replyStart' || t === 'replyEnd' || t === 'replyRevoked')).toEqual(['replyStart', 'replyEnd', 'replyRevoked', 'replyStart', 'replyEnd'])
  })

  it('a commit still waiting for its speculative transcript is superseded by a newer commit: the older turn never starts', async () => {
    let answerFirst: ((text: string) => void) | null = null
    const stt = new FakeStt('Slow STT', () => 'unused')
    stt.transcribe = async (audio, opts) => {
      stt.calls.push({ audio, signal: opts.signal })
      return stt.calls.length === 1 ? new Promise<string>((r) => (answerFirst = r)) : 'and what day is it'
    }
    rig = startVoiceSessionRig({ stt: [stt] })
    await speakThenPause('t1', 600)
    await rig.run(20)
    rig.client('endOfUtterance', 't1') // committed; its speculative transcript is still on its way
    await rig.run(100)
    rig.client('speechStart', 't2')
    await rig.run(400, 'speech')
    rig.client('endOfUtterance', 't2') // no speech_end first: its audio goes to STT
    await rig.run(100)
    answerFirst!('what time is it')
    await rig.run(1000)
    expect(rig.llm.calls).toHaveLength(1)
    expect(rig.llm.calls[0]!.messages.at(-1)!.content).toBe('and what day is it')
    expect(rig.notifications.filter((n) => n.type === 'utteranceEnd').map((n) => n.detail)).toEqual([{ turnId: 't2' }])
    expect(rig.traces.every((t) => t.turnId === 't2')).toBe(true)
  })

  it('a transcript that sounds unfinished ("… and the") waits past end_of_utterance, until the unfinished wait', async () => {
    rig = startVoiceSessionRig({ stt: [new FakeStt('Fake STT', () => 'what is the time and the')], session: { detector: { policy: { unfinishedWaitMs: 1000 } } } })
    await speakThenPause('t1', 600)
    await rig.run(400)
    expect(rig.llm.calls).toHaveLength(0)
    rig.client('endOfUtterance', 't1')
    await rig.run(1000 - SPEECH_END_PAUSE_MS - 400 - 40)
    expect(rig.llm.calls).toHaveLength(0) // held
    await rig.run(80)
    expect(rig.llm.calls).toHaveLength(1)
    expect(rig.lastTrace('t1')!.notes![0]).toBe("turn committed by the app's VAD")
  })

  it('a push-to-talk release (the app VAD flushes: end_of_utterance with reason flush) commits at once, even an unfinished-sounding turn', async () => {
    rig = startVoiceSessionRig({ stt: [new FakeStt('Fake STT', () => 'set a timer for')] })
    await speakThenPause('t1', 600)
    await rig.run(100)
    expect(rig.llm.calls).toHaveLength(0)
    rig.session.onClientEvent({ type: 'endOfUtterance', clientTime: Date.now(), turnId: 't1', reason: 'flush' })
    await rig.run(40)
    expect(rig.llm.calls).toHaveLength(1)
    expect(rig.llm.calls[0]!.messages.at(-1)).toEqual({ role: 'user', content: 'set a timer for' })
  })

  it("the reply-after-pause setting moves the early reply (a pause at or above the turn's end waits for the commit)", async () => {
    // A statement reads neither finished nor unfinished: the reply-after-pause setting is its wait.
    rig = startVoiceSessionRig({ stt: [new FakeStt('Fake STT', () => 'I like green apples')] })
    rig.session.configure({ stt: [], llm: [], tts: [], turn: { replyAfterPauseMs: 560 } })
    await speakThenPause('t1', 600)
    await rig.run(560 - SPEECH_END_PAUSE_MS - 40)
    expect(rig.llm.calls).toHaveLength(0)
    await rig.run(60)
    expect(rig.llm.calls).toHaveLength(1)
  })
})

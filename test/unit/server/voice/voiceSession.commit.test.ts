import { afterEach, describe, expect, it } from 'vitest'
import { FakeStt, startVoiceSessionRig, type VoiceSessionRig } from '../../../helpers/voiceSessionRig'

/** 16 kHz samples in `ms`. */
const samples = (ms: number): number => (ms * 16_000) / 1000

describe('VoiceSession: committing a turn', () => {
  let rig: VoiceSessionRig
  afterEach(async () => {
    await rig?.close()
  })

  it("the app's VAD commits: the transcript speculated at its speech_end is the turn's, the reply plays, then the stream stays steady and idles", async () => {
    rig = startVoiceSessionRig({ session: { detector: { earlyReply: false } } })
    await rig.run(1000) // silence before: only the pre-roll of it is kept
    rig.client('vadActive')
    rig.client('speechStart', 't1')
    expect(rig.notifications[0]).toEqual({ type: 'utteranceStart', detail: { utterance: 1 } })
    expect(rig.chainEvents.warmUps).toBe(2) // at start, and again at the utterance start (before any reply plays)
    await rig.run(600, 'speech')
    rig.client('speechEnd')
    await rig.settle()
    const stt = rig.stt[0] as FakeStt
    expect(stt.calls).toHaveLength(1) // speculative: at the early speech_end, with the 400 ms pre-roll
    expect(stt.calls[0]!.audio.samples.length).toBe(samples(400 + 600))
    await rig.run(100)
    rig.client('endOfUtterance', 't1')
    const committedAt = rig.clock.now()
    await rig.settle()
    expect(stt.calls).toHaveLength(1) // no second transcription
    expect(rig.types()).toContain('utteranceEnd')
    expect(rig.llm.calls[0]!.messages.at(-1)).toEqual({ role: 'user', content: 'what time is it' })
    await rig.run(2000)
    expect(rig.types().filter((t) => t.startsWith('reply'))).toEqual(['replyStart', 'replyEnd'])
    expect(rig.replyFramesSent()).toBe(3 * 10) // three sentences of ten frames, none lost
    const trace = rig.lastTrace('t1')!
    expect(trace).toMatchObject({ status: 'done', transcript: 'what time is it', reply: 'It is noon. The sun is high. Anything else?', providers: { stt: 'Fake STT', llm: 'Fake LLM', tts: 'Fake TTS' } })
    expect(trace.notes).toContain('transcript from speculative STT (started at the early speech_end)')
    expect(trace.marks.map((m) => m.name)).toEqual(expect.arrayContaining(['end_of_utterance', 'transcript', 'llm_first_token', 'tts_first_audio', 'reply_sent']))
    // The stream is steady (silence around the reply, no gap) from the speech start until 6 s after the user's speech
    // (the commit) or 1.5 s after the reply, whichever is later; then it idles.
    const firstSent = rig.sent[0]!.at
    const lastReply = rig.sent.filter((f) => f.value !== 0).at(-1)!.at
    await rig.run(6000)
    const sentBefore = rig.sent.length
    await rig.run(1000)
    expect(rig.sent.length).toBe(sentBefore)
    const steadyUntil = Math.max(committedAt + 6000, lastReply + 1500)
    expect(rig.sent.at(-1)!.at).toBeGreaterThanOrEqual(steadyUntil - 20)
    expect(rig.sent.at(-1)!.at).toBeLessThan(steadyUntil + 40)
    expect(rig.sent.length).toBe(Math.round((rig.sent.at(-1)!.at - firstSent) / 20) + 1) // one frame every 20 ms
  })

  it('without a speculative transcript, the committed utterance (from the pre-roll to now) goes to STT', async () => {
    rig = startVoiceSessionRig()
    await rig.run(1000)
    rig.client('vadActive')
    rig.client('speechStart', 't1')
    await rig.run(800, 'speech')
    rig.client('endOfUtterance', 't1')
    await rig.run(200)
    const stt = rig.stt[0] as FakeStt
    expect(stt.calls).toHaveLength(1)
    expect(stt.calls[0]!.audio).toMatchObject({ sampleRate: 16_000 })
    expect(stt.calls[0]!.audio.samples.length).toBe(samples(400 + 800))
    const trace = rig.lastTrace('t1')!
    expect(trace.transcript).toBe('what time is it')
    expect(trace.notes).toEqual(["turn committed by the app's VAD"])
  })

  it("the server VAD backstop opens and commits the turn when the app reports no VAD events; the turn's trace has the uplink arrival", async () => {
    rig = startVoiceSessionRig({ serverVad: true, session: { detector: { earlyReply: false } } })
    await rig.run(500)
    await rig.run(700, 'speech')
    expect(rig.types()).toEqual(['utteranceStart'])
    await rig.run(1000)
    expect(rig.types()).toContain('utteranceEnd')
    const stt = rig.stt[0] as FakeStt
    expect(stt.calls).toHaveLength(1) // speculative, at the server's speech_end (it leads: the app runs no VAD)
    await rig.run(1000)
    const trace = rig.lastTrace()!
    expect(trace.turnId).toBe('rig-sess-s1') // no client turn id: the session makes one
    expect(trace.status).toBe('done')
    expect(trace.notes![0]).toBe('turn committed by the server VAD backstop')
    expect(trace.marks.map((m) => m.name).slice(0, 3)).toEqual(['uplink_arrival', 'turn_wait_start', 'end_of_utterance'])
  })

  it("with the app's VAD active, speech only the server heard is discarded, not answered", async () => {
    rig = startVoiceSessionRig({ serverVad: true })
    rig.client('vadActive')
    await rig.run(700, 'speech')
    await rig.run(1000)
    expect(rig.types()).toEqual(['utteranceStart'])
    expect(rig.llm.calls).toHaveLength(0)
  })
})

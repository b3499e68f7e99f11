import { afterEach, describe, expect, it } from 'vitest'
import { TYPED_TURN_NOTE } from '../../../../src/shared/contract/signaling'
import { FakeStt, startVoiceSessionRig, type VoiceSessionRig } from '../../../helpers/voiceSessionRig'

describe('VoiceSession: a typed turn', () => {
  let rig: VoiceSessionRig
  afterEach(async () => {
    await rig?.close()
  })

  it('goes through LLM → TTS with its text as the transcript: no STT call, the reply plays, the trace says typed', async () => {
    rig = startVoiceSessionRig()
    await rig.run(200)
    const turnId = rig.session.typedTurn('  what time is it?  ', 'typed-1')
    expect(turnId).toBe('typed-1')
    await rig.run(2000)
    expect((rig.stt[0] as FakeStt).calls).toHaveLength(0)
    expect(rig.llm.calls[0]!.messages.at(-1)).toEqual({ role: 'user', content: 'what time is it?' })
    expect(rig.notifications.find((n) => n.type === 'utteranceEnd')).toEqual({ type: 'utteranceEnd', detail: { turnId: 'typed-1', typed: true } })
    expect(rig.types().filter((t) => t.startsWith('reply'))).toEqual(['replyStart', 'replyEnd'])
    expect(rig.replyFramesSent()).toBe(3 * 10)
    const trace = rig.lastTrace('typed-1')!
    expect(trace).toMatchObject({ status: 'done', transcript: 'what time is it?', reply: 'It is noon. The sun is high. Anything else?', providers: { stt: 'typed (no STT)', llm: 'Fake LLM', tts: 'Fake TTS' } })
    expect(trace.notes).toEqual([TYPED_TURN_NOTE])
    expect(trace.compute?.stt).toBe(0)
    const names = trace.marks.map((m) => m.name)
    expect(names.slice(0, 2)).toEqual(['end_of_utterance', 'transcript'])
    expect(names).toEqual(expect.arrayContaining(['llm_first_token', 'first_sentence', 'tts_first_audio', 'reply_sent']))
  })

  it('without a client id the backend names the turn; the typed text joins the conversation history of later turns', async () => {
    rig = startVoiceSessionRig()
    const first = rig.session.typedTurn('remember the number seven')
    expect(first).toMatch(/^rig-sess-t\d+$/)
    await rig.run(2000)
    rig.session.typedTurn('which number?', 'typed-2')
    await rig.run(2000)
    const messages = rig.llm.calls[1]!.messages
    expect(messages.filter((m) => m.role === 'user').map((m) => m.content)).toEqual(['remember the number seven', 'which number?'])
    expect(messages.some((m) => m.role === 'assistant' && m.content.startsWith('It is noon.'))).toBe(true)
  })

  it('supersedes a reply still being written: the earlier turn is cancelled, only the typed one is answered', async () => {
    rig = startVoiceSessionRig()
    rig.llm.hold = true
    rig.session.typedTurn('tell me a long story', 'long')
    await rig.run(300)
    rig.llm.hold = false
    rig.session.typedTurn('never mind', 'short')
    await rig.run(2000)
    expect(rig.lastTrace('long')!.status).toBe('cancelled')
    expect(rig.lastTrace('short')).toMatchObject({ status: 'done', transcript: 'never mind' })
    expect(rig.llm.calls[0]!.signal.aborted).toBe(true)
  })

  it('refuses empty text and a closed session with an error, changing nothing', async () => {
    rig = startVoiceSessionRig()
    expect(() => rig.session.typedTurn('   ')).toThrow(/needs some text/)
    rig.session.close()
    expect(() => rig.session.typedTurn('hello')).toThrow(/closed/)
    await rig.run(200)
    expect(rig.llm.calls).toHaveLength(0)
    expect(rig.traces).toHaveLength(0)
  })
})

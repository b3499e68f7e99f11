import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EmbeddedSkillsLlm } from '../../../../src/server/providers/embeddedSkills'
import { EspeakTts } from '../../../../src/server/providers/espeakTts'
import { FallbackChain, type FallbackSwitch } from '../../../../src/server/providers/fallbackChain'
import { OpenAiLlm, OpenAiStt } from '../../../../src/server/providers/openaiCompatible'
import type { LlmProvider, SttProvider, TtsProvider } from '../../../../src/server/providers/types'
import { REPLY_FRAME_SAMPLES, type TurnSink } from '../../../../src/server/voice/conversationTurn'
import { VoiceLoop } from '../../../../src/server/voice/voiceLoop'
import { turnMarkNames, type TurnTrace } from '../../../../src/shared/latency/trace'
import { startOpenAiStub, type OpenAiStub } from '../../../helpers/openaiStub'

let stub: OpenAiStub
const espeak = new EspeakTts({ wordsPerMinute: 220 })
beforeAll(async () => {
  stub = await startOpenAiStub()
  espeak.warmUp()
})
afterAll(async () => {
  espeak.close()
  await stub.close()
})

function chains(llms: LlmProvider[], stts: SttProvider[] = [], switches: FallbackSwitch[] = []) {
  const onSwitch = (s: FallbackSwitch): number => switches.push(s)
  return {
    stt: new FallbackChain<SttProvider>(stts, { stage: 'stt', firstChunkTimeoutMs: 3000, idleTimeoutMs: 3000, onSwitch }),
    llm: new FallbackChain<LlmProvider>(llms, { stage: 'llm', firstChunkTimeoutMs: 3000, idleTimeoutMs: 3000, onSwitch }),
    tts: new FallbackChain<TtsProvider>([espeak], { stage: 'tts', firstChunkTimeoutMs: 5000, idleTimeoutMs: 5000, onSwitch })
  }
}

function recorder(): TurnSink & { frames: Array<{ at: number; pcm: Int16Array }>; traces: TurnTrace[] } {
  const frames: Array<{ at: number; pcm: Int16Array }> = []
  const traces: TurnTrace[] = []
  return { frames, traces, frame: (pcm) => frames.push({ at: performance.now(), pcm }), trace: (t) => traces.push(t) }
}
describe('VoiceLoop', () => {
  it('answers offline (embedded skills + espeak-ng) with 20 ms frames and ordered marks, and keeps history', async () => {
    const loop = new VoiceLoop({ ...chains([new EmbeddedSkillsLlm()]), systemPrompt: 'You are a voice assistant.' })
    const sink = recorder()
    const result = await loop.startTurn({ turnId: 't1', transcript: 'What is twelve times seven?' }, sink).done
    expect(result.status).toBe('done')
    expect(result.reply).toBe('12 times 7 is 84.')
    expect(sink.frames.length).toBeGreaterThan(25) // > 0.5 s of speech
    expect(sink.frames.every((f) => f.pcm.length === REPLY_FRAME_SAMPLES)).toBe(true)
    const names = result.trace.marks.map((m) => m.name)
    expect(names).toEqual(['transcript', 'llm_first_token', 'first_sentence', 'tts_first_audio', 'reply_sent'])
    const times = result.trace.marks.map((m) => m.at)
    expect([...times].sort((a, b) => a - b)).toEqual(times)
    expect(names.every((n) => turnMarkNames.includes(n))).toBe(true)
    expect(result.trace.providers).toMatchObject({ llm: 'Embedded skills (offline)', tts: 'espeak-ng (on this machine)' })
    expect(result.trace.compute).toMatchObject({ stt: 0 })
    expect(result.trace.compute!.tts).toBeGreaterThan(0)
    expect(sink.traces.at(-1)!.status).toBe('done')

    const second = await loop.startTurn({ turnId: 't2', transcript: 'Repeat that.' }, recorder()).done
    expect(second.reply).toBe('12 times 7 is 84.')
    expect(loop.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant'])
  })

  it('a revoked early reply (cancel with forget) never enters the history, whether it was still running or done', async () => {
    const loop = new VoiceLoop({ ...chains([new EmbeddedSkillsLlm()]), systemPrompt: 'You are a voice assistant.' })
    const running = loop.startTurn({ turnId: 'early-1', transcript: 'What is twelve times seven?' }, recorder())
    const cancelled = await running.cancel({ forget: true })
    expect(cancelled.status).toBe('cancelled')
    expect(loop.messages).toEqual([])

    const finished = loop.startTurn({ turnId: 'early-2', transcript: 'What is twelve times seven?' }, recorder())
    expect((await finished.done).status).toBe('done')
    expect(loop.messages).toHaveLength(2)
    await finished.cancel({ forget: true }) // revoked while its audio was still playing
    expect(loop.messages).toEqual([])

    // A plain barge-in keeps what was said (the user heard part of it).
    const kept = loop.startTurn({ turnId: 'kept', transcript: 'What is twelve times seven?' }, recorder())
    await kept.done
    await kept.cancel()
    expect(loop.messages.map((m) => m.role)).toEqual(['user', 'assistant'])
  })

  it('addMark: a mark measured after the turn started joins its trace once', async () => {
    const loop = new VoiceLoop({ ...chains([new EmbeddedSkillsLlm()]), systemPrompt: 'You are a voice assistant.' })
    const sink = recorder()
    const turn = loop.startTurn({ turnId: 'late-mark', transcript: 'What is twelve times seven?', marks: [{ name: 'end_of_utterance', at: 1000, clock: 'backend' }] }, sink)
    turn.addMark({ name: 'uplink_arrival', at: 900, clock: 'backend' })
    turn.addMark({ name: 'uplink_arrival', at: 950, clock: 'backend' })
    turn.addMark({ name: 'end_of_utterance', at: 5, clock: 'backend' })
    const result = await turn.done
    expect(result.trace.marks.filter((m) => m.name === 'uplink_arrival')).toEqual([{ name: 'uplink_arrival', at: 900, clock: 'backend' }])
    expect(result.trace.marks.find((m) => m.name === 'end_of_utterance')!.at).toBe(1000)
  })

  it('speaks the first sentence while the LLM is still streaming the rest', async () => {
    stub.chat = { mode: { kind: 'ok' }, reply: 'Here is the first sentence. Then a second one follows slowly, word by word. And a third to finish.', tokenDelayMs: 80 }
    const loop = new VoiceLoop({ ...chains([new OpenAiLlm({ baseUrl: stub.baseUrl, apiKey: stub.apiKey, model: 'm' })]), systemPrompt: 'Be brief.' })
    const sink = recorder()
    const result = await loop.startTurn({ turnId: 't1', transcript: 'Tell me three things.' }, sink).done
    const firstFrameAt = result.trace.marks.find((m) => m.name === 'reply_sent')!.at
    const lastTrace = result.trace
    expect(result.reply).toBe('Here is the first sentence. Then a second one follows slowly, word by word. And a third to finish.')
    // The stream takes ~16 tokens × 60 ms ≈ 1 s; the first audio left before the LLM finished streaming.
    const request = stub.requests.at(-1)!
    expect(firstFrameAt).toBeLessThan(request.endedAt!)
    expect(lastTrace.marks.find((m) => m.name === 'first_sentence')!.at).toBeLessThan(request.endedAt!)
    const sent = request.json as { messages: Array<{ role: string }> }
    expect(sent.messages[0]).toEqual({ role: 'system', content: 'Be brief.' })
    // The reply streams in the traces sentence by sentence while the turn runs (the window's history follows it).
    const partials = sink.traces.filter((t) => t.status === 'running' && t.reply).map((t) => t.reply)
    expect(partials[0]).toBe('Here is the first sentence.')
    expect(partials.at(-1)).toBe('Here is the first sentence. Then a second one follows slowly, word by word. And a third to finish.')
    expect(new Set(partials).size).toBe(3)
  })

  it('utterance audio → STT (401 on the first server, the second answers) → reply, with the failover noted', async () => {
    const second = await startOpenAiStub({ apiKey: 'sk-2' })
    try {
      second.transcription = { mode: { kind: 'ok' }, text: 'what is two plus two' }
      const switches: FallbackSwitch[] = []
      const loop = new VoiceLoop({
        ...chains(
          [new EmbeddedSkillsLlm()],
          [new OpenAiStt({ baseUrl: stub.baseUrl, apiKey: 'sk-wrong', model: 'w' }), new OpenAiStt({ baseUrl: second.baseUrl, apiKey: second.apiKey, model: 'w', label: 'backup STT' })],
          switches
        ),
        systemPrompt: 's'
      })
      const result = await loop.startTurn({ turnId: 't1', audio: { samples: new Int16Array(16000), sampleRate: 16000 } }, recorder()).done
      expect(result.transcript).toBe('what is two plus two')
      expect(result.reply).toBe('2 plus 2 is 4.')
      expect(result.trace.providers!.stt).toBe('backup STT')
      expect(switches.map((s) => s.message)).toEqual([expect.stringMatching(/Speech to text: .* failed: HTTP 401 .* — using backup STT/)])
    } finally {
      await second.close()
    }
  })

  it('barge-in: cancel() stops every call within 150 ms and no frame follows it', async () => {
    stub.chat = { mode: { kind: 'ok' }, reply: Array.from({ length: 12 }, (_, i) => `This is sentence number ${i + 1}.`).join(' '), tokenDelayMs: 20 }
    const loop = new VoiceLoop({ ...chains([new OpenAiLlm({ baseUrl: stub.baseUrl, apiKey: stub.apiKey, model: 'm' })]), systemPrompt: 's' })
    const sink = recorder()
    const turn = loop.startTurn({ turnId: 't1', transcript: 'Count for me.' }, sink)
    while (sink.frames.length === 0) await new Promise((r) => setTimeout(r, 5))
    const t0 = performance.now()
    const result = await turn.cancel()
    const stopMs = performance.now() - t0
    const framesAtCancel = sink.frames.length
    await new Promise((r) => setTimeout(r, 200))
    expect(result.status).toBe('cancelled')
    expect(stopMs).toBeLessThan(150)
    expect(sink.frames.length).toBe(framesAtCancel)
    expect(sink.frames.every((f) => f.at <= t0 + stopMs)).toBe(true)
    expect(loop.messages.at(-1)!.content.endsWith('…') || loop.messages.at(-1)!.role === 'user').toBe(true)
  })

  it('an LLM stream that breaks mid-reply: the trace names the provider that gave the spoken answer', async () => {
    stub.chat = { mode: { kind: 'broken', afterChunks: 2 }, reply: 'Twelve times seven is, hmm, let me think about that.' }
    const switches: FallbackSwitch[] = []
    const loop = new VoiceLoop({ ...chains([new OpenAiLlm({ baseUrl: stub.baseUrl, apiKey: stub.apiKey, model: 'm' }), new EmbeddedSkillsLlm()], [], switches), systemPrompt: 's' })
    const result = await loop.startTurn({ turnId: 't1', transcript: 'What is twelve times seven?' }, recorder()).done
    expect(result.status).toBe('done')
    expect(result.reply).toBe('12 times 7 is 84.')
    expect(result.trace.providers!.llm).toBe('Embedded skills (offline)')
    expect(switches.map((s) => s.afterOutput)).toEqual([true])
    expect(result.trace.notes!.some((n) => n.startsWith('LLM restarted with Embedded skills'))).toBe(true)
  })

  it('an LLM that fails for good ends the turn as failed with the reason', async () => {
    stub.chat = { mode: { kind: 'status', status: 500 } }
    const loop = new VoiceLoop({ ...chains([new OpenAiLlm({ baseUrl: stub.baseUrl, apiKey: stub.apiKey, model: 'm' })]), systemPrompt: 's' })
    const result = await loop.startTurn({ turnId: 't1', transcript: 'hi' }, recorder()).done
    expect(result.status).toBe('failed')
    expect(result.trace.notes!.at(-1)).toMatch(/LLM: every provider failed/)
  })
})

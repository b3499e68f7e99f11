import { createServer } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EmbeddedSkillsLlm } from '../../../../src/server/providers/embeddedSkills'
import { ProviderError } from '../../../../src/server/providers/errors'
import { EspeakTts } from '../../../../src/server/providers/espeakTts'
import { FallbackChain, FallbackExhaustedError, type ChainItem, type FallbackSwitch } from '../../../../src/server/providers/fallbackChain'
import { OpenAiLlm, OpenAiStt, OpenAiTts } from '../../../../src/server/providers/openaiCompatible'
import type { ChatMessage, LlmProvider, SttProvider, TtsProvider } from '../../../../src/server/providers/types'
import { startOpenAiStub, type OpenAiStub } from '../../../helpers/openaiStub'

let stub: OpenAiStub
beforeAll(async () => {
  stub = await startOpenAiStub()
})
afterAll(async () => {
  await stub.close()
})

const question: ChatMessage[] = [
  { role: 'system', content: 'You are a voice assistant.' },
  { role: 'user', content: 'What is twelve times seven?' }
]

function llmChain(providers: LlmProvider[], switches: FallbackSwitch[], timeouts = { firstChunkTimeoutMs: 2000, idleTimeoutMs: 2000 }): FallbackChain<LlmProvider> {
  return new FallbackChain(providers, { stage: 'llm', ...timeouts, onSwitch: (s) => switches.push(s) })
}

async function collect<T, P>(it: AsyncIterable<ChainItem<T, P>>): Promise<Array<ChainItem<T, P>>> {
  const out: Array<ChainItem<T, P>> = []
  for await (const item of it) out.push(item)
  return out
}

function text(items: Array<ChainItem<string, LlmProvider>>): string {
  // What the consumer keeps: everything after the last restart.
  const lastRestart = items.map((i) => i.type).lastIndexOf('restart')
  return items
    .slice(lastRestart + 1)
    .map((i) => (i.type === 'chunk' ? i.value : ''))
    .join('')
}

async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as { port: number }).port
  await new Promise<void>((r) => server.close(() => r()))
  return port
}

describe('OpenAI-compatible providers against the stub server', () => {
  it('streams a chat completion token by token with the system prompt and history sent', async () => {
    stub.chat = { mode: { kind: 'ok' }, reply: 'Twelve times seven is eighty four.' }
    const llm = new OpenAiLlm({ baseUrl: stub.baseUrl, apiKey: stub.apiKey, model: 'stub-model' })
    const pieces: string[] = []
    for await (const piece of llm.stream(question, { signal: new AbortController().signal })) pieces.push(piece)
    expect(pieces.length).toBeGreaterThan(3)
    expect(pieces.join('')).toBe('Twelve times seven is eighty four.')
    const sent = stub.requests.at(-1)!.json as { messages: ChatMessage[]; stream: boolean; model: string }
    expect(sent).toMatchObject({ stream: true, model: 'stub-model' })
    expect(sent.messages).toEqual(question)
  })

  it('uploads the utterance as WAV and returns the transcript', async () => {
    stub.transcription = { mode: { kind: 'ok' }, text: ' what time is it ' }
    const stt = new OpenAiStt({ baseUrl: stub.baseUrl, apiKey: stub.apiKey, model: 'whisper-1' })
    const text = await stt.transcribe({ samples: new Int16Array(16000), sampleRate: 16000 }, { signal: new AbortController().signal })
    expect(text).toBe('what time is it')
    const body = stub.requests.at(-1)!.body.toString('latin1')
    expect(body).toContain('RIFF')
    expect(body).toContain('whisper-1')
  })

  it('streams /v1/audio/speech PCM at 24 kHz', async () => {
    stub.speech = { mode: { kind: 'ok' }, msPerChar: 20 }
    const tts = new OpenAiTts({ baseUrl: stub.baseUrl, apiKey: stub.apiKey, model: 'tts-1' })
    let samples = 0
    let chunks = 0
    for await (const c of tts.synthesize('Hello there.', { signal: new AbortController().signal })) {
      samples += c.length
      chunks++
    }
    expect(tts.outputRate).toBe(24_000)
    expect(samples).toBe(Math.round((20 * 12 * 24_000) / 1000))
    expect(chunks).toBeGreaterThan(1)
  })
})

describe('FallbackChain: a failing provider hands the turn to the next one', () => {
  it('401 (wrong key) → the embedded skills answer, with a message naming the fix', async () => {
    stub.chat = { mode: { kind: 'ok' } }
    const switches: FallbackSwitch[] = []
    const chain = llmChain([new OpenAiLlm({ baseUrl: stub.baseUrl, apiKey: 'sk-wrong', model: 'm' }), new EmbeddedSkillsLlm()], switches)
    const items = await collect(chain.stream((p, signal) => p.stream(question, { signal }), new AbortController().signal))
    expect(text(items)).toBe('12 times 7 is 84.')
    expect(items.every((i) => i.type === 'chunk' && i.provider.id === 'embedded-skills')).toBe(true)
    expect(switches).toHaveLength(1)
    expect(switches[0]).toMatchObject({ stage: 'llm', from: { id: 'openai' }, to: { id: 'embedded-skills' }, afterOutput: false })
    expect(switches[0]!.error).toMatchObject({ kind: 'http_status', status: 401 })
    expect(switches[0]!.message).toMatch(/LLM: OpenAI-compatible LLM at 127\.0\.0\.1:\d+ failed: HTTP 401 \(check the API key\).*— using Embedded skills/)
  })

  it('missing key → fails fast without a request, next provider answers', async () => {
    const before = stub.requests.length
    const switches: FallbackSwitch[] = []
    const chain = llmChain([new OpenAiLlm({ baseUrl: 'https://api.example.invalid/v1', apiKey: null, model: 'm' }), new EmbeddedSkillsLlm()], switches)
    const items = await collect(chain.stream((p, signal) => p.stream(question, { signal }), new AbortController().signal))
    expect(text(items)).toBe('12 times 7 is 84.')
    expect(switches[0]!.error.kind).toBe('missing_key')
    expect(switches[0]!.message).toContain('no API key set for api.example.invalid')
    expect(stub.requests.length).toBe(before)
  })

  it('unreachable URL (connection refused) → next provider', async () => {
    const port = await closedPort()
    const switches: FallbackSwitch[] = []
    const chain = llmChain([new OpenAiLlm({ baseUrl: `http://127.0.0.1:${port}/v1`, apiKey: null, model: 'm' }), new EmbeddedSkillsLlm()], switches)
    const items = await collect(chain.stream((p, signal) => p.stream(question, { signal }), new AbortController().signal))
    expect(text(items)).toBe('12 times 7 is 84.')
    expect(switches[0]!.error.kind).toBe('unreachable')
    expect(switches[0]!.message).toMatch(/could not connect/)
  })

  it('500 → next provider', async () => {
    stub.chat = { mode: { kind: 'status', status: 500, message: 'model crashed' } }
    const switches: FallbackSwitch[] = []
    const chain = llmChain([new OpenAiLlm({ baseUrl: stub.baseUrl, apiKey: stub.apiKey, model: 'm' }), new EmbeddedSkillsLlm()], switches)
    const items = await collect(chain.stream((p, signal) => p.stream(question, { signal }), new AbortController().signal))
    expect(text(items)).toBe('12 times 7 is 84.')
    expect(switches[0]!.message).toContain('HTTP 500: model crashed')
  })

  it('no first token in time (server hangs) → timeout → next provider, within the timeout', async () => {
    stub.chat = { mode: { kind: 'hang' } }
    const switches: FallbackSwitch[] = []
    const chain = llmChain([new OpenAiLlm({ baseUrl: stub.baseUrl, apiKey: stub.apiKey, model: 'm' }), new EmbeddedSkillsLlm()], switches, { firstChunkTimeoutMs: 300, idleTimeoutMs: 300 })
    const t0 = performance.now()
    const items = await collect(chain.stream((p, signal) => p.stream(question, { signal }), new AbortController().signal))
    const elapsed = performance.now() - t0
    expect(text(items)).toBe('12 times 7 is 84.')
    expect(switches[0]!.error.kind).toBe('timeout')
    expect(switches[0]!.message).toContain('no answer within 300 ms')
    expect(elapsed).toBeGreaterThanOrEqual(290)
    expect(elapsed).toBeLessThan(1500)
  })

  it('a stream that stalls mid-reply → timeout, partial output dropped (restart), next provider answers', async () => {
    stub.chat = { mode: { kind: 'ok' }, reply: 'Let me think about that for a while.', tokenDelayMs: 2000 }
    const switches: FallbackSwitch[] = []
    const chain = llmChain([new OpenAiLlm({ baseUrl: stub.baseUrl, apiKey: stub.apiKey, model: 'm' }), new EmbeddedSkillsLlm()], switches, { firstChunkTimeoutMs: 1000, idleTimeoutMs: 300 })
    const items = await collect(chain.stream((p, signal) => p.stream(question, { signal }), new AbortController().signal))
    expect(items[0]).toMatchObject({ type: 'chunk', value: 'Let ' })
    expect(items.some((i) => i.type === 'restart')).toBe(true)
    expect(text(items)).toBe('12 times 7 is 84.')
    expect(switches[0]).toMatchObject({ afterOutput: true, error: { kind: 'timeout' } })
    expect(switches[0]!.message).toContain('broke off mid-reply')
  })

  it('broken stream (connection dropped after two tokens) → restart, a second OpenAI-compatible server answers', async () => {
    const second = await startOpenAiStub({ apiKey: 'sk-second' })
    try {
      stub.chat = { mode: { kind: 'broken', afterChunks: 2 }, reply: 'Twelve times seven is eighty four.' }
      second.chat = { mode: { kind: 'ok' }, reply: 'It is eighty four.' }
      const switches: FallbackSwitch[] = []
      const chain = llmChain(
        [new OpenAiLlm({ baseUrl: stub.baseUrl, apiKey: stub.apiKey, model: 'm', label: 'primary' }), new OpenAiLlm({ baseUrl: second.baseUrl, apiKey: second.apiKey, model: 'm', label: 'secondary' })],
        switches
      )
      const items = await collect(chain.stream((p, signal) => p.stream(question, { signal }), new AbortController().signal))
      expect(items.filter((i) => i.type === 'chunk' && i.provider.label === 'primary').map((i) => (i as { value: string }).value)).toEqual(['Twelve ', 'times '])
      expect(items.filter((i) => i.type === 'restart')).toHaveLength(1)
      expect(text(items)).toBe('It is eighty four.')
      expect(switches[0]).toMatchObject({ afterOutput: true, error: { kind: 'broken_stream' }, to: { label: 'secondary' } })
    } finally {
      await second.close()
    }
  })

  it('every provider failing ends in one error that lists each failure', async () => {
    stub.chat = { mode: { kind: 'status', status: 503 } }
    const switches: FallbackSwitch[] = []
    const chain = llmChain([new OpenAiLlm({ baseUrl: stub.baseUrl, apiKey: stub.apiKey, model: 'm', label: 'A' }), new OpenAiLlm({ baseUrl: stub.baseUrl, apiKey: 'bad', model: 'm', label: 'B' })], switches)
    const error = await collect(chain.stream((p, signal) => p.stream(question, { signal }), new AbortController().signal)).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(FallbackExhaustedError)
    expect((error as Error).message).toMatch(/LLM: every provider failed — A: HTTP 503.*; B: HTTP 401/)
    expect(switches.at(-1)!.to).toBeNull()
  })

  it('cancellation (barge-in) stops the call at once and never fails over', async () => {
    stub.chat = { mode: { kind: 'ok' }, reply: 'one two three four five six seven eight', tokenDelayMs: 200 }
    const switches: FallbackSwitch[] = []
    const embedded = new EmbeddedSkillsLlm()
    const chain = llmChain([new OpenAiLlm({ baseUrl: stub.baseUrl, apiKey: stub.apiKey, model: 'm' }), embedded], switches)
    const abort = new AbortController()
    const seen: string[] = []
    const t0 = performance.now()
    const error = await (async () => {
      for await (const item of chain.stream((p, signal) => p.stream(question, { signal }), abort.signal)) {
        if (item.type === 'chunk') seen.push(item.value)
        if (seen.length === 2) abort.abort()
      }
    })().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ProviderError)
    expect((error as ProviderError).kind).toBe('cancelled')
    expect(performance.now() - t0).toBeLessThan(1200)
    expect(switches).toEqual([])
    expect(embedded.lastSkill).toBeNull()
  })

  it('a failed provider sits out the cooldown (tried last), then comes back first', () => {
    let now = 0
    const a = new EmbeddedSkillsLlm()
    const b = { ...new EmbeddedSkillsLlm(), id: 'b', label: 'B', stage: 'llm' as const, stream: a.stream.bind(a) }
    const chain = new FallbackChain<LlmProvider>([a, b], { stage: 'llm', firstChunkTimeoutMs: 100, idleTimeoutMs: 100, cooldownMs: 30_000, now: () => now })
    ;(chain as unknown as { downUntil: Map<string, number> }).downUntil.set(a.id, 30_000)
    expect(chain.order().map((p) => p.id)).toEqual(['b', 'embedded-skills'])
    now = 30_000
    expect(chain.order().map((p) => p.id)).toEqual(['embedded-skills', 'b'])
  })
})

describe('FallbackChain for STT and TTS', () => {
  it('STT: 401 on the first server → the second transcribes', async () => {
    const second = await startOpenAiStub({ apiKey: 'sk-2' })
    try {
      second.transcription = { mode: { kind: 'ok' }, text: 'set a timer for five minutes' }
      const switches: FallbackSwitch[] = []
      const chain = new FallbackChain<SttProvider>(
        [new OpenAiStt({ baseUrl: stub.baseUrl, apiKey: 'sk-wrong', model: 'w' }), new OpenAiStt({ baseUrl: second.baseUrl, apiKey: second.apiKey, model: 'w', label: 'backup STT' })],
        { stage: 'stt', firstChunkTimeoutMs: 2000, idleTimeoutMs: 2000, onSwitch: (s) => switches.push(s) }
      )
      const { value, provider } = await chain.once((p, signal) => p.transcribe({ samples: new Int16Array(1600), sampleRate: 16000 }, { signal }), new AbortController().signal)
      expect(value).toBe('set a timer for five minutes')
      expect(provider.label).toBe('backup STT')
      expect(switches[0]!.message).toMatch(/^Speech to text: .* failed: HTTP 401/)
    } finally {
      await second.close()
    }
  })

  it('STT: a broken response body → next provider', async () => {
    stub.transcription = { mode: { kind: 'broken' } }
    const switches: FallbackSwitch[] = []
    const fallback: SttProvider = { id: 'local', label: 'local STT', stage: 'stt', transcribe: async () => 'hello' }
    const chain = new FallbackChain<SttProvider>([new OpenAiStt({ baseUrl: stub.baseUrl, apiKey: stub.apiKey, model: 'w' }), fallback], {
      stage: 'stt',
      firstChunkTimeoutMs: 2000,
      idleTimeoutMs: 2000,
      onSwitch: (s) => switches.push(s)
    })
    const { value } = await chain.once((p, signal) => p.transcribe({ samples: new Int16Array(1600), sampleRate: 16000 }, { signal }), new AbortController().signal)
    expect(value).toBe('hello')
    expect(['broken_stream', 'unreachable']).toContain(switches[0]!.error.kind)
  })

  it('TTS: speech stream dropped after the first chunk → espeak-ng speaks the sentence', async () => {
    stub.speech = { mode: { kind: 'broken', afterChunks: 1 }, msPerChar: 40 }
    const espeak = new EspeakTts({ keepWarm: false })
    const switches: FallbackSwitch[] = []
    const chain = new FallbackChain<TtsProvider>([new OpenAiTts({ baseUrl: stub.baseUrl, apiKey: stub.apiKey, model: 'tts-1' }), espeak], {
      stage: 'tts',
      firstChunkTimeoutMs: 3000,
      idleTimeoutMs: 3000,
      onSwitch: (s) => switches.push(s)
    })
    const items = await collect(chain.stream((p, signal) => p.synthesize('It is eighty four.', { signal }), new AbortController().signal))
    const restart = items.findIndex((i) => i.type === 'restart')
    expect(restart).toBeGreaterThan(0)
    const espeakSamples = items.slice(restart + 1).reduce((n, i) => n + (i.type === 'chunk' ? i.value.length : 0), 0)
    expect(espeakSamples / espeak.outputRate).toBeGreaterThan(0.5)
    expect(switches[0]).toMatchObject({ stage: 'tts', to: { id: 'espeak-ng' }, afterOutput: true })
  })
})

describe('FallbackChain: providers that come and go, per-call switch hooks', () => {
  const stt = (id: string, answer: () => string, available?: () => boolean): SttProvider => ({
    id,
    label: `${id} STT`,
    stage: 'stt',
    transcribe: async () => answer(),
    ...(available ? { available } : {})
  })
  const call = (chain: FallbackChain<SttProvider>, hooks?: { onSwitch?: (s: FallbackSwitch) => void }) =>
    chain.once((p, signal) => p.transcribe({ samples: new Int16Array(1600), sampleRate: 16000 }, { signal }), new AbortController().signal, hooks)

  it('a provider that is not available now is left out, and is tried again once it is', async () => {
    let installed = false
    const failing = stt('cloud', () => {
      throw new ProviderError('http_status', 'HTTP 401 (check the API key): bad key', 401)
    })
    const onDevice = stt('on-device', () => 'on the device', () => installed)
    const switches: FallbackSwitch[] = []
    const chain = new FallbackChain<SttProvider>([failing, onDevice], { stage: 'stt', firstChunkTimeoutMs: 1000, idleTimeoutMs: 1000, onSwitch: (s) => switches.push(s) })
    expect(chain.order().map((p) => p.id)).toEqual(['cloud'])
    await expect(call(chain)).rejects.toMatchObject({ message: 'Speech to text: every provider failed — cloud STT: HTTP 401 (check the API key): bad key' })
    expect(switches.at(-1)!.message).toBe('Speech to text: cloud STT failed: HTTP 401 (check the API key): bad key — no other provider left')
    installed = true
    expect(chain.order().map((p) => p.id)).toEqual(['on-device', 'cloud']) // cloud still cooling down
    expect((await call(chain)).value).toBe('on the device')
  })

  it('with no provider to try, the call fails with the chain’s own sentence', async () => {
    const chain = new FallbackChain<SttProvider>([stt('on-device', () => 'x', () => false)], {
      stage: 'stt',
      firstChunkTimeoutMs: 1000,
      idleTimeoutMs: 1000,
      noProviderMessage: () => 'install a model first'
    })
    const error = await call(chain).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(FallbackExhaustedError)
    expect(error).toMatchObject({ message: 'install a model first', attempts: [] })
    const plain = new FallbackChain<SttProvider>([], { stage: 'stt', firstChunkTimeoutMs: 1000, idleTimeoutMs: 1000 })
    await expect(call(plain)).rejects.toMatchObject({ message: 'Speech to text: no provider configured' })
  })

  it('a call’s own onSwitch hears that call’s switches (the turn notes them), besides the chain’s', async () => {
    const chainSwitches: FallbackSwitch[] = []
    const chain = new FallbackChain<SttProvider>(
      [
        stt('cloud', () => {
          throw new ProviderError('timeout', 'no answer within 4000 ms')
        }),
        stt('on-device', () => 'hello')
      ],
      { stage: 'stt', firstChunkTimeoutMs: 1000, idleTimeoutMs: 1000, cooldownMs: 0, onSwitch: (s) => chainSwitches.push(s) }
    )
    const mine: string[] = []
    expect((await call(chain, { onSwitch: (s) => mine.push(s.message) })).value).toBe('hello')
    expect(mine).toEqual(['Speech to text: cloud STT failed: no answer within 4000 ms — using on-device STT'])
    expect(chainSwitches.map((s) => s.message)).toEqual(mine)
    await call(chain) // another call without a hook: only the chain hears it
    expect(mine).toHaveLength(1)
    expect(chainSwitches).toHaveLength(2)
  })
})

import OpenAI, { toFile } from 'openai'
import { ProviderError, toProviderError } from './errors'
import { Int16Assembler } from '../../node/audio/pcm'
import { encodeWav16 } from '../../node/audio/wav'
import { publicOnlyFetch } from './publicOnlyFetch'
import type { CallOptions, ChatMessage, LlmProvider, PcmAudio, SttProvider, TtsProvider } from './types'

/**
 * Providers for any OpenAI-compatible server (OpenAI, Ollama, llama.cpp server, vLLM, LocalAI, a test stub),
 * through the official `openai` SDK with a configurable base URL. The SDK's own retries are off: failing over to
 * the next provider is the FallbackChain's job, and a retry would only add latency to a turn.
 */

export interface OpenAiCompatibleConfig {
  /** e.g. https://api.openai.com/v1 or http://127.0.0.1:11434/v1 */
  baseUrl: string
  /** null: no key configured. Loopback servers (Ollama, llama.cpp) usually need none. */
  apiKey: string | null
  model: string
  /** Shown in notices; defaults to "OpenAI-compatible <stage> at <host>". */
  label?: string
  /** Whole-request cap; the chain's first-chunk/idle timeouts normally fire first. */
  requestTimeoutMs?: number
  /** 'public': a URL a client brought; connect only to public addresses and follow no redirect (publicOnlyFetch). */
  network?: 'public'
}

export const OPENAI_DEFAULT_BASE_URL = 'https://api.openai.com/v1'

function isLoopback(baseUrl: string): boolean {
  try {
    const host = new URL(baseUrl).hostname
    return host === 'localhost' || host === '127.0.0.1' || host === '[::1]' || host === '::1'
  } catch {
    return false
  }
}

function hostOf(baseUrl: string): string {
  try {
    return new URL(baseUrl).host
  } catch {
    return baseUrl
  }
}

function clientFor(config: OpenAiCompatibleConfig): OpenAI | ProviderError {
  let url: URL
  try {
    url = new URL(config.baseUrl)
  } catch {
    return new ProviderError('unavailable', `base URL ${JSON.stringify(config.baseUrl)} is not a URL`)
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(config.baseUrl))) {
    return new ProviderError('unavailable', `base URL must be https:// (http:// only for localhost), got ${url.protocol}//`)
  }
  if (!config.apiKey && !isLoopback(config.baseUrl)) {
    return new ProviderError('missing_key', `no API key set for ${hostOf(config.baseUrl)} (add it in Settings → Providers)`)
  }
  return new OpenAI({
    baseURL: config.baseUrl,
    // Loopback servers without auth still get a syntactically valid header.
    apiKey: config.apiKey ?? 'no-key',
    maxRetries: 0,
    timeout: config.requestTimeoutMs ?? 60_000,
    ...(config.network === 'public' ? { fetch: publicOnlyFetch() } : {})
  })
}

export class OpenAiStt implements SttProvider {
  readonly stage = 'stt' as const
  readonly id: string
  readonly label: string
  private readonly client: OpenAI | ProviderError

  constructor(private readonly config: OpenAiCompatibleConfig & { language?: string }) {
    this.id = 'openai'
    this.label = config.label ?? `OpenAI-compatible STT at ${hostOf(config.baseUrl)}`
    this.client = clientFor(config)
  }

  async transcribe(audio: PcmAudio, opts: CallOptions): Promise<string> {
    if (this.client instanceof ProviderError) throw this.client
    try {
      const file = await toFile(encodeWav16(audio.samples, audio.sampleRate), 'utterance.wav', { type: 'audio/wav' })
      const result = await this.client.audio.transcriptions.create(
        { model: this.config.model, file, response_format: 'json', ...(this.config.language ? { language: this.config.language } : {}) },
        { signal: opts.signal }
      )
      const text = (result as { text?: unknown }).text
      if (typeof text !== 'string') throw new ProviderError('bad_response', 'transcription response has no text')
      return text.trim()
    } catch (error) {
      throw toProviderError(error, { signal: opts.signal })
    }
  }
}

export class OpenAiLlm implements LlmProvider {
  readonly stage = 'llm' as const
  readonly id: string
  readonly label: string
  private readonly client: OpenAI | ProviderError

  constructor(private readonly config: OpenAiCompatibleConfig & { temperature?: number; maxTokens?: number }) {
    this.id = 'openai'
    this.label = config.label ?? `OpenAI-compatible LLM at ${hostOf(config.baseUrl)}`
    this.client = clientFor(config)
  }

  async *stream(messages: ChatMessage[], opts: CallOptions): AsyncIterable<string> {
    if (this.client instanceof ProviderError) throw this.client
    let started = false
    try {
      const stream = await this.client.chat.completions.create(
        {
          model: this.config.model,
          messages,
          stream: true,
          ...(this.config.temperature !== undefined ? { temperature: this.config.temperature } : {}),
          ...(this.config.maxTokens !== undefined ? { max_tokens: this.config.maxTokens } : {})
        },
        { signal: opts.signal }
      )
      started = true
      let finished = false
      for await (const chunk of stream) {
        const choice = chunk.choices?.[0]
        if (!choice) continue
        const text = choice.delta?.content
        if (typeof text === 'string' && text.length > 0) yield text
        if (choice.finish_reason) finished = true
      }
      // A server that hangs up mid-reply can close the stream cleanly; without a finish_reason the reply is cut.
      if (!finished) throw new ProviderError('broken_stream', 'the reply stream ended without finishing')
    } catch (error) {
      throw toProviderError(error, { during: started ? 'stream' : 'request', signal: opts.signal })
    }
  }
}

/** OpenAI's `pcm` speech format: 24 kHz, 16-bit little-endian, mono. */
export const OPENAI_PCM_RATE = 24_000

export class OpenAiTts implements TtsProvider {
  readonly stage = 'tts' as const
  readonly id: string
  readonly label: string
  readonly outputRate = OPENAI_PCM_RATE
  private readonly client: OpenAI | ProviderError

  constructor(private readonly config: OpenAiCompatibleConfig & { voice?: string }) {
    this.id = 'openai'
    this.label = config.label ?? `OpenAI-compatible TTS at ${hostOf(config.baseUrl)}`
    this.client = clientFor(config)
  }

  async *synthesize(text: string, opts: CallOptions): AsyncIterable<Int16Array> {
    if (this.client instanceof ProviderError) throw this.client
    let started = false
    try {
      const response = await this.client.audio.speech.create(
        { model: this.config.model, voice: this.config.voice ?? 'alloy', input: text, response_format: 'pcm' },
        { signal: opts.signal }
      )
      started = true
      const body = response.body
      if (!body) throw new ProviderError('bad_response', 'speech response has no body')
      const type = response.headers.get('content-type') ?? ''
      if (type.startsWith('application/json') || type.startsWith('text/')) throw new ProviderError('bad_response', `speech response is ${type}, not PCM audio`)
      const assembler = new Int16Assembler()
      let any = false
      for await (const bytes of body as unknown as AsyncIterable<Uint8Array>) {
        const samples = assembler.push(bytes)
        if (samples.length > 0) {
          any = true
          yield samples
        }
      }
      if (!any) throw new ProviderError('bad_response', 'speech response had no audio')
    } catch (error) {
      throw toProviderError(error, { during: started ? 'stream' : 'request', signal: opts.signal })
    }
  }
}

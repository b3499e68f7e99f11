import type { SessionNotification, VoiceConfig } from '../../src/shared/contract/signaling'
import type { TurnTrace } from '../../src/shared/latency/trace'
import { PacedSender } from '../../src/server/audio/pacedSender'
import type { ClientEvent, PipelineContext } from '../../src/server/pipelines/types'
import { ProviderError } from '../../src/server/providers/errors'
import { FallbackChain } from '../../src/server/providers/fallbackChain'
import type { VoiceChains } from '../../src/server/providers/fromConfig'
import { noSpeechToTextMessage, type OnDeviceStt } from '../../src/server/providers/onDeviceStt'
import type { CallOptions, ChatMessage, LlmProvider, PcmAudio, SttProvider, TtsProvider } from '../../src/server/providers/types'
import type { FrameBatch } from '../../src/server/vad/frameBatch'
import { SERVER_VAD_FRAME } from '../../src/server/vad/serverVad'
import { REPLY_FRAME_SAMPLES } from '../../src/server/voice/conversationTurn'
import type { ChainsFactory } from '../../src/server/voice/voiceProviders'
import { VoiceRuntime } from '../../src/server/voice/voiceRuntime'
import type { VoiceNotice, VoiceSession, VoiceSessionOptions } from '../../src/server/voice/voiceSession'
import { FakeClock } from './fakeClock'

/**
 * A VoiceSession on fakes, for the tests that pin its behaviour: a FakeClock drives everything timed (the 20 ms turn
 * ticker, the reply player's poll, the server VAD's 32 ms tick, and a real PacedSender standing in for the session's
 * reply sender); fake STT/LLM/TTS providers sit behind real FallbackChains; the server VAD is the real
 * BatchedServerVad over an energy-threshold FrameBatch (or none).
 */

/** STT that answers from a function of the audio (or throws it); records every call and its abort signal. */
export class FakeStt implements SttProvider {
  readonly stage = 'stt' as const
  readonly calls: Array<{ audio: PcmAudio; signal: AbortSignal }> = []
  constructor(
    readonly label: string,
    public answer: (audio: PcmAudio) => string | Error,
    readonly id = label.toLowerCase().replace(/\W+/g, '-')
  ) {}
  async transcribe(audio: PcmAudio, opts: CallOptions): Promise<string> {
    this.calls.push({ audio, signal: opts.signal })
    const a = this.answer(audio)
    if (a instanceof Error) throw a
    return a
  }
}

/**
 * LLM that streams `reply` word by word. With `hold`, it stops before the last word until `release()`: the turn
 * stays open (a reply still being written). Records the messages and abort signal of every call.
 */
export class FakeLlm implements LlmProvider {
  readonly stage = 'llm' as const
  readonly id = 'fake-llm'
  readonly label = 'Fake LLM'
  readonly calls: Array<{ messages: ChatMessage[]; signal: AbortSignal }> = []
  hold = false
  private releaseHeld: (() => void) | null = null
  constructor(public reply = 'It is noon. The sun is high. Anything else?') {}
  release(): void {
    this.releaseHeld?.()
  }
  async *stream(messages: ChatMessage[], opts: CallOptions): AsyncIterable<string> {
    this.calls.push({ messages, signal: opts.signal })
    const words = this.reply.split(' ')
    for (let i = 0; i < words.length; i++) {
      if (this.hold && i === words.length - 1) {
        await new Promise<void>((resolve, reject) => {
          this.releaseHeld = resolve
          opts.signal.addEventListener('abort', () => reject(new ProviderError('cancelled', 'cancelled')), { once: true })
        })
      }
      if (opts.signal.aborted) throw new ProviderError('cancelled', 'cancelled')
      yield (i ? ' ' : '') + words[i]
    }
  }
}

/**
 * TTS at 48 kHz (no resampling): `framesPerSentence` frames of 20 ms per sentence, every sample of sentence k
 * (counted from 1 over the provider's life) equal to 1000 + k, so a test can tell which sentence a sent frame is from.
 */
export class FakeTts implements TtsProvider {
  readonly stage = 'tts' as const
  readonly id = 'fake-tts'
  readonly label = 'Fake TTS'
  readonly outputRate = 48_000
  sentences: string[] = []
  constructor(private readonly framesPerSentence = 10) {}
  async *synthesize(text: string, opts: CallOptions): AsyncIterable<Int16Array> {
    this.sentences.push(text)
    const value = 1000 + this.sentences.length
    for (let i = 0; i < this.framesPerSentence; i++) {
      if (opts.signal.aborted) throw new ProviderError('cancelled', 'cancelled')
      yield new Int16Array(REPLY_FRAME_SAMPLES).fill(value)
    }
  }
}

/** The server VAD's model stand-in: a frame is speech (0.95) when its RMS is above 0.05 of full scale, else 0.02. */
export class EnergyBatch implements FrameBatch {
  async process(slots: Int32Array, frames: Float32Array): Promise<Float32Array> {
    const out = new Float32Array(slots.length)
    for (let i = 0; i < slots.length; i++) {
      let e = 0
      for (let j = i * SERVER_VAD_FRAME; j < (i + 1) * SERVER_VAD_FRAME; j++) e += frames[j]! * frames[j]!
      out[i] = Math.sqrt(e / SERVER_VAD_FRAME) > 0.05 ? 0.95 : 0.02
    }
    return out
  }
  resetStream(): void {}
}

export interface RigOptions {
  stt?: SttProvider[]
  llm?: FakeLlm
  tts?: FakeTts
  /** Run the server VAD backstop (over EnergyBatch). */
  serverVad?: boolean
  session?: Omit<VoiceSessionOptions, 'chains'>
  /** Use the real chains (buildVoiceChains: embedded LLM, espeak-ng from the runtime's pool) instead of fakes. */
  realChains?: boolean
  /** The runtime's on-device STT: last in the fake STT chain too, as buildVoiceChains puts it. */
  onDeviceStt?: OnDeviceStt
}

export interface SentFrame {
  /** The first sample: 0 for silence, 1000 + k for sentence k of the fake TTS. */
  value: number
  at: number
}

export type VoiceSessionRig = ReturnType<typeof startVoiceSessionRig>

export function startVoiceSessionRig(opts: RigOptions = {}) {
  const clock = new FakeClock(10_000)
  const runtime = new VoiceRuntime({ clock, loadVadBatch: opts.serverVad ? async () => new EnergyBatch() : null, onDeviceStt: opts.onDeviceStt ?? null })
  const stt = opts.stt ?? [new FakeStt('Fake STT', () => 'what time is it')]
  const llm = opts.llm ?? new FakeLlm()
  const tts = opts.tts ?? new FakeTts()
  const sent: SentFrame[] = []
  const notifications: Array<{ type: SessionNotification['type']; detail?: SessionNotification['detail'] }> = []
  let filler: (() => Int16Array | null) | null = null
  const sender = new PacedSender<Int16Array>(clock, (f) => sent.push({ value: f.frame[0]!, at: f.sentAt }), { idleFill: () => filler?.() ?? null })
  const ctx: PipelineContext = {
    sessionId: 'rig-session-0001',
    reply: (pcm) => sender.enqueue(pcm),
    flushReply: () => sender.flush(),
    replyQueued: () => sender.queued,
    setReplyFiller: (fill) => void (filler = fill),
    notify: (type, detail) => void notifications.push({ type, detail })
  }
  const chainEvents = { built: 0, closed: 0, warmUps: 0 }
  const fakeChains: ChainsFactory = (config: VoiceConfig, hooks) => {
    chainEvents.built++
    const chain = <P extends SttProvider | LlmProvider | TtsProvider>(stage: 'stt' | 'llm' | 'tts', providers: P[]): FallbackChain<P> =>
      new FallbackChain(providers, { stage, firstChunkTimeoutMs: 2000, idleTimeoutMs: 2000, onSwitch: hooks.onSwitch, noProviderMessage: () => noSpeechToTextMessage(runtime.onDeviceStt?.modelsDir ?? null) })
    const onDevice = runtime.onDeviceStt
    const sttProviders: SttProvider[] = onDevice ? [...stt, onDevice] : stt
    return {
      stt: chain('stt', sttProviders),
      llm: chain('llm', [llm]),
      tts: chain('tts', [tts]),
      systemPrompt: config.systemPrompt ?? 'You are a test.',
      get labels() {
        return { stt: sttProviders.filter((p) => p.available?.() !== false).map((p) => p.label), llm: [llm.label], tts: [tts.label] }
      },
      warmUp: () => {
        chainEvents.warmUps++
        void onDevice?.refresh()
      },
      refresh: async () => {
        await onDevice?.refresh()
      },
      close: () => void chainEvents.closed++
    } satisfies VoiceChains
  }
  const session: VoiceSession = runtime.startSession(ctx, { ...opts.session, ...(opts.realChains ? {} : { chains: fakeChains }) })
  const traces: TurnTrace[] = []
  const notices: VoiceNotice[] = []
  session.on('turnTrace', (t) => traces.push(t))
  session.on('notice', (n) => notices.push(n))
  /** Let promise chains and provider calls (microtasks, immediates) run. */
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 4; i++) await new Promise<void>((r) => setImmediate(r))
  }
  let rtp = 0
  const rig = {
    clock,
    runtime,
    session,
    ctx,
    sender,
    stt,
    llm,
    tts,
    sent,
    notifications,
    traces,
    notices,
    chainEvents,
    /** The fake chains, for another session on the same runtime. */
    fakeChains,
    settle,
    get filler() {
      return filler
    },
    /** A client (app VAD) event now. */
    client(type: ClientEvent['type'], turnId?: string): void {
      session.onClientEvent({ type, clientTime: Date.now(), turnId })
    },
    /**
     * `ms` of time in 20 ms steps, each with one uplink frame (16 kHz: speech = a loud tone, else silence) and time
     * for async work to finish.
     */
    async run(ms: number, uplink: 'speech' | 'silence' | 'none' = 'silence'): Promise<void> {
      for (let t = 0; t < ms; t += 20) {
        if (uplink !== 'none') {
          const pcm = uplink === 'speech' ? Int16Array.from({ length: 320 }, (_, i) => Math.round(Math.sin(i / 3) * 12000)) : new Int16Array(320)
          session.onFrame({ pcm, sampleRate: 16_000, rtpTimestamp: (rtp += 960), concealed: false, receivedAt: performance.now() })
        }
        clock.advance(20)
        await settle()
      }
    },
    /**
     * Like run (silence), in 20 ms steps with a few real ms between them, until `done` or `timeoutMs` of real time:
     * for work on real threads and files (the on-device STT) that the fake clock does not drive.
     */
    async runUntil(done: () => boolean, timeoutMs = 10_000): Promise<void> {
      const deadline = Date.now() + timeoutMs
      while (!done()) {
        if (Date.now() > deadline) throw new Error(`runUntil: not done within ${timeoutMs} ms`)
        await this.run(20)
        await new Promise((r) => setTimeout(r, 5))
      }
    },
    /**
     * The user asks (the app's VAD: 600 ms of speech as turn t1, its speech_end, end_of_utterance 40 ms later), then
     * `playMs` of silence: the reply's time to start and play.
     */
    async askThenWait(playMs: number): Promise<void> {
      this.client('vadActive')
      this.client('speechStart', 't1')
      await this.run(600, 'speech')
      this.client('speechEnd')
      await this.run(40)
      this.client('endOfUtterance', 't1')
      await this.run(playMs)
    },
    types(): string[] {
      return notifications.map((n) => n.type)
    },
    /** Frames sent with a value of the fake TTS (not silence). */
    replyFramesSent(): number {
      return sent.filter((f) => f.value !== 0).length
    },
    lastTrace(turnId?: string): TurnTrace | undefined {
      return traces.filter((t) => turnId === undefined || t.turnId === turnId).at(-1)
    },
    async close(): Promise<void> {
      session.close()
      sender.close()
      await runtime.close()
    }
  }
  return rig
}

import { isCancelled, ProviderError } from '../providers/errors'
import { FallbackExhaustedError, type FallbackChain } from '../providers/fallbackChain'
import { Framer } from '../../node/audio/pcm'
import { StreamingResampler } from '../../node/audio/resample'
import type { ChatMessage, LlmProvider, PcmAudio, SttProvider, TtsProvider } from '../providers/types'
import type { TurnDecisionTrace, TurnMark, TurnMarkName, TurnStatus, TurnTrace } from '../../shared/latency/trace'
import { OPUS_FRAME_SAMPLES, OPUS_SAMPLE_RATE } from '../../shared/audio/format'
import { SentenceSplitter } from './sentenceSplitter'

export const REPLY_RATE = OPUS_SAMPLE_RATE
export const REPLY_FRAME_SAMPLES = OPUS_FRAME_SAMPLES // 20 ms at 48 kHz

export interface TurnInput {
  turnId: string
  /** Either the transcript (speculative STT already done, or typed text) or the utterance audio. */
  transcript?: string
  audio?: PcmAudio
  /** Marks taken before the turn started (speech_end_mic, uplink_arrival, end_of_utterance …). */
  marks?: TurnMark[]
  /**
   * With a transcript from speculative STT: its stt_compute_ms, who did it, and when it arrived (wall clock ms, the
   * trace's `transcript` mark; often before end_of_utterance).
   */
  stt?: { computeMs: number; provider: string; doneAt?: number }
  /** Notes to carry in the trace (e.g. a failover during speculative STT). */
  notes?: string[]
  /** The turn policy's decision (a spoken turn's wait after the speech ended, and why), carried in the trace. */
  decision?: TurnDecisionTrace
}

export interface TurnSink {
  /** One 20 ms reply frame, 48 kHz mono. */
  frame(pcm: Int16Array): void
  /** The trace so far (called on every new mark and at the end). */
  trace(trace: TurnTrace): void
}

export interface TurnResult {
  status: TurnStatus
  transcript: string
  /** What was spoken (sentences fully synthesized). */
  reply: string
  error?: ProviderError
  trace: TurnTrace
}

export interface Turn {
  readonly turnId: string
  readonly done: Promise<TurnResult>
  /**
   * Barge-in: stop now. Resolves when every provider call has stopped; no frame is emitted after cancel().
   * `forget`: the turn never happened for the conversation (an early reply revoked because the user went on
   * talking): neither its transcript nor its partial reply enters the history.
   */
  cancel(opts?: { forget?: boolean }): Promise<TurnResult>
  /** A mark measured after the turn started (e.g. the server VAD's uplink_arrival after an early commit); a mark
   *  the trace already has is kept as it is. */
  addMark(mark: TurnMark): void
}

/** Said when the user spoke and no recognizer made out the words (the engine crashed, every STT provider failed). */
export const STT_APOLOGY = 'Sorry, I could not make out what you said.'

/** Below this (about −50 dBFS) a TTS sample counts as silence when the reply's leading silence is trimmed. */
const LEAD_SILENCE_LEVEL = 100
/** Kept before the first audible sample (the onset's own ramp), and the most leading silence ever dropped. */
const LEAD_KEEP_MS = 5
const LEAD_MAX_TRIM_MS = 300

/**
 * A TTS chunk without its leading silence: from LEAD_KEEP_MS before the first sample above LEAD_SILENCE_LEVEL.
 * Returns an empty array while the chunk is all silence, unless LEAD_MAX_TRIM_MS were already dropped (a reply
 * that is genuinely quiet is then left as it is). `alreadyTrimmed`: samples dropped from earlier chunks.
 */
export function trimLeadingSilence(pcm: Int16Array, rate: number, alreadyTrimmed = 0): Int16Array {
  const maxTrim = Math.round((LEAD_MAX_TRIM_MS * rate) / 1000)
  let i = 0
  while (i < pcm.length && alreadyTrimmed + i < maxTrim && Math.abs(pcm[i]!) < LEAD_SILENCE_LEVEL) i++
  if (i === pcm.length) return pcm.subarray(pcm.length) // all silence so far, still under the cap
  const audible = Math.abs(pcm[i]!) >= LEAD_SILENCE_LEVEL
  return pcm.subarray(audible ? Math.max(0, i - Math.round((LEAD_KEEP_MS * rate) / 1000)) : i)
}

/** What a turn uses of its conversation: the providers, the prompt, the history, the clocks. */
export interface ConversationTurnDeps {
  stt: FallbackChain<SttProvider>
  llm: FallbackChain<LlmProvider>
  tts: FallbackChain<TtsProvider>
  systemPrompt: string
  /** The conversation so far (user + assistant messages). */
  history(): readonly ChatMessage[]
  /** Add this turn's messages to the history. */
  record(messages: ChatMessage[]): void
  /** Take this turn's messages out of the history again (it is forgotten after it finished). */
  unrecord(messages: ChatMessage[]): void
  /** Wall clock for marks (ms since epoch). */
  now(): number
  /** Monotonic clock for compute figures. */
  monotonic(): number
}

/** Sentences from the LLM waiting for TTS: the TTS side waits for the next one or for the end. */
class SentenceQueue {
  private readonly sentences: string[] = []
  private ended = false
  private wake: (() => void) | null = null

  /** A queue of these sentences that is already ended. */
  static of(...sentences: string[]): SentenceQueue {
    const queue = new SentenceQueue()
    queue.push(...sentences)
    queue.end()
    return queue
  }

  push(...sentences: string[]): void {
    if (sentences.length === 0) return
    this.sentences.push(...sentences)
    this.notify()
  }

  /** The LLM broke mid-reply: the sentences it queued were from it too. */
  clear(): void {
    this.sentences.length = 0
  }

  end(): void {
    this.ended = true
    this.notify()
  }

  /** The next sentence, or undefined once the LLM is done and every sentence was taken. */
  async next(): Promise<string | undefined> {
    for (;;) {
      const sentence = this.sentences.shift()
      if (sentence !== undefined || this.ended) return sentence
      await new Promise<void>((r) => (this.wake = r))
    }
  }

  private notify(): void {
    this.wake?.()
    this.wake = null
  }
}

/**
 * One turn of the conversation: transcript (or utterance audio → STT) → streaming LLM with the system prompt and
 * history → sentence splitter → TTS per sentence while the LLM keeps writing → resample to 48 kHz → 20 ms frames
 * out. Every step stamps a mark (backend clock) into the trace; `cancel()` (barge-in) aborts every provider call at
 * once and no frame is emitted after it returns.
 */
export class ConversationTurn implements Turn {
  readonly turnId: string
  readonly done: Promise<TurnResult>
  private readonly abort = new AbortController()
  private cancelled = false
  private forget = false
  /** The messages this turn added to the history (taken out again if it is forgotten after it finished). */
  private readonly recorded: ChatMessage[] = []
  private readonly trace: TurnTrace
  /** Sentences fully synthesized. */
  private readonly spoken: string[] = []
  private transcript: string

  constructor(
    private readonly input: TurnInput,
    private readonly sink: TurnSink,
    private readonly deps: ConversationTurnDeps
  ) {
    this.turnId = input.turnId
    this.transcript = input.transcript?.trim() ?? ''
    this.trace = { turnId: input.turnId, status: 'running', marks: [...(input.marks ?? [])], compute: {}, providers: {}, notes: [...(input.notes ?? [])].slice(0, 10), ...(input.decision ? { decision: { ...input.decision } } : {}) }
    this.done = this.run()
  }

  addMark(m: TurnMark): void {
    if (this.trace.marks.some((x) => x.name === m.name)) return
    this.trace.marks.push(m)
    this.sink.trace(structuredClone(this.trace))
  }

  cancel(opts?: { forget?: boolean }): Promise<TurnResult> {
    if (opts?.forget) {
      this.forget = true
      if (this.recorded.length) this.deps.unrecord(this.recorded)
    }
    this.cancelled = true
    this.abort.abort(new ProviderError('cancelled', 'barge-in'))
    return this.done
  }

  private async run(): Promise<TurnResult> {
    let sttFailure: ProviderError | null = null
    try {
      try {
        await this.transcribe()
      } catch (error) {
        // The user spoke and every recognizer that was tried failed (the on-device engine crashed, the cloud one is
        // down and no model is installed): say so out loud instead of leaving them in silence. With no recognizer at
        // all there is nothing to apologize for: the notice says how to get one.
        if (this.cancelled || !(error instanceof FallbackExhaustedError) || error.attempts.length === 0) throw error
        sttFailure = error
      }
      if (sttFailure) {
        this.trace.notes!.push(sttFailure.message)
        await this.speak(SentenceQueue.of(STT_APOLOGY))
        return this.finish('failed', sttFailure)
      }
      if (this.transcript) await this.reply()
      return this.finish('done')
    } catch (error) {
      if (this.cancelled || (isCancelled(error) && !(error instanceof FallbackExhaustedError))) return this.finish('cancelled')
      const failure = error instanceof ProviderError ? error : new ProviderError('bad_response', error instanceof Error ? error.message : String(error))
      if (failure !== sttFailure) this.trace.notes!.push(failure.message)
      return this.finish('failed', sttFailure ?? failure)
    }
  }

  /** The transcript (and the trace's stt_compute_ms, STT provider and `transcript` mark): given, or from the STT chain. */
  private async transcribe(): Promise<void> {
    const { input, trace } = this
    if (input.audio && !input.transcript) {
      const audio = input.audio
      const t0 = this.deps.monotonic()
      const { value, provider } = await this.deps.stt.once((p, signal) => p.transcribe(audio, { signal }), this.abort.signal, {
        onSwitch: (s) => trace.notes!.push(s.message)
      })
      const transcript = typeof value === 'string' ? { text: value, computeMs: undefined } : value
      trace.compute!.stt = transcript.computeMs ?? this.deps.monotonic() - t0
      trace.providers!.stt = provider.label
      this.transcript = transcript.text.trim()
      trace.transcript = this.transcript
      this.mark('transcript')
    } else {
      trace.compute!.stt = input.stt?.computeMs ?? 0
      if (input.stt) trace.providers!.stt = input.stt.provider
      trace.transcript = this.transcript
      this.mark('transcript', input.stt?.doneAt)
    }
  }

  /** The LLM writes while TTS speaks what it has written so far, sentence by sentence. */
  private async reply(): Promise<void> {
    const messages: ChatMessage[] = [{ role: 'system', content: this.deps.systemPrompt }, ...this.deps.history(), { role: 'user', content: this.transcript }]
    const sentences = new SentenceQueue()
    let ttsFailure: unknown = null
    const tts = this.speak(sentences).catch((error: unknown) => {
      // TTS failed for good: stop the LLM too, and report the TTS error rather than a cancellation.
      ttsFailure = error
      this.abort.abort(new ProviderError('cancelled', 'text to speech failed'))
    })
    try {
      await this.write(messages, sentences)
    } catch (error) {
      if (!ttsFailure) throw error
    } finally {
      sentences.end()
    }
    await tts
    if (ttsFailure) throw ttsFailure
  }

  /** The LLM's reply, split into sentences as it streams. */
  private async write(messages: ChatMessage[], sentences: SentenceQueue): Promise<void> {
    const { trace } = this
    const splitter = new SentenceSplitter()
    const t0 = this.deps.monotonic()
    for await (const item of this.deps.llm.stream((p, signal) => p.stream(messages, { signal }), this.abort.signal)) {
      if (item.type === 'restart') {
        // The LLM broke mid-reply: drop its unsent text; sentences already queued for TTS were from it too.
        splitter.reset()
        sentences.clear()
        trace.providers!.llm = item.provider.label
        trace.notes!.push(`LLM restarted with ${item.provider.label}: ${item.error.message}`)
        continue
      }
      if (trace.compute!.llm === undefined) {
        trace.compute!.llm = this.deps.monotonic() - t0
        trace.providers!.llm = item.provider.label
        this.mark('llm_first_token')
      }
      sentences.push(...splitter.push(item.value))
    }
    const rest = splitter.flush()
    if (rest) sentences.push(rest)
  }

  /** Each sentence through TTS as it comes, resampled to 48 kHz, out in 20 ms frames. */
  private async speak(sentences: SentenceQueue): Promise<void> {
    const { trace } = this
    const framer = new Framer(REPLY_FRAME_SAMPLES)
    let first = true
    let leadTrimmedSamples = 0
    for (let sentence = await sentences.next(); sentence !== undefined; sentence = await sentences.next()) {
      const text = sentence
      if (first) this.mark('first_sentence')
      const t0 = this.deps.monotonic()
      let resampler: StreamingResampler | null = null
      for await (const item of this.deps.tts.stream((p, signal) => p.synthesize(text, { signal }), this.abort.signal)) {
        if (item.type === 'restart') {
          resampler = null
          trace.providers!.tts = item.provider.label
          continue
        }
        let pcm = item.value
        if (first) {
          // The reply starts with its first audible sample: TTS engines lead with silence (espeak-ng: 0–50 ms).
          const trimmed = trimLeadingSilence(pcm, item.provider.outputRate, leadTrimmedSamples)
          leadTrimmedSamples += pcm.length - trimmed.length
          if (trimmed.length === 0) continue
          pcm = trimmed
          trace.compute!.tts = this.deps.monotonic() - t0
          trace.providers!.tts = item.provider.label
          this.mark('tts_first_audio')
          first = false
        }
        resampler ??= new StreamingResampler(item.provider.outputRate, REPLY_RATE)
        for (const frame of framer.push(resampler.push(pcm))) this.emitFrame(frame)
      }
      this.spoken.push(text)
      // The reply so far, sentence by sentence as it goes out, so the window's history streams with the voice.
      if (!this.cancelled) {
        trace.reply = this.spoken.join(' ')
        this.sink.trace(structuredClone(trace))
      }
    }
    const last = framer.flush()
    if (last) this.emitFrame(last)
  }

  /** A mark now, or at `at` (wall clock ms) when the moment was earlier (a speculative transcript's arrival). */
  private mark(name: TurnMarkName, at?: number): void {
    if (this.trace.marks.some((m) => m.name === name)) return
    this.trace.marks.push({ name, at: Math.min(at ?? Infinity, this.deps.now()), clock: 'backend' })
    this.sink.trace(structuredClone(this.trace))
  }

  private emitFrame(pcm: Int16Array): void {
    if (this.cancelled) return
    this.mark('reply_sent')
    this.sink.frame(pcm)
  }

  private finish(status: TurnStatus, error?: ProviderError): TurnResult {
    const { trace } = this
    trace.status = status
    const reply = this.spoken.join(' ')
    trace.reply = reply
    if (this.transcript && !this.forget) {
      this.recorded.push({ role: 'user', content: this.transcript })
      if (reply) this.recorded.push({ role: 'assistant', content: status === 'cancelled' ? `${reply} …` : reply })
      this.deps.record(this.recorded)
    }
    this.sink.trace(structuredClone(trace))
    return { status, transcript: this.transcript, reply, error, trace: structuredClone(trace) }
  }
}

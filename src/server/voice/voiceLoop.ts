import { isCancelled, ProviderError } from '../providers/errors'
import type { FallbackChain } from '../providers/fallbackChain'
import { Framer } from '../../node/audio/pcm'
import { StreamingResampler } from '../../node/audio/resample'
import type { ChatMessage, LlmProvider, PcmAudio, SttProvider, TtsProvider } from '../providers/types'
import type { TurnMark, TurnMarkName, TurnStatus, TurnTrace } from '../../shared/latency/trace'
import { OPUS_FRAME_SAMPLES, OPUS_SAMPLE_RATE } from '../../shared/audio/format'
import { SentenceSplitter } from './sentenceSplitter'

/**
 * One conversation's voice loop: per turn, transcript (or utterance audio → STT) → streaming LLM with the system
 * prompt and history → sentence splitter → TTS per sentence while the LLM keeps writing → resample to 48 kHz →
 * 20 ms frames out. Every step stamps a mark (backend clock) into the turn's trace; `cancel()` (barge-in) aborts
 * every provider call at once and no frame is emitted after it returns.
 */

export const REPLY_RATE = OPUS_SAMPLE_RATE
export const REPLY_FRAME_SAMPLES = OPUS_FRAME_SAMPLES // 20 ms at 48 kHz

export interface VoiceLoopOptions {
  stt: FallbackChain<SttProvider>
  llm: FallbackChain<LlmProvider>
  tts: FallbackChain<TtsProvider>
  systemPrompt: string
  /** History kept (user + assistant messages), oldest dropped first. */
  maxHistoryMessages?: number
  /** Wall clock for marks (ms since epoch); the trace says it is the backend clock. */
  now?: () => number
  /** Monotonic clock for compute figures. */
  monotonic?: () => number
}

export interface TurnInput {
  turnId: string
  /** Either the transcript (speculative STT already done, or typed text) or the utterance audio. */
  transcript?: string
  audio?: PcmAudio
  /** Marks taken before the turn started (speech_end_mic, uplink_arrival, end_of_utterance …). */
  marks?: TurnMark[]
  /** With a transcript from speculative STT: the part of its compute that lay after end_of_utterance, and who did it. */
  stt?: { computeMs: number; provider: string }
  /** Notes to carry in the trace (e.g. a failover during speculative STT). */
  notes?: string[]
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

export class VoiceLoop {
  private history: ChatMessage[] = []
  private readonly now: () => number
  private readonly monotonic: () => number

  constructor(private readonly opts: VoiceLoopOptions) {
    this.now = opts.now ?? Date.now
    this.monotonic = opts.monotonic ?? (() => performance.now())
  }

  get messages(): readonly ChatMessage[] {
    return this.history
  }

  startTurn(input: TurnInput, sink: TurnSink): Turn {
    const abort = new AbortController()
    let cancelled = false
    let forget = false
    /** The messages this turn added to the history (taken out again if it is forgotten after it finished). */
    const recorded: ChatMessage[] = []
    const trace: TurnTrace = { turnId: input.turnId, status: 'running', marks: [...(input.marks ?? [])], compute: {}, providers: {}, notes: [...(input.notes ?? [])].slice(0, 10) }
    const mark = (name: TurnMarkName): void => {
      if (trace.marks.some((m) => m.name === name)) return
      trace.marks.push({ name, at: this.now(), clock: 'backend' })
      sink.trace(structuredClone(trace))
    }
    const emitFrame = (pcm: Int16Array): void => {
      if (cancelled) return
      mark('reply_sent')
      sink.frame(pcm)
    }
    const spoken: string[] = []
    let transcript = input.transcript?.trim() ?? ''

    const run = async (): Promise<TurnResult> => {
      try {
        if (input.audio && !input.transcript) {
          const t0 = this.monotonic()
          const { value, provider } = await this.opts.stt.once((p, signal) => p.transcribe(input.audio!, { signal }), abort.signal)
          trace.compute!.stt = this.monotonic() - t0
          trace.providers!.stt = provider.label
          transcript = value
        } else {
          trace.compute!.stt = input.stt?.computeMs ?? 0
          if (input.stt) trace.providers!.stt = input.stt.provider
        }
        trace.transcript = transcript
        mark('transcript')
        if (!transcript) return finish('done')

        const messages: ChatMessage[] = [{ role: 'system', content: this.opts.systemPrompt }, ...this.history, { role: 'user', content: transcript }]
        const splitter = new SentenceSplitter()
        const sentences: string[] = []
        let llmDone = false
        let wakeTts: (() => void) | null = null
        const wake = (): void => {
          wakeTts?.()
          wakeTts = null
        }

        const ttsWorker = async (): Promise<void> => {
          const framer = new Framer(REPLY_FRAME_SAMPLES)
          let first = true
          let leadTrimmedSamples = 0
          for (;;) {
            const sentence = sentences.shift()
            if (sentence === undefined) {
              if (llmDone) break
              await new Promise<void>((r) => (wakeTts = r))
              continue
            }
            if (first) mark('first_sentence')
            const t0 = this.monotonic()
            let resampler: StreamingResampler | null = null
            for await (const item of this.opts.tts.stream((p, signal) => p.synthesize(sentence, { signal }), abort.signal)) {
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
                trace.compute!.tts = this.monotonic() - t0
                trace.providers!.tts = item.provider.label
                mark('tts_first_audio')
                first = false
              }
              resampler ??= new StreamingResampler(item.provider.outputRate, REPLY_RATE)
              for (const frame of framer.push(resampler.push(pcm))) emitFrame(frame)
            }
            spoken.push(sentence)
          }
          const last = framer.flush()
          if (last) emitFrame(last)
        }

        let ttsFailure: unknown = null
        const tts = ttsWorker().catch((error: unknown) => {
          // TTS failed for good: stop the LLM too, and report the TTS error rather than a cancellation.
          ttsFailure = error
          abort.abort(new ProviderError('cancelled', 'text to speech failed'))
        })
        try {
          const t0 = this.monotonic()
          for await (const item of this.opts.llm.stream((p, signal) => p.stream(messages, { signal }), abort.signal)) {
            if (item.type === 'restart') {
              // The LLM broke mid-reply: drop its unsent text; sentences already queued for TTS were from it too.
              splitter.reset()
              sentences.length = 0
              trace.providers!.llm = item.provider.label
              trace.notes!.push(`LLM restarted with ${item.provider.label}: ${item.error.message}`)
              continue
            }
            if (trace.compute!.llm === undefined) {
              trace.compute!.llm = this.monotonic() - t0
              trace.providers!.llm = item.provider.label
              mark('llm_first_token')
            }
            const ready = splitter.push(item.value)
            if (ready.length) {
              sentences.push(...ready)
              wake()
            }
          }
          const rest = splitter.flush()
          if (rest) sentences.push(rest)
        } catch (error) {
          if (!ttsFailure) throw error
        } finally {
          llmDone = true
          wake()
        }
        await tts
        if (ttsFailure) throw ttsFailure
        return finish('done')
      } catch (error) {
        if (cancelled || (isCancelled(error) && !(error instanceof Error && error.name === 'FallbackExhaustedError'))) return finish('cancelled')
        const failure = error instanceof ProviderError ? error : new ProviderError('bad_response', error instanceof Error ? error.message : String(error))
        trace.notes!.push(failure.message)
        return finish('failed', failure)
      }
    }

    const finish = (status: TurnStatus, error?: ProviderError): TurnResult => {
      trace.status = status
      const reply = spoken.join(' ')
      trace.reply = reply
      if (transcript && !forget) {
        recorded.push({ role: 'user', content: transcript })
        if (reply) recorded.push({ role: 'assistant', content: status === 'cancelled' ? `${reply} …` : reply })
        this.history.push(...recorded)
        const max = this.opts.maxHistoryMessages ?? 20
        if (this.history.length > max) this.history = this.history.slice(-max)
      }
      sink.trace(structuredClone(trace))
      return { status, transcript, reply, error, trace: structuredClone(trace) }
    }

    const done = run()
    return {
      turnId: input.turnId,
      done,
      addMark: (m) => {
        if (trace.marks.some((x) => x.name === m.name)) return
        trace.marks.push(m)
        sink.trace(structuredClone(trace))
      },
      cancel: (opts) => {
        if (opts?.forget) {
          forget = true
          if (recorded.length) this.history = this.history.filter((m) => !recorded.includes(m))
        }
        cancelled = true
        abort.abort(new ProviderError('cancelled', 'barge-in'))
        return done
      }
    }
  }
}

import type { FallbackChain } from '../providers/fallbackChain'
import type { SttProvider } from '../providers/types'
import { SERVER_VAD_RATE } from '../vad/serverVad'
import type { Logger } from '../../shared/logging/logger'

export interface SpeculativeTranscript {
  text: string
  /** The STT provider's label. */
  provider: string
  /** When the transcript arrived (monotonic ms). */
  doneAt: number
  /** stt_compute_ms: the recognizer's own time when it reports one (on-device: without its queue wait), else the call's. */
  computeMs: number
  /** Failovers during this transcription (for the turn's notes). */
  notes: string[]
}

export interface SpeculativeTranscriptionHooks {
  /** Monotonic ms. */
  now(): number
  /** The transcript arrived (and was not dropped meanwhile): the turn detector judges an interruption by it. */
  onTranscript(utterance: number, text: string): void
  logger: Logger
}

interface Speculation {
  utterance: number
  abort: AbortController
  result: Promise<SpeculativeTranscript | null>
}

/**
 * Transcription started at the lead VAD's early speech_end, before the turn is committed: when end_of_utterance
 * follows, the turn starts from this transcript instead of waiting for STT; when the user goes on talking it is
 * dropped (aborted). One at a time: a new one aborts the last.
 */
export class SpeculativeTranscription {
  private current: Speculation | null = null

  constructor(private readonly hooks: SpeculativeTranscriptionHooks) {}

  /** Transcribe `samples` (the utterance so far, 16 kHz) for `utterance`; null samples: nothing to transcribe. */
  start(utterance: number, samples: Int16Array | null, stt: FallbackChain<SttProvider>): void {
    this.abort()
    if (samples === null) return
    const abort = new AbortController()
    const notes: string[] = []
    const startedAt = this.hooks.now()
    const result = stt.once((p, s) => p.transcribe({ samples, sampleRate: SERVER_VAD_RATE }, { signal: s }), abort.signal, { onSwitch: (s) => notes.push(s.message) }).then(
      ({ value, provider }) => {
        const doneAt = this.hooks.now()
        const t = typeof value === 'string' ? { text: value, computeMs: undefined } : value
        const r: SpeculativeTranscript = { text: t.text, provider: provider.label, doneAt, computeMs: t.computeMs ?? doneAt - startedAt, notes }
        if (!abort.signal.aborted) this.hooks.onTranscript(utterance, t.text)
        return r
      },
      (error: unknown) => {
        if (!abort.signal.aborted) this.hooks.logger.warn('speculative STT failed', { utterance, error: (error as Error).message })
        return null
      }
    )
    this.current = { utterance, abort, result }
  }

  /** The user went on talking: abort the transcription of `utterance`, if it runs. */
  drop(utterance: number): void {
    if (this.current?.utterance !== utterance) return
    this.abort()
  }

  /** The utterance was committed: its transcript to come (null if none was started for it); any other is forgotten. */
  take(utterance: number): Promise<SpeculativeTranscript | null> | null {
    const taken = this.current?.utterance === utterance ? this.current : null
    this.current = null
    return taken?.result ?? null
  }

  /** Abort whatever runs. */
  abort(): void {
    this.current?.abort.abort()
    this.current = null
  }
}

/**
 * The three provider seams of the voice loop. Each is small on purpose: a FallbackChain (fallbackChain.ts) runs
 * one call against a list of them and moves on when one fails, so a provider only has to do its one job and throw
 * a ProviderError (errors.ts) that says what went wrong.
 */

/** Mono 16-bit PCM. */
export interface PcmAudio {
  samples: Int16Array
  sampleRate: number
}

export interface CallOptions {
  /** Aborted on barge-in, on a chain timeout, or when the turn is dropped. Providers stop promptly. */
  signal: AbortSignal
}

export type Stage = 'stt' | 'llm' | 'tts'

interface ProviderBase {
  /** Stable id ("openai", "embedded-skills", "espeak-ng"). */
  readonly id: string
  /** What the user sees in notices ("OpenAI-compatible LLM at http://127.0.0.1:11434/v1"). */
  readonly label: string
  /**
   * Whether the provider can be tried now; a chain leaves out one that says false (the on-device STT while no model
   * is installed). Absent: always.
   */
  available?(): boolean
}

/** A transcription with what it cost, for providers that know more than the call's wall time. */
export interface SttTranscript {
  text: string
  /** The recognizer's own time (ms): for the on-device engine, its worker's compute without the queue wait. */
  computeMs?: number
  /** How long the utterance waited for the recognizer (ms): the on-device engine's queue. */
  queueMs?: number
}

export interface SttProvider extends ProviderBase {
  readonly stage: 'stt'
  /** The whole utterance in, its text out (or the text with its cost). */
  transcribe(audio: PcmAudio, opts: CallOptions): Promise<string | SttTranscript>
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant'
  content: string
}

export interface LlmProvider extends ProviderBase {
  readonly stage: 'llm'
  /** Streams the reply as text deltas. `messages` already holds the system prompt and the history. */
  stream(messages: ChatMessage[], opts: CallOptions): AsyncIterable<string>
}

export interface TtsProvider extends ProviderBase {
  readonly stage: 'tts'
  /** Streams PCM for one piece of text (a sentence), at `outputRate`, in chunks of any length. */
  synthesize(text: string, opts: CallOptions): AsyncIterable<Int16Array>
  readonly outputRate: number
}

export type AnyProvider = SttProvider | LlmProvider | TtsProvider

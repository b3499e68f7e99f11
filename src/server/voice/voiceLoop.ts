import type { FallbackChain } from '../providers/fallbackChain'
import type { ChatMessage, LlmProvider, SttProvider, TtsProvider } from '../providers/types'
import { ConversationTurn, type Turn, type TurnInput, type TurnSink } from './conversationTurn'

/**
 * One conversation's voice loop: its providers, system prompt and history; each turn (ConversationTurn) runs
 * transcript (or utterance audio → STT) → streaming LLM → sentences → TTS → 20 ms frames, and enters the history when
 * it ends (unless it is forgotten: an early reply revoked).
 */

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
    const { stt, llm, tts, systemPrompt } = this.opts
    return new ConversationTurn(input, sink, {
      stt,
      llm,
      tts,
      systemPrompt,
      history: () => this.history,
      record: (messages) => {
        this.history.push(...messages)
        const max = this.opts.maxHistoryMessages ?? 20
        if (this.history.length > max) this.history = this.history.slice(-max)
      },
      unrecord: (messages) => {
        this.history = this.history.filter((m) => !messages.includes(m))
      },
      now: this.now,
      monotonic: this.monotonic
    })
  }
}

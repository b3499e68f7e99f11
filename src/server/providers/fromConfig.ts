import type { VoiceConfig } from '../../shared/contract/signaling'
import { EmbeddedSkillsLlm } from './embeddedSkills'
import { EspeakTts, type EspeakProcessPool } from './espeakTts'
import { FallbackChain, type FallbackSwitch } from './fallbackChain'
import { OpenAiLlm, OpenAiStt, OpenAiTts } from './openaiCompatible'
import type { LlmProvider, SttProvider, TtsProvider } from './types'

/**
 * The voice pipeline's failover chains from a VoiceConfig (sent by the app's main process: settings + keys): the
 * configured OpenAI-compatible providers in order, then the embedded ones, which are always last so a turn is
 * never lost to a missing key or a dead server — EmbeddedSkillsLlm (offline skills) and EspeakTts.
 * There is no embedded STT in the backend: without a configured STT provider, audio turns fail with a clear message.
 */

export const DEFAULT_SYSTEM_PROMPT = 'You are a helpful voice assistant. Answer in one or two short spoken sentences, without lists or markdown.'

export interface VoiceChains {
  stt: FallbackChain<SttProvider>
  llm: FallbackChain<LlmProvider>
  tts: FallbackChain<TtsProvider>
  systemPrompt: string
  /** Labels per stage, in chain order (what the UI shows). */
  labels: { stt: string[]; llm: string[]; tts: string[] }
  /** Start the embedded TTS's spare process now (the user is speaking; the reply will need it soon). */
  warmUp(): void
  close(): void
}

export interface ChainTimeouts {
  /** STT: whole call. */
  sttMs: number
  /** LLM: first token; and the gap between tokens. */
  llmFirstTokenMs: number
  llmIdleMs: number
  ttsFirstAudioMs: number
  ttsIdleMs: number
}

export const DEFAULT_CHAIN_TIMEOUTS: ChainTimeouts = { sttMs: 4000, llmFirstTokenMs: 2500, llmIdleMs: 2500, ttsFirstAudioMs: 2500, ttsIdleMs: 2500 }

export function buildVoiceChains(
  config: VoiceConfig,
  opts: { onSwitch?: (s: FallbackSwitch) => void; timeouts?: Partial<ChainTimeouts>; espeak?: EspeakTts; espeakPool?: EspeakProcessPool; onTimerDone?: (text: string) => void } = {}
): VoiceChains {
  const t = { ...DEFAULT_CHAIN_TIMEOUTS, ...opts.timeouts }
  const stt: SttProvider[] = config.stt.map((p, i) => withIndex(new OpenAiStt({ baseUrl: p.baseUrl, apiKey: p.apiKey, model: p.model, label: p.label, network: p.network }), i))
  const llm: LlmProvider[] = [
    ...config.llm.map((p, i) => withIndex(new OpenAiLlm({ baseUrl: p.baseUrl, apiKey: p.apiKey, model: p.model, label: p.label, network: p.network }), i)),
    new EmbeddedSkillsLlm({ onTimerDone: opts.onTimerDone ? (_info, text) => opts.onTimerDone!(text) : undefined })
  ]
  const espeak = opts.espeak ?? new EspeakTts({ pool: opts.espeakPool })
  const tts: TtsProvider[] = [...config.tts.map((p, i) => withIndex(new OpenAiTts({ baseUrl: p.baseUrl, apiKey: p.apiKey, model: p.model, label: p.label, network: p.network }), i)), espeak]
  return {
    stt: new FallbackChain(stt, { stage: 'stt', firstChunkTimeoutMs: t.sttMs, idleTimeoutMs: t.sttMs, onSwitch: opts.onSwitch }),
    llm: new FallbackChain(llm, { stage: 'llm', firstChunkTimeoutMs: t.llmFirstTokenMs, idleTimeoutMs: t.llmIdleMs, onSwitch: opts.onSwitch }),
    tts: new FallbackChain(tts, { stage: 'tts', firstChunkTimeoutMs: t.ttsFirstAudioMs, idleTimeoutMs: t.ttsIdleMs, onSwitch: opts.onSwitch }),
    systemPrompt: config.systemPrompt?.trim() || DEFAULT_SYSTEM_PROMPT,
    labels: { stt: stt.map((p) => p.label), llm: llm.map((p) => p.label), tts: tts.map((p) => p.label) },
    warmUp: () => espeak.warmUp(),
    close: () => {
      if (!opts.espeak) espeak.close()
    }
  }
}

/** Two providers of one kind in a chain need distinct ids (the chain's cool-down is per id). */
function withIndex<P extends { id: string }>(provider: P, index: number): P {
  if (index > 0) Object.defineProperty(provider, 'id', { value: `${provider.id}-${index + 1}` })
  return provider
}

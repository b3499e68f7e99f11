import type { VoiceConfig } from '../../shared/contract/signaling'
import { EmbeddedSkillsLlm } from './embeddedSkills'
import { EspeakTts, type EspeakProcessPool } from './espeakTts'
import { FallbackChain, type FallbackSwitch } from './fallbackChain'
import { noSpeechToTextMessage, type OnDeviceStt } from './onDeviceStt'
import { OpenAiLlm, OpenAiStt, OpenAiTts } from './openaiCompatible'
import type { LlmProvider, SttProvider, TtsProvider } from './types'

/**
 * The voice pipeline's failover chains from a VoiceConfig (sent by the app's main process: settings + keys): the
 * configured OpenAI-compatible providers in order, then the embedded ones, which are always last so a turn is
 * never lost to a missing key or a dead server — OnDeviceStt (Moonshine on the backend's STT thread, whenever a
 * model is installed), EmbeddedSkillsLlm (offline skills) and EspeakTts. With no STT configured the on-device
 * engine is the STT; with no model installed either, an audio turn ends with a notice saying how to install one.
 */

export const DEFAULT_SYSTEM_PROMPT = 'You are a helpful voice assistant. Answer in one or two short spoken sentences, without lists or markdown.'

export interface VoiceChains {
  stt: FallbackChain<SttProvider>
  llm: FallbackChain<LlmProvider>
  tts: FallbackChain<TtsProvider>
  systemPrompt: string
  /** Labels per stage, in chain order (what the UI shows), of the providers available now. */
  readonly labels: { stt: string[]; llm: string[]; tts: string[] }
  /**
   * The user is speaking: start the embedded TTS's spare process (the reply will need it soon), look at the models
   * folder again (a model installed meanwhile is used for this utterance) and load that model if it is new.
   */
  warmUp(): void
  /** Look again at what the providers can do now (the on-device models folder). */
  refresh(): Promise<void>
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
  opts: {
    onSwitch?: (s: FallbackSwitch) => void
    timeouts?: Partial<ChainTimeouts>
    espeak?: EspeakTts
    espeakPool?: EspeakProcessPool
    onTimerDone?: (text: string) => void
    /** The process's on-device STT (VoiceRuntime), last in the STT chain; null/absent: none. */
    onDeviceStt?: OnDeviceStt | null
  } = {}
): VoiceChains {
  const t = { ...DEFAULT_CHAIN_TIMEOUTS, ...opts.timeouts }
  const onDevice = opts.onDeviceStt ?? null
  const stt: SttProvider[] = [...config.stt.map((p, i) => withIndex(new OpenAiStt({ baseUrl: p.baseUrl, apiKey: p.apiKey, model: p.model, label: p.label, network: p.network }), i)), ...(onDevice ? [onDevice] : [])]
  const llm: LlmProvider[] = [
    ...config.llm.map((p, i) => withIndex(new OpenAiLlm({ baseUrl: p.baseUrl, apiKey: p.apiKey, model: p.model, label: p.label, network: p.network }), i)),
    new EmbeddedSkillsLlm({ onTimerDone: opts.onTimerDone ? (_info, text) => opts.onTimerDone!(text) : undefined })
  ]
  const espeak = opts.espeak ?? new EspeakTts({ pool: opts.espeakPool })
  const tts: TtsProvider[] = [...config.tts.map((p, i) => withIndex(new OpenAiTts({ baseUrl: p.baseUrl, apiKey: p.apiKey, model: p.model, label: p.label, network: p.network }), i)), espeak]
  const present = (ps: Array<SttProvider | LlmProvider | TtsProvider>): string[] => ps.filter((p) => p.available?.() !== false).map((p) => p.label)
  return {
    stt: new FallbackChain(stt, { stage: 'stt', firstChunkTimeoutMs: t.sttMs, idleTimeoutMs: t.sttMs, onSwitch: opts.onSwitch, noProviderMessage: () => noSpeechToTextMessage(onDevice?.modelsDir ?? null) }),
    llm: new FallbackChain(llm, { stage: 'llm', firstChunkTimeoutMs: t.llmFirstTokenMs, idleTimeoutMs: t.llmIdleMs, onSwitch: opts.onSwitch }),
    tts: new FallbackChain(tts, { stage: 'tts', firstChunkTimeoutMs: t.ttsFirstAudioMs, idleTimeoutMs: t.ttsIdleMs, onSwitch: opts.onSwitch }),
    systemPrompt: config.systemPrompt?.trim() || DEFAULT_SYSTEM_PROMPT,
    get labels() {
      return { stt: present(stt), llm: present(llm), tts: present(tts) }
    },
    warmUp: () => {
      espeak.warmUp()
      onDevice?.warmUp()
    },
    refresh: async () => {
      await onDevice?.refresh()
    },
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

import type { VoiceConfig } from '../../shared/contract/signaling'
import type { FallbackSwitch } from '../providers/fallbackChain'
import type { VoiceChains } from '../providers/fromConfig'
import { VoiceLoop } from './voiceLoop'

export interface ChainHooks {
  /** A provider failed and the call moved on (or ran out of providers). */
  onSwitch(s: FallbackSwitch): void
  /** An embedded-skills timer ended (its text is said to the user). */
  onTimerDone(text: string): void
}

/** Builds a session's failover chains from its config (buildVoiceChains in the backend; fakes in tests). */
export type ChainsFactory = (config: VoiceConfig, hooks: ChainHooks) => VoiceChains

/**
 * A session's providers and the conversation that uses them: the STT/LLM/TTS failover chains and the VoiceLoop
 * (which keeps the conversation's history) over them. `configure` swaps both; the chains in use by a running turn
 * close when that turn ends.
 */
export class VoiceProviders {
  private chains: VoiceChains
  private loopValue: VoiceLoop

  constructor(
    private readonly build: (config: VoiceConfig) => VoiceChains,
    config: VoiceConfig,
    private readonly clocks: { now: () => number; monotonic: () => number }
  ) {
    this.chains = build(config)
    this.loopValue = this.makeLoop()
  }

  get loop(): VoiceLoop {
    return this.loopValue
  }

  get stt(): VoiceChains['stt'] {
    return this.chains.stt
  }

  get labels(): VoiceChains['labels'] {
    return this.chains.labels
  }

  /** Start the embedded TTS's spare processes and look at the models folder again (see VoiceSession). */
  warmUp(): void {
    this.chains.warmUp()
  }

  /** Look again at what the providers can do now (the on-device models folder). */
  refresh(): Promise<void> {
    return this.chains.refresh()
  }

  /** New providers from now on; the old chains close now, or when `running` (the turn using them) settles. */
  configure(config: VoiceConfig, running: Promise<unknown> | null): VoiceChains['labels'] {
    const old = this.chains
    this.chains = this.build(config)
    this.loopValue = this.makeLoop()
    if (!running) old.close()
    else void running.finally(() => old.close())
    return this.chains.labels
  }

  close(): void {
    this.chains.close()
  }

  private makeLoop(): VoiceLoop {
    const { stt, llm, tts, systemPrompt } = this.chains
    return new VoiceLoop({ stt, llm, tts, systemPrompt, now: this.clocks.now, monotonic: this.clocks.monotonic })
  }
}

import { describe, expect, it } from 'vitest'
import type { VoiceConfig } from '../../../../src/shared/contract/signaling'
import { FallbackChain } from '../../../../src/server/providers/fallbackChain'
import type { VoiceChains } from '../../../../src/server/providers/fromConfig'
import { VoiceProviders } from '../../../../src/server/voice/voiceProviders'
import { FakeLlm, FakeStt, FakeTts } from '../../../helpers/voiceSessionRig'

function builder() {
  const closed: string[] = []
  let warm = 0
  const build = (config: VoiceConfig): VoiceChains => {
    const name = config.systemPrompt ?? 'default'
    const opts = { firstChunkTimeoutMs: 1000, idleTimeoutMs: 1000 }
    return {
      stt: new FallbackChain([new FakeStt(`STT ${name}`, () => 'hi')], { stage: 'stt', ...opts }),
      llm: new FallbackChain([new FakeLlm('Hello.')], { stage: 'llm', ...opts }),
      tts: new FallbackChain([new FakeTts(1)], { stage: 'tts', ...opts }),
      systemPrompt: name,
      labels: { stt: [`STT ${name}`], llm: ['Fake LLM'], tts: ['Fake TTS'] },
      warmUp: () => void warm++,
      refresh: async () => undefined,
      close: () => void closed.push(name)
    }
  }
  return { build, closed, get warm() { return warm } }
}
const config = (systemPrompt: string): VoiceConfig => ({ stt: [], llm: [], tts: [], systemPrompt })

describe('VoiceProviders', () => {
  it('configure swaps chains and conversation; the old chains close at once when no turn runs, else when it ends', async () => {
    const b = builder()
    const providers = new VoiceProviders(b.build, config('a'), { now: () => 0, monotonic: () => 0 })
    const firstLoop = providers.loop
    expect(providers.labels.stt).toEqual(['STT a'])
    providers.warmUp()
    expect(b.warm).toBe(1)
    providers.configure(config('b'), null)
    expect(b.closed).toEqual(['a'])
    expect(providers.loop).not.toBe(firstLoop)
    expect(providers.labels.stt).toEqual(['STT b'])
    let endTurn: () => void = () => undefined
    providers.configure(config('c'), new Promise<void>((r) => (endTurn = r)))
    expect(b.closed).toEqual(['a'])
    endTurn()
    await new Promise((r) => setImmediate(r))
    expect(b.closed).toEqual(['a', 'b'])
    providers.close()
    expect(b.closed).toEqual(['a', 'b', 'c'])
  })

  it("the conversation's turns use the current chains and prompt", async () => {
    const b = builder()
    const providers = new VoiceProviders(b.build, config('Be brief.'), { now: () => 0, monotonic: () => 0 })
    const result = await providers.loop.startTurn({ turnId: 't1', transcript: 'hi' }, { frame: () => undefined, trace: () => undefined }).done
    expect(result).toMatchObject({ status: 'done', reply: 'Hello.' })
    expect(providers.loop.messages.map((m) => m.content)).toEqual(['hi', 'Hello.'])
  })
})

import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { VoiceConfig } from '../../../../src/shared/contract/signaling'
import { EspeakTts } from '../../../../src/server/providers/espeakTts'
import { buildVoiceChains, DEFAULT_SYSTEM_PROMPT } from '../../../../src/server/providers/fromConfig'
import { OnDeviceStt } from '../../../../src/server/providers/onDeviceStt'
import { installTestMoonshine } from '../../../helpers/moonshineTestModel'

const openai = (label: string, baseUrl = 'http://127.0.0.1:9/v1') => ({ kind: 'openai-compatible' as const, baseUrl, apiKey: 'k', model: 'm', label })

describe('buildVoiceChains: the order of each stage', () => {
  const cleanups: Array<() => unknown> = []
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c()
  })
  async function onDevice(installed: boolean): Promise<OnDeviceStt> {
    const dir = await mkdtemp(join(tmpdir(), 'chains-'))
    cleanups.push(() => rm(dir, { recursive: true, force: true }))
    if (installed) await installTestMoonshine(dir, 'moonshine-tiny-q8')
    const stt = new OnDeviceStt({ modelsDir: dir })
    cleanups.push(() => stt.close())
    await stt.refresh()
    return stt
  }
  function build(config: VoiceConfig, stt: OnDeviceStt | null) {
    const espeak = new EspeakTts({ keepWarm: false })
    cleanups.push(() => espeak.close())
    const chains = buildVoiceChains(config, { espeak, onDeviceStt: stt })
    cleanups.push(() => chains.close())
    return chains
  }
  const config: VoiceConfig = { stt: [openai('Cloud A'), openai('Cloud B')], llm: [openai('Chat')], tts: [openai('Voice')] }

  it('STT: the configured providers in order, then the on-device engine when a model is installed', async () => {
    const chains = build(config, await onDevice(true))
    expect(chains.stt.order().map((p) => p.label)).toEqual(['Cloud A', 'Cloud B', 'on-device Moonshine Tiny'])
    expect(chains.stt.order().map((p) => p.id)).toEqual(['openai', 'openai-2', 'on-device'])
    expect(chains.labels).toEqual({ stt: ['Cloud A', 'Cloud B', 'on-device Moonshine Tiny'], llm: ['Chat', 'Embedded skills (offline)'], tts: ['Voice', 'espeak-ng (on this machine)'] })
  })

  it('with nothing configured the on-device engine is the STT; the LLM and TTS end with the embedded ones', async () => {
    const chains = build({ stt: [], llm: [], tts: [] }, await onDevice(true))
    expect(chains.labels.stt).toEqual(['on-device Moonshine Tiny'])
    expect(chains.labels.llm).toEqual(['Embedded skills (offline)'])
    expect(chains.labels.tts).toEqual(['espeak-ng (on this machine)'])
    expect(chains.systemPrompt).toBe(DEFAULT_SYSTEM_PROMPT)
  })

  it('with no model installed the on-device engine is left out until one is (the labels follow)', async () => {
    const stt = await onDevice(false)
    const chains = build(config, stt)
    expect(chains.labels.stt).toEqual(['Cloud A', 'Cloud B'])
    await installTestMoonshine(stt.modelsDir, 'moonshine-tiny-q8')
    await chains.refresh()
    expect(chains.labels.stt).toEqual(['Cloud A', 'Cloud B', 'on-device Moonshine Tiny'])
  })

  it('without an on-device engine (none in this process) only the configured STT providers are in the chain', () => {
    expect(build(config, null).labels.stt).toEqual(['Cloud A', 'Cloud B'])
  })
})

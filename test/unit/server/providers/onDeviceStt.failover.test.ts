import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { VoiceConfig } from '../../../../src/shared/contract/signaling'
import { EspeakTts } from '../../../../src/server/providers/espeakTts'
import type { FallbackSwitch } from '../../../../src/server/providers/fallbackChain'
import { buildVoiceChains, type VoiceChains } from '../../../../src/server/providers/fromConfig'
import { OnDeviceStt } from '../../../../src/server/providers/onDeviceStt'
import { STT_APOLOGY, type TurnResult } from '../../../../src/server/voice/conversationTurn'
import { VoiceLoop } from '../../../../src/server/voice/voiceLoop'
import { CRASH_MARKER } from '../../../helpers/crashingSttWorker'
import { installTestMoonshine } from '../../../helpers/moonshineTestModel'
import { startOpenAiStub, type OpenAiStub, type StubMode } from '../../../helpers/openaiStub'

const CRASHING_WORKER = fileURLToPath(new URL('../../../helpers/crashingSttWorker.ts', import.meta.url))
const WORDS = ['what', 'is', 'twelve', 'times', 'seven']
const audio = { samples: Int16Array.from({ length: 24000 }, (_, i) => Math.round(3000 * Math.sin(i / 10))), sampleRate: 16000 }

/**
 * Failover that keeps the turn: a cloud STT that fails hands the same utterance to the on-device engine (the small
 * scripted Moonshine model), the user is told, and the reply is spoken; an engine that crashes on the utterance gets
 * the turn a spoken apology instead of silence, and the restarted worker takes the next one.
 */
describe('on-device STT in the failover chain: the turn is kept', () => {
  let stub: OpenAiStub
  let modelsDir: string
  let espeak: EspeakTts
  /** One engine for the cloud-failure cases, loaded before them: the 800 ms chain timeout is for the cloud call. */
  let warmOnDevice: OnDeviceStt
  const cleanups: Array<() => unknown> = []
  beforeAll(async () => {
    stub = await startOpenAiStub()
    modelsDir = await mkdtemp(join(tmpdir(), 'on-device-failover-'))
    await installTestMoonshine(modelsDir, 'moonshine-tiny-q8', { words: WORDS })
    espeak = new EspeakTts()
    warmOnDevice = new OnDeviceStt({ modelsDir })
    await warmOnDevice.transcribe(audio, { signal: new AbortController().signal })
  })
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c()
  })
  afterAll(async () => {
    await warmOnDevice?.close()
    espeak.close()
    await stub.close()
    await rm(modelsDir, { recursive: true, force: true })
  })

  function loop(config: VoiceConfig, onDevice: OnDeviceStt, sttMs = 3000): { loop: VoiceLoop; switches: FallbackSwitch[]; chains: VoiceChains } {
    const switches: FallbackSwitch[] = []
    const chains = buildVoiceChains(config, { onSwitch: (s) => switches.push(s), espeak, onDeviceStt: onDevice, timeouts: { sttMs } })
    cleanups.push(() => chains.close())
    return { loop: new VoiceLoop({ ...chains, now: Date.now }), switches, chains }
  }
  function onDevice(workerPath?: string): OnDeviceStt {
    const stt = new OnDeviceStt({ modelsDir, workerPath })
    cleanups.push(() => stt.close())
    return stt
  }
  async function turn(l: VoiceLoop, id: string): Promise<{ result: TurnResult; frames: number }> {
    let frames = 0
    const result = await l.startTurn({ turnId: id, audio }, { frame: () => frames++, trace: () => undefined }).done
    return { result, frames }
  }
  const cloud = (): VoiceConfig => ({ stt: [{ kind: 'openai-compatible', baseUrl: stub.baseUrl, apiKey: stub.apiKey, model: 'whisper-1', label: 'Cloud STT' }], llm: [], tts: [] })

  const failures: Array<[string, StubMode, RegExp]> = [
    ['401', { kind: 'status', status: 401, message: 'bad key' }, /HTTP 401 \(check the API key\)/],
    ['5xx', { kind: 'status', status: 503, message: 'overloaded' }, /HTTP 503/],
    ['timeout', { kind: 'hang' }, /no answer within 800 ms/],
    ['broken response', { kind: 'broken' }, /.+/]
  ]
  for (const [name, mode, why] of failures) {
    it(`a cloud STT that fails (${name}) falls back to the on-device engine for that turn; the note says so and the reply is spoken`, async () => {
      stub.transcription = { mode, text: 'never heard' }
      const { loop: l, switches, chains } = loop(cloud(), warmOnDevice, 800)
      expect(chains.labels.stt).toEqual(['Cloud STT', 'on-device Moonshine Tiny'])
      const { result, frames } = await turn(l, `fail-${name}`)
      expect(result.status).toBe('done')
      expect(result.transcript).toBe('what is twelve times seven')
      expect(result.reply).toBe('12 times 7 is 84.')
      expect(frames).toBeGreaterThan(20) // spoken: over 400 ms of reply audio
      expect(result.trace.providers?.stt).toBe('on-device Moonshine Tiny')
      expect(switches).toHaveLength(1)
      expect(switches[0]!.message).toMatch(why)
      expect(switches[0]!.message).toMatch(/^Speech to text: Cloud STT failed: .* — using on-device Moonshine Tiny$/)
      expect(result.trace.notes).toContain(switches[0]!.message) // the overlay's note for this turn
      expect(result.trace.compute?.stt).toBeGreaterThan(0)
    })
  }

  it('an engine crash gets the turn a spoken apology; the restarted worker takes the next utterance', async () => {
    const stt = onDevice(CRASHING_WORKER)
    await stt.refresh()
    const { loop: l } = loop({ stt: [], llm: [], tts: [] }, stt, 20_000)
    await writeFile(join(modelsDir, 'moonshine-tiny-q8', CRASH_MARKER), '')
    cleanups.push(() => rm(join(modelsDir, 'moonshine-tiny-q8', CRASH_MARKER), { force: true }))
    const crashed = await turn(l, 'crash')
    expect(crashed.result.status).toBe('failed')
    expect(crashed.result.transcript).toBe('')
    expect(crashed.result.reply).toBe(STT_APOLOGY)
    expect(crashed.frames).toBeGreaterThan(20) // the apology is heard, not silence
    expect(crashed.result.error?.message).toMatch(/worker crashed while transcribing this utterance/)
    expect(crashed.result.trace.notes?.join('\n')).toMatch(/crashed/)
    expect(l.messages).toEqual([]) // nothing was heard, so nothing enters the conversation
    await rm(join(modelsDir, 'moonshine-tiny-q8', CRASH_MARKER))
    const next = await turn(l, 'after-crash')
    expect(next.result).toMatchObject({ status: 'done', transcript: 'what is twelve times seven', reply: '12 times 7 is 84.' })
  })

  it('with nothing configured and no model installed, the turn ends with a notice on how to install one (no apology)', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'on-device-none-'))
    cleanups.push(() => rm(empty, { recursive: true, force: true }))
    const stt = new OnDeviceStt({ modelsDir: empty })
    cleanups.push(() => stt.close())
    await stt.refresh()
    const { loop: l, chains } = loop({ stt: [], llm: [], tts: [] }, stt)
    expect(chains.labels.stt).toEqual([])
    const { result, frames } = await turn(l, 'none')
    expect(result.status).toBe('failed')
    expect(result.reply).toBe('')
    expect(frames).toBe(0)
    expect(result.error?.message).toMatch(/^No speech-to-text is available: install the on-device speech model \(the Local speech recognition panel's Download, or `npm run models -- install/)
  })
})

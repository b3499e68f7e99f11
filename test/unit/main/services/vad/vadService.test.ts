import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { VadEvent } from '../../../../../src/shared/contract/voice'
import { VadService, type LocalUtterance } from '../../../../../src/main/services/vad/vadService'
import { SpeechCorpus } from '../../../../helpers/speech'

describe('VadService (Silero + endpointing on a worker thread)', () => {
  let corpus: SpeechCorpus
  beforeAll(async () => {
    corpus = await SpeechCorpus.create()
  })
  afterAll(() => corpus.dispose())

  it('turns streamed capture audio into events and utterance audio, off the main thread', async () => {
    const clip = await corpus.clip({ leadMs: 600, parts: [{ text: 'Switch off the hallway light', voice: 'en-gb', rate: 160 }], trailMs: 1000 })
    const service = new VadService()
    const events: VadEvent[] = []
    const utterances: LocalUtterance[] = []
    service.events.on('vadEvent', (e) => events.push(e))
    service.events.on('utterance', (u) => utterances.push(u))
    service.start()
    try {
      // Chunks of 128 samples, like AudioWorklet render quanta, pushed before the model has even loaded.
      for (let i = 0; i < clip.samples.length; i += 128) service.pushAudio(clip.samples.slice(i, i + 128))
      expect(await service.ready()).toBe(true)
      const deadline = Date.now() + 10_000
      while (!events.some((e) => e.type === 'end_of_utterance') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
      expect(events.map((e) => e.type)).toEqual(['speech_start', 'speech_end', 'end_of_utterance'])
      expect(Math.abs((events[0] as { startMs: number }).startMs - clip.speech[0]!.startMs)).toBeLessThanOrEqual(100)
      expect(events[0]!.wallTime).toBeGreaterThan(Date.now() - 60_000)
      expect(utterances).toHaveLength(1)
      expect(utterances[0]!.audio.length / 16).toBeGreaterThan(clip.speech[0]!.endMs - clip.speech[0]!.startMs)
    } finally {
      await service.stop()
    }
  })

  it('reports a missing model as an error state instead of crashing', async () => {
    const service = new VadService({ modelPath: '/nonexistent/silero.onnx' })
    service.start()
    expect(await service.ready()).toBe(false)
    expect(service.status).toMatchObject({ state: 'error' })
    expect(service.status.detail).toMatch(/cannot load the Silero VAD model/)
    await service.stop()
  })
})

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SileroVad } from '../../../../src/node/vad/sileroVad'
import { segmentRecording } from '../../../../src/node/vad/vadStream'
import type { EndpointEvent } from '../../../../src/shared/voice/endpointer'
import { SpeechCorpus, whiteNoise } from '../../../helpers/speech'

type Eou = Extract<EndpointEvent, { type: 'end_of_utterance' }>
const eous = (events: EndpointEvent[]): Eou[] => events.filter((e): e is Eou => e.type === 'end_of_utterance')

const VOICES = [
  { voice: 'en-us', rate: 160 },
  { voice: 'en-gb', rate: 130 },
  { voice: 'en-us+f3', rate: 220 },
  { voice: 'en-gb-x-rp', rate: 175 }
]
const SENTENCES = ['Please turn on the kitchen lights', 'Remind me to call my sister at six', 'Play some quiet music']

describe('VAD + endpointing on espeak-ng speech with known silences (default settings)', () => {
  let corpus: SpeechCorpus
  let vad: SileroVad
  beforeAll(async () => {
    corpus = await SpeechCorpus.create()
    vad = await SileroVad.create()
  })
  afterAll(() => corpus.dispose())

  for (const { voice, rate } of VOICES) {
    for (const snrDb of [undefined, 10]) {
      it(`${voice} at ${rate} wpm${snrDb === undefined ? ', clean' : `, white noise at ${snrDb} dB SNR`}: boundaries within ±100 ms`, async () => {
        const clip = await corpus.clip({
          leadMs: 800,
          parts: SENTENCES.flatMap((text, i) => [...(i ? [{ pauseMs: 1400 }] : []), { text, voice, rate }]),
          trailMs: 1200,
          snrDb,
          seed: rate
        })
        const found = eous((await segmentRecording(vad, clip.samples)).events)
        expect(found.map((e) => e.reason)).toEqual(clip.speech.map(() => 'silence'))
        clip.speech.forEach((known, i) => {
          expect(Math.abs(found[i]!.startMs - known.startMs), `start of segment ${i}`).toBeLessThanOrEqual(100)
          expect(Math.abs(found[i]!.endMs - known.endMs), `end of segment ${i}`).toBeLessThanOrEqual(100)
        })
      })
    }
  }

  it('a 400 ms pause inside a sentence stays one utterance', async () => {
    for (const { voice, rate } of VOICES) {
      const clip = await corpus.clip({
        leadMs: 600,
        parts: [{ text: 'Set a timer for', voice, rate }, { pauseMs: 400 }, { text: 'twenty five minutes', voice, rate }],
        trailMs: 1200
      })
      const { events } = await segmentRecording(vad, clip.samples)
      const found = eous(events)
      expect(found, `${voice} ${rate}`).toHaveLength(1)
      expect(Math.abs(found[0]!.startMs - clip.parts[0]!.startMs)).toBeLessThanOrEqual(100)
      expect(Math.abs(found[0]!.endMs - clip.parts[1]!.endMs)).toBeLessThanOrEqual(100)
    }
  })

  it('pure white noise gives no segment', async () => {
    for (const [rms, seed] of [[0.003, 1], [0.03, 2], [0.2, 3]] as const) {
      const { events } = await segmentRecording(vad, whiteNoise(4000, rms, seed))
      expect(events, `noise rms ${rms}`).toEqual([])
    }
  })

  it('cuts each utterance with ≥300 ms of pre-roll and the whole of the speech', async () => {
    const clip = await corpus.clip({ leadMs: 1000, parts: [{ text: 'Good morning', voice: 'en-us', rate: 160 }], trailMs: 1000 })
    const { utterances } = await segmentRecording(vad, clip.samples, {}, { keepAudio: true })
    expect(utterances).toHaveLength(1)
    const u = utterances[0]!
    expect(u.startMs - u.audioStartMs).toBeGreaterThanOrEqual(300)
    expect(u.audioStartMs).toBeLessThanOrEqual(clip.speech[0]!.startMs - 300 + 100)
    expect((u.audioStartMs + (u.audio.length / 16)) ).toBeGreaterThanOrEqual(clip.speech[0]!.endMs)
    // The cut audio is the clip's own audio at that position.
    const offset = Math.round(u.audioStartMs * 16)
    expect(Array.from(u.audio.subarray(4000, 4010))).toEqual(Array.from(clip.samples.subarray(offset + 4000, offset + 4010)))
  })
})

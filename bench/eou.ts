/**
 * `npm run bench -- eou`: end-of-turn latency of VAD + endpointing (default settings) over a generated corpus
 * (espeak-ng, 6 voices × 5 sentences, clean and 10 dB SNR white noise). For every known end of speech:
 * time to the early `speech_end` (where speculative work can start; goal p50 ≤ 250 ms) and to the committed
 * `end_of_utterance`. Times are audio-stream time (what a live stream would see, minus compute). Last line: JSON.
 */
import { parseCli, parseOrExit } from '../src/node/cli'
import { SileroVad } from '../src/node/vad/sileroVad'
import { segmentRecording } from '../src/node/vad/vadStream'
import { DEFAULT_ENDPOINTER_CONFIG, type EndpointEvent } from '../src/shared/voice/endpointer'
import { SpeechCorpus } from '../test/helpers/speech'
import { pct } from './_proc'

// No options: the bench is its defaults (a stray flag is an error, not a silent default run).
parseOrExit('bench eou', () => parseCli(process.argv.slice(2), { options: {} }))

const VOICES = [
  ['en-us', 160],
  ['en-gb', 130],
  ['en-us+f3', 220],
  ['en-gb-x-rp', 175],
  ['en-us+m3', 140],
  ['en-029', 190]
] as const
const SENTENCES = [
  'Please turn on the kitchen lights',
  'What is the weather like tomorrow',
  'Remind me to call my sister at six',
  'How far is it to the nearest train station',
  'Play some quiet music'
]

const corpus = await SpeechCorpus.create()
const vad = await SileroVad.create()
const toEarly: number[] = []
const toCommit: number[] = []
let missed = 0
let split = 0
let computeMs = 0
let audioMs = 0
for (const [voice, rate] of VOICES) {
  for (const snrDb of [undefined, 10]) {
    const clip = await corpus.clip({
      leadMs: 600,
      parts: SENTENCES.flatMap((text, i) => [...(i ? [{ pauseMs: 1500 }] : []), { text, voice, rate }]),
      trailMs: 1500,
      snrDb,
      seed: rate
    })
    const t0 = performance.now()
    const { events } = await segmentRecording(vad, clip.samples)
    computeMs += performance.now() - t0
    audioMs += (clip.samples.length / 16000) * 1000
    const eous = events.filter((e): e is Extract<EndpointEvent, { type: 'end_of_utterance' }> => e.type === 'end_of_utterance')
    if (eous.length > clip.speech.length) split += eous.length - clip.speech.length
    for (const known of clip.speech) {
      // The first early speech_end / commit after this utterance's true end that belongs to an utterance overlapping it.
      const commit = eous.find((e) => e.startMs < known.endMs && e.atMs >= known.endMs)
      if (!commit) {
        missed++
        continue
      }
      const earlies = events.filter((e) => e.type === 'speech_end' && e.utteranceId === commit.utteranceId)
      const early = earlies[earlies.length - 1]!
      toEarly.push(early.atMs - known.endMs)
      toCommit.push(commit.atMs - known.endMs)
    }
  }
}
await corpus.dispose()

const r = (x: number): number => Math.round(x)
console.log(`utterances: ${toEarly.length} (missed ${missed}, extra splits ${split}); settings: speech_end after ${DEFAULT_ENDPOINTER_CONFIG.speechEndSilenceMs} ms, commit after ${DEFAULT_ENDPOINTER_CONFIG.minSilenceMs} ms of silence`)
console.log(`speech end → early speech_end : p50 ${r(pct(toEarly, 50))} ms, p95 ${r(pct(toEarly, 95))} ms (goal p50 ≤ 250)`)
console.log(`speech end → end_of_utterance : p50 ${r(pct(toCommit, 50))} ms, p95 ${r(pct(toCommit, 95))} ms`)
console.log(`compute: ${(computeMs / (audioMs / 32)).toFixed(3)} ms per 32 ms frame (VAD + endpointer)`)
console.log(
  JSON.stringify({
    bench: 'eou',
    utterances: toEarly.length,
    missed,
    extra_splits: split,
    speech_end_p50_ms: r(pct(toEarly, 50)),
    speech_end_p95_ms: r(pct(toEarly, 95)),
    end_of_utterance_p50_ms: r(pct(toCommit, 50)),
    end_of_utterance_p95_ms: r(pct(toCommit, 95)),
    speech_end_silence_ms: DEFAULT_ENDPOINTER_CONFIG.speechEndSilenceMs,
    min_silence_ms: DEFAULT_ENDPOINTER_CONFIG.minSilenceMs,
    goal_met: { speech_end_p50_le_250ms: pct(toEarly, 50) <= 250 }
  })
)

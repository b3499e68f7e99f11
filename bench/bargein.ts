/**
 * `npm run bench -- bargein [N]`: barge-in, speech onset → reply playback stopped, p50/p95 over N interruptions.
 * The `voice` pipeline runs as in the backend (batched Silero server VAD, TurnDetector, ReplyPlayer, the real 20 ms
 * PacedSender, espeak-ng TTS); uplink audio is fed in real time as decoded 20 ms frames: a question, then — while the
 * long reply plays — "Stop. What is the date today?". Onset = the first frame of the interruption fed; stopped = the
 * end of the last reply frame the paced sender put on the wire. This is the backend's share. Then, as the user hears
 * it (`--page N`, default 5; 0 skips it): the app in browser mode + Chromium, a looping fake-mic interruption, mic
 * onset → the reply silent in the page (bench/_bargeinE2e.ts). Last line: JSON.
 */
import { numberOption, parseCli, parseOrExit } from '../src/node/cli'
import { FRAME_SAMPLES } from '../src/server/audio/opusCodec'
import { PacedSender } from '../src/server/audio/pacedSender'
import { realClock } from '../src/shared/clock'
import { VoiceRuntime } from '../src/server/voice/voiceRuntime'
import { summarize } from '../src/shared/latency/stats'
import { runBargeInE2e } from './_bargeinE2e'
import { readWavMono16 } from '../test/helpers/mediaHarness'
import { startOpenAiStub } from '../test/helpers/openaiStub'
import { SpeechCorpus } from '../test/helpers/speech'

const { N, N_PAGE } = parseOrExit('bench bargein', () => {
  const { values, positionals } = parseCli(process.argv.slice(2), { options: { page: { type: 'string' } }, positionals: ['N'] })
  return { N: numberOption('N', positionals[0], 5, { min: 1, integer: true }), N_PAGE: numberOption('--page', values.page, 5, { min: 0, integer: true }) }
})
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

const corpus = await SpeechCorpus.create()
const stub = await startOpenAiStub()
stub.transcription = { mode: { kind: 'ok' }, text: (ms) => (ms < 700 ? '' : 'what is twelve times seven') }
stub.chat = { mode: { kind: 'ok' }, reply: 'Twelve times seven is eighty four. To check it, add seven twelve times, or twelve seven times. Either way the answer is eighty four.' }
const toFrames = async (name: string, spec: Parameters<SpeechCorpus['clip']>[0]): Promise<Int16Array[]> => {
  const clip = await corpus.clip(spec)
  const { samples } = readWavMono16(await corpus.writeWav(name, clip.samples, { rate: 48_000 }))
  const frames: Int16Array[] = []
  for (let at = 0; at + FRAME_SAMPLES <= samples.length; at += FRAME_SAMPLES) frames.push(Int16Array.from(samples.subarray(at, at + FRAME_SAMPLES), (x) => Math.round(x * 32767)))
  return frames
}
const question = await toFrames('q', { leadMs: 300, parts: [{ text: 'What is twelve times seven?', rate: 165 }], trailMs: 100 })
const interruption = await toFrames('stop', { leadMs: 0, parts: [{ text: 'Stop. What is the date today?', rate: 165 }], trailMs: 0 })
const silence = new Int16Array(FRAME_SAMPLES)

const latencies: number[] = []
// As in the backend: one runtime (batched Silero server VAD on its thread, espeak-ng pool) for every round's session.
const voice = new VoiceRuntime()
try {
  for (let round = 0; round < N + 1; round++) {
    const sentAt: number[] = []
    let replyFrames = 0
    const sender = new PacedSender<Int16Array>(realClock, (f) => {
      sentAt.push(f.sentAt)
      replyFrames++
    })
    const sessionId = `bench-bargein-${round}`
    const pipeline = voice.startSession({ sessionId, reply: (p) => sender.enqueue(p), flushReply: () => sender.flush(), replyQueued: () => sender.queued, notify: () => undefined })
    pipeline.configure({ stt: [{ kind: 'openai-compatible', baseUrl: stub.baseUrl, apiKey: stub.apiKey, model: 'whisper-1' }], llm: [{ kind: 'openai-compatible', baseUrl: stub.baseUrl, apiKey: stub.apiKey, model: 'stub' }], tts: [] })
    const t0 = performance.now()
    let n = 0
    const feed = async (frame: Int16Array): Promise<void> => {
      const due = t0 + n++ * 20
      await sleep(Math.max(0, due - performance.now()))
      pipeline.onFrame({ pcm: frame, sampleRate: 48_000, rtpTimestamp: n * 960, concealed: false, receivedAt: performance.now() })
    }
    for (const f of question) await feed(f)
    // Silence until the reply has played for 600 ms.
    let playingSince: number | null = null
    for (let i = 0; i < 400; i++) {
      await feed(silence)
      if (replyFrames > 0) playingSince ??= performance.now()
      if (playingSince !== null && performance.now() - playingSince > 600) break
    }
    if (playingSince === null) throw new Error('no reply started')
    const onset = performance.now()
    for (const f of interruption) await feed(f)
    for (let i = 0; i < 20; i++) await feed(silence)
    // Stopped: the end of the last frame of the reply's unbroken run after the onset (frames after that gap belong to
    // the answer to the interruption, which the early reply may start within this window).
    let last = sentAt.findLastIndex((t) => t < onset)
    while (last + 1 < sentAt.length && sentAt[last + 1]! - Math.max(onset, sentAt[last] ?? onset) < 60) last++
    const stopped = last >= 0 ? Math.max(0, sentAt[last]! + 20 - onset) : Number.NaN
    pipeline.close()
    sender.close()
    if (round === 0) continue // warm-up: Silero load, first espeak
    latencies.push(stopped)
    console.log(`  barge-in ${round}: onset → reply stopped ${stopped.toFixed(1)} ms`)
  }
} finally {
  await voice.close()
  await stub.close()
  await corpus.dispose()
}
const s = summarize(latencies)
console.log(`barge-in (backend share: server VAD + pause + paced sender): p50 ${s.p50?.toFixed(1)} ms p95 ${s.p95?.toFixed(1)} ms (${s.count} of ${N})`)
const page = N_PAGE > 0 ? await runBargeInE2e(N_PAGE) : null
if (page) console.log(`barge-in in the page (mic onset → reply silent): p50 ${page.onset_to_silent_ms.p50} ms p95 ${page.onset_to_silent_ms.p95} ms (${page.n})`)
console.log(
  JSON.stringify({
    bench: 'bargein',
    measures: 'backend: interruption onset fed to the voice pipeline → end of the last reply frame sent; page: mic onset → reply silent in the page',
    n: s.count,
    onset_to_stopped_ms: { p50: s.p50 === null ? null : Math.round(s.p50 * 10) / 10, p95: s.p95 === null ? null : Math.round(s.p95 * 10) / 10 },
    page,
    goal_ms: 150
  })
)
process.exit(0)

/**
 * `npm run bench -- bargein [N] [--false N]`: barge-in, speech onset → reply playback stopped, p50/p95 over N
 * interruptions; `missed_bargeins`: those of the N after which the reply was not cancelled.
 * The `voice` pipeline runs as in the backend (batched Silero server VAD, TurnDetector, ReplyPlayer, the real 20 ms
 * PacedSender, espeak-ng TTS); uplink audio is fed in real time as decoded 20 ms frames: a question, then — while the
 * long reply plays — "Stop. What is the date today?". Onset = the first frame of the interruption fed; stopped = the
 * end of the last reply frame the paced sender put on the wire. This is the backend's share. Then, as the user hears
 * it (`--page N`, default 5; 0 skips it): the app in browser mode + Chromium, a looping fake-mic interruption, mic
 * onset → the reply silent in the page (bench/_bargeinE2e.ts).
 *
 * False barge-ins (`--false N` rounds of each kind, default 2; 0 skips them): sounds during the reply that are not an
 * interruption — a cough (a 180 ms noise burst), a click (one loud 5 ms impulse), a short noise (400 ms, like a door
 * or a keyboard), a backchannel ("Mm-hmm", which the stand-in STT transcribes as such), and the reply's own echo (its
 * frames fed back at −26 dB, 60 ms late: what reaches the backend past the app's echo cancellation, which the stand-in
 * STT transcribes as the reply's words). `false_bargeins`: rounds where the reply was cancelled when it should have
 * resumed. Each sound is fed 600 ms into the reply, then 1.5 s of silence; the rounds are separate sessions, so the
 * onset figures above are measured exactly as before. Last line: JSON.
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
import { SpeechCorpus, whiteNoise } from '../test/helpers/speech'

const { N, N_PAGE, N_FALSE } = parseOrExit('bench bargein', () => {
  const { values, positionals } = parseCli(process.argv.slice(2), { options: { page: { type: 'string' }, false: { type: 'string' } }, positionals: ['N'] })
  return {
    N: numberOption('N', positionals[0], 5, { min: 1, integer: true }),
    N_PAGE: numberOption('--page', values.page, 5, { min: 0, integer: true }),
    N_FALSE: numberOption('--false', values.false, 2, { min: 0, integer: true })
  }
})
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

const corpus = await SpeechCorpus.create()
const stub = await startOpenAiStub()
const REPLY = 'Twelve times seven is eighty four. To check it, add seven twelve times, or twelve seven times. Either way the answer is eighty four.'
/** What the stand-in STT hears in the audio fed after the reply started (the question before it is always the question). */
let heardDuringReply: (ms: number) => string = () => ''
let replyStarted = false
stub.transcription = { mode: { kind: 'ok' }, text: (ms) => (replyStarted ? heardDuringReply(ms) : ms < 700 ? '' : 'what is twelve times seven') }
stub.chat = { mode: { kind: 'ok' }, reply: REPLY }
const toFrames = async (name: string, spec: Parameters<SpeechCorpus['clip']>[0]): Promise<Int16Array[]> => framesOf(name, (await corpus.clip(spec)).samples)
/** 16 kHz samples → 20 ms frames at 48 kHz, as the uplink decodes them. */
const framesOf = async (name: string, samples16k: Float32Array): Promise<Int16Array[]> => {
  const { samples } = readWavMono16(await corpus.writeWav(name, samples16k, { rate: 48_000 }))
  const frames: Int16Array[] = []
  for (let at = 0; at + FRAME_SAMPLES <= samples.length; at += FRAME_SAMPLES) frames.push(Int16Array.from(samples.subarray(at, at + FRAME_SAMPLES), (x) => Math.round(x * 32767)))
  return frames
}
const question = await toFrames('q', { leadMs: 300, parts: [{ text: 'What is twelve times seven?', rate: 165 }], trailMs: 100 })
const interruption = await toFrames('stop', { leadMs: 0, parts: [{ text: 'Stop. What is the date today?', rate: 165 }], trailMs: 0 })
const silence = new Int16Array(FRAME_SAMPLES)
const fade = (x: Float32Array): Float32Array => x.map((v, i) => v * Math.sin((Math.PI * i) / x.length))
const click = new Float32Array(1600)
click.fill(0.8, 400, 480) // 5 ms at full scale, in 100 ms of silence
type FalseKind = 'cough' | 'click' | 'noise' | 'backchannel' | 'echo'
const falseSounds: Record<Exclude<FalseKind, 'echo'>, { frames: Int16Array[]; heard: string }> = {
  cough: { frames: await framesOf('cough', fade(whiteNoise(180, 0.25, 7))), heard: '' },
  click: { frames: await framesOf('click', click), heard: '' },
  noise: { frames: await framesOf('noise', fade(whiteNoise(400, 0.08, 11))), heard: '' },
  backchannel: { frames: await toFrames('mhm', { leadMs: 0, parts: [{ text: 'Mm-hmm', rate: 165 }], trailMs: 0 }), heard: 'Mm-hmm.' }
}
/** The reply's words as an STT would write its echo: as many as fit in the audio heard (~360 ms a word). */
const echoWords = (ms: number): string => REPLY.split(' ').slice(0, Math.floor(ms / 360)).join(' ')
const ECHO_GAIN = 0.05 // −26 dB: a loud residual past echo cancellation
const ECHO_MS = 1500

const latencies: number[] = []
let missed = 0
const falseRounds: Array<{ kind: FalseKind; paused: boolean; cancelled: boolean }> = []
// As in the backend: one runtime (batched Silero server VAD on its thread, espeak-ng pool) for every round's session.
const voice = new VoiceRuntime()
/** One session of the shared runtime, fed 20 ms frames in real time; the question played until its reply has played 600 ms. */
async function sessionWithReplyPlaying(sessionId: string, onReplyFrame: (frame: Int16Array, sentAt: number) => void) {
  const notified: Array<{ type: string; at: number; reason?: string }> = []
  let replyFrames = 0
  const sender = new PacedSender<Int16Array>(realClock, (f) => {
    replyFrames++
    onReplyFrame(f.frame, f.sentAt)
  })
  const notify = (type: string, detail?: unknown): void => void notified.push({ type, at: performance.now(), reason: (detail as { reason?: string } | undefined)?.reason })
  const pipeline = voice.startSession({ sessionId, reply: (p) => sender.enqueue(p), flushReply: () => sender.flush(), replyQueued: () => sender.queued, notify })
  pipeline.configure({ stt: [{ kind: 'openai-compatible', baseUrl: stub.baseUrl, apiKey: stub.apiKey, model: 'whisper-1' }], llm: [{ kind: 'openai-compatible', baseUrl: stub.baseUrl, apiKey: stub.apiKey, model: 'stub' }], tts: [] })
  const t0 = performance.now()
  let n = 0
  const feed = async (frame: Int16Array): Promise<void> => {
    const due = t0 + n++ * 20
    await sleep(Math.max(0, due - performance.now()))
    pipeline.onFrame({ pcm: frame, sampleRate: 48_000, rtpTimestamp: n * 960, concealed: false, receivedAt: performance.now() })
  }
  replyStarted = false
  for (const f of question) await feed(f)
  // Silence until the reply has played for 600 ms.
  let playingSince: number | null = null
  for (let i = 0; i < 400; i++) {
    await feed(silence)
    if (replyFrames > 0) playingSince ??= performance.now()
    if (playingSince !== null && performance.now() - playingSince > 600) break
  }
  if (playingSince === null) throw new Error('no reply started')
  replyStarted = true
  return {
    feed,
    notified,
    close: (): void => {
      pipeline.close()
      sender.close()
    }
  }
}

try {
  for (let round = 0; round < N + 1; round++) {
    const sentAt: number[] = []
    heardDuringReply = (ms) => (ms < 700 ? '' : 'stop what is the date today')
    const { feed, notified, close } = await sessionWithReplyPlaying(`bench-bargein-${round}`, (_frame, at) => void sentAt.push(at))
    const onset = performance.now()
    for (const f of interruption) await feed(f)
    for (let i = 0; i < 20; i++) await feed(silence)
    const cancelled = notified.some((n) => n.type === 'replyCancelled' && n.at >= onset)
    // Stopped: the end of the last frame of the reply's unbroken run after the onset (frames after that gap belong to
    // the answer to the interruption, which the early reply may start within this window).
    let last = sentAt.findLastIndex((t) => t < onset)
    while (last + 1 < sentAt.length && sentAt[last + 1]! - Math.max(onset, sentAt[last] ?? onset) < 60) last++
    const stopped = last >= 0 ? Math.max(0, sentAt[last]! + 20 - onset) : Number.NaN
    close()
    if (round === 0) continue // warm-up: Silero load, first espeak
    latencies.push(stopped)
    if (!cancelled) missed++
    console.log(`  barge-in ${round}: onset → reply stopped ${stopped.toFixed(1)} ms${cancelled ? '' : ' (MISSED: the reply was not cancelled)'}`)
  }
  const kinds: FalseKind[] = ['cough', 'click', 'noise', 'backchannel', 'echo']
  for (let round = 0; round < N_FALSE * kinds.length; round++) {
    const kind = kinds[round % kinds.length]!
    let lastReplyFrame: Int16Array | null = null
    heardDuringReply = kind === 'echo' ? echoWords : () => falseSounds[kind as Exclude<FalseKind, 'echo'>].heard
    const { feed, notified, close } = await sessionWithReplyPlaying(`bench-bargein-false-${round}`, (frame) => {
      lastReplyFrame = frame
    })
    const onset = performance.now()
    if (kind === 'echo') {
      // The reply heard back through the room: each fed frame is the latest reply frame sent (20–60 ms late), quieter.
      for (let i = 0; i < ECHO_MS / 20; i++) await feed(lastReplyFrame ? Int16Array.from(lastReplyFrame as Int16Array, (x) => Math.round(x * ECHO_GAIN)) : silence)
    } else {
      for (const f of falseSounds[kind].frames) await feed(f)
    }
    for (let i = 0; i < 75; i++) await feed(silence)
    const after = notified.filter((x) => x.at >= onset).map((x) => (x.reason ? `${x.type} (${x.reason})` : x.type))
    const outcome = { kind, paused: after.includes('replyPaused'), cancelled: after.some((t) => t.startsWith('replyCancelled')) }
    falseRounds.push(outcome)
    console.log(`  not an interruption (${kind}): ${outcome.cancelled ? 'FALSE BARGE-IN: the reply was cancelled' : outcome.paused ? 'paused, then resumed' : 'the reply went on'} [${after.join(', ')}]`)
    close()
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
    goal_ms: 150,
    missed_bargeins: { count: missed, of: s.count },
    false_bargeins: {
      count: falseRounds.filter((r) => r.cancelled).length,
      of: falseRounds.length,
      paused: falseRounds.filter((r) => r.paused).length,
      by_kind: Object.fromEntries([...new Set(falseRounds.map((r) => r.kind))].map((k) => [k, falseRounds.filter((r) => r.kind === k && r.cancelled).length]))
    }
  })
)
process.exit(0)

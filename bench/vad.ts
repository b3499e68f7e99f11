/**
 * `npm run bench -- vad`: Silero VAD cost per 32 ms frame.
 *  - single: SileroVad (one stream, one thread, tensors and outputs allocated once, context carried in place);
 *  - naive: the reference loop most examples use (new tensors every call, default session options, copy state out);
 *  - batch: SileroVadBatch with B streams in one inference, reported per stream-frame;
 * plus the largest difference between batched and single-stream probabilities on the same audio. Timings are
 * compared as ratios within this run (the machine is shared and noisy). Last line: one JSON object.
 */
import ort from 'onnxruntime-node'
import { loadSileroSession, resolveSileroModelPath, SileroVad, SileroVadBatch, VAD_FRAME_SAMPLES } from '../src/main/services/vad/sileroVad'
import { SpeechCorpus } from '../test/helpers/speech'

const B = Number(process.argv[2] ?? 64)
const ROUNDS = 3

const corpus = await SpeechCorpus.create()
const clip = await corpus.clip({
  leadMs: 300,
  parts: [{ text: 'The quick brown fox jumps over the lazy dog while the radio plays quietly', voice: 'en-us', rate: 160 }, { pauseMs: 500 }, { text: 'and then it rains', voice: 'en-gb', rate: 180 }],
  trailMs: 300,
  snrDb: 20
})
await corpus.dispose()
const frames: Float32Array[] = []
for (let i = 0; i + VAD_FRAME_SAMPLES <= clip.samples.length; i += VAD_FRAME_SAMPLES) frames.push(clip.samples.slice(i, i + VAD_FRAME_SAMPLES))

const session = await loadSileroSession()
const naiveSession = await ort.InferenceSession.create(resolveSileroModelPath())

async function timeSingle(): Promise<number> {
  const vad = new SileroVad(session)
  const t0 = performance.now()
  for (const f of frames) await vad.process(f)
  return (performance.now() - t0) / frames.length
}

async function timeNaive(): Promise<{ ms: number; probs: number[] }> {
  let state = new Float32Array(2 * 128)
  let context = new Float32Array(64)
  const probs: number[] = []
  const t0 = performance.now()
  for (const f of frames) {
    const input = new Float32Array(576)
    input.set(context, 0)
    input.set(f, 64)
    const out = await naiveSession.run({
      input: new ort.Tensor('float32', input, [1, 576]),
      state: new ort.Tensor('float32', state, [2, 1, 128]),
      sr: new ort.Tensor('int64', BigInt64Array.from([16000n]), [])
    })
    probs.push((out.output!.data as Float32Array)[0]!)
    state = new Float32Array(out.stateN!.data as Float32Array)
    context = f.slice(VAD_FRAME_SAMPLES - 64)
  }
  return { ms: (performance.now() - t0) / frames.length, probs }
}

async function timeBatch(): Promise<number> {
  const batch = new SileroVadBatch(session, B)
  const row = new Array<Float32Array>(B)
  const t0 = performance.now()
  for (let i = 0; i < frames.length; i++) {
    // Streams are offset copies of the clip so the rows differ.
    for (let b = 0; b < B; b++) row[b] = frames[(i + b) % frames.length]!
    await batch.process(row)
  }
  return (performance.now() - t0) / (frames.length * B)
}

async function batchIdentity(): Promise<number> {
  const streams = 8
  const single: number[][] = []
  for (let b = 0; b < streams; b++) {
    const vad = new SileroVad(session)
    const probs: number[] = []
    for (let i = 0; i < frames.length; i++) probs.push(await vad.process(frames[(i + b * 7) % frames.length]!))
    single.push(probs)
  }
  const batch = new SileroVadBatch(session, streams)
  let maxDiff = 0
  for (let i = 0; i < frames.length; i++) {
    const probs = await batch.process(Array.from({ length: streams }, (_, b) => frames[(i + b * 7) % frames.length]!))
    for (let b = 0; b < streams; b++) maxDiff = Math.max(maxDiff, Math.abs(probs[b]! - single[b]![i]!))
  }
  return maxDiff
}

// Warm up both sessions, then interleave the variants so drift in machine load hits them alike.
await timeSingle()
const naiveRef = await timeNaive()
await timeBatch()
const single: number[] = []
const naive: number[] = []
const batched: number[] = []
for (let r = 0; r < ROUNDS; r++) {
  single.push(await timeSingle())
  naive.push((await timeNaive()).ms)
  batched.push(await timeBatch())
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const singleMs = median(single)
const naiveMs = median(naive)
const batchMs = median(batched)

// The optimised path must agree with the naive one (same model, same context handling).
const check = new SileroVad(session)
let naiveDiff = 0
for (let i = 0; i < frames.length; i++) naiveDiff = Math.max(naiveDiff, Math.abs((await check.process(frames[i]!)) - naiveRef.probs[i]!))
const identity = await batchIdentity()

console.log(`frames: ${frames.length} × 32 ms of speech+noise, ${ROUNDS} rounds (median)`)
console.log(`single stream : ${singleMs.toFixed(4)} ms/frame (goal ≤ 0.2)`)
console.log(`naive loop    : ${naiveMs.toFixed(4)} ms/frame  → single is ${(naiveMs / singleMs).toFixed(2)}× faster`)
console.log(`batch B=${B}   : ${batchMs.toFixed(4)} ms/stream-frame (goal ≤ 0.08) → ${(singleMs / batchMs).toFixed(2)}× cheaper than single`)
console.log(`max |p| diff  : batched vs single ${identity.toExponential(2)}, single vs naive ${naiveDiff.toExponential(2)}`)
console.log(
  JSON.stringify({
    bench: 'vad',
    model: 'silero_vad_v6',
    frames: frames.length,
    single_ms_per_frame: +singleMs.toFixed(4),
    naive_ms_per_frame: +naiveMs.toFixed(4),
    naive_over_single: +(naiveMs / singleMs).toFixed(3),
    batch_size: B,
    batch_ms_per_stream_frame: +batchMs.toFixed(4),
    single_over_batch: +(singleMs / batchMs).toFixed(3),
    batch_vs_single_max_abs_diff: identity,
    single_vs_naive_max_abs_diff: naiveDiff,
    goals_met: { single_le_0_2ms: singleMs <= 0.2, batch64_le_0_08ms: batchMs <= 0.08 }
  })
)

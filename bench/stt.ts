/**
 * `npm run bench -- stt [--rounds n] [--models tiny,base] [--regenerate]`: what the on-device engine costs per
 * utterance (1 s, 3 s, 8 s of audio): encoder ms, ms per decoded token, compute ms and real-time factor, measured
 * through SttService, i.e. on its worker thread, as the app and the backend run it.
 * `npm run bench -- stt --sessions 20 [--seconds 60]`: instead, N voice sessions talking at once on one backend's
 * voice runtime, sharing its one STT thread (Tiny stand-in): how long utterances wait in the STT queue (goal: never
 * over 1 s with 20 sessions); see bench/_sttSessions.ts.
 *
 * The real weights cannot be downloaded on this machine, so the models are architecture-sized stand-ins
 * (test/helpers/moonshineStandIn.ts): Moonshine Tiny's and Base's published layer counts, widths, heads,
 * feed-forward sizes and vocabulary, random 8-bit weights in the same operators as the published *_quantized.onnx
 * files, and an end token that never wins, so decoding always runs to the engine's cap of 6.5 tokens per second of
 * audio (the worst case: real speech usually ends earlier). They are generated once into .cache/stt-standins/ (and
 * again when the generator changes). The audio is synthetic: with random weights its content changes nothing.
 * Last line: one JSON object.
 */
import { cpus, loadavg } from 'node:os'
import { parseCli, parseOrExit, numberOption, UsageError } from '../src/node/cli'
import { maxTokensFor, TOKENS_PER_SECOND } from '../src/node/stt/moonshineEngine'
import { SttService, type SttServiceResult } from '../src/node/stt/sttService'
import { MOONSHINE_BASE, MOONSHINE_TINY, type MoonshineArchitecture } from '../test/helpers/moonshineStandIn'
import { pct, round } from './_proc'
import { standIn, syntheticAudio } from './_sttStandIn'
import { runSttSessions } from './_sttSessions'

const ARCHITECTURES: Record<string, MoonshineArchitecture> = { tiny: MOONSHINE_TINY, base: MOONSHINE_BASE }
const DURATIONS_S = [1, 3, 8]
const GOAL_MS = 250
const GOAL_RTF = 0.08

const args = parseOrExit(
  'bench stt',
  () => {
    const { values } = parseCli(process.argv.slice(2), {
      options: { rounds: { type: 'string' }, models: { type: 'string' }, regenerate: { type: 'boolean' }, sessions: { type: 'string' }, seconds: { type: 'string' } }
    })
    const names = (values.models ?? 'tiny,base').split(',').map((s) => s.trim())
    for (const n of names) if (!ARCHITECTURES[n]) throw new UsageError(`--models: unknown model ${JSON.stringify(n)}; models: ${Object.keys(ARCHITECTURES).join(', ')}`)
    return {
      rounds: numberOption('--rounds', values.rounds, 5, { min: 1, max: 50, integer: true }),
      models: names,
      regenerate: values.regenerate ?? false,
      sessions: values.sessions === undefined ? null : numberOption('--sessions', values.sessions, 20, { min: 1, max: 200, integer: true }),
      seconds: numberOption('--seconds', values.seconds, 60, { min: 5, max: 1800 })
    }
  },
  'usage: npm run bench -- stt [--rounds n (default 5)] [--models tiny,base] [--regenerate] | --sessions n [--seconds s (default 60)]'
)

if (args.sessions !== null) {
  const summary = await runSttSessions({ sessions: args.sessions, seconds: args.seconds, log: (line) => console.log(line) })
  console.log(
    JSON.stringify({
      bench: 'stt',
      mode: 'sessions',
      stand_in: true,
      note: 'on-device STT = Moonshine Tiny architecture-sized stand-in (random 8-bit weights, not a speech recognizer; decoding always to the engine cap of 6.5 tokens/s); N VoiceSessions on one VoiceRuntime (server VAD thread, one STT thread, espeak-ng pool) fed 16 kHz uplink frames in real time, without WebRTC/Opus; stt_queue_wait_ms = SttService queueMs, stt_compute_ms = its computeMs',
      cpus: cpus().length,
      load_avg_1m: round(loadavg()[0]!, 2),
      ...summary
    })
  )
  process.exit(0)
}

interface Row {
  audio_s: number
  tokens: number
  encoder_ms_p50: number
  ms_per_token_p50: number
  worker_ms_p50: number
  compute_ms_p50: number
  compute_ms_min: number
  compute_ms_max: number
  rtf_p50: number
}

const load1m = loadavg()[0]!
const results: Array<Record<string, unknown>> = []
console.log(`stt bench: stand-ins with random 8-bit weights (not speech recognizers), decoding capped at ${TOKENS_PER_SECOND} tokens/s of audio, ${args.rounds} rounds, ${cpus().length} CPUs, load ${load1m.toFixed(2)}`)
for (const name of args.models) {
  const arch = ARCHITECTURES[name]!
  const t0 = performance.now()
  const model = await standIn(arch, { regenerate: args.regenerate })
  if (model.generated) console.log(`${arch.name}: generated the stand-in into ${model.dir} in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
  const service = new SttService()
  const warm = await service.transcribe(arch.name, model.dir, syntheticAudio(1))
  const samples = new Map<number, SttServiceResult[]>(DURATIONS_S.map((s) => [s, []]))
  for (let r = 0; r < args.rounds; r++) {
    for (const seconds of DURATIONS_S) samples.get(seconds)!.push(await service.transcribe(arch.name, model.dir, syntheticAudio(seconds)))
  }
  await service.stop()
  const rows: Row[] = DURATIONS_S.map((seconds) => {
    const runs = samples.get(seconds)!
    const tokens = runs[0]!.decodeSteps
    if (runs.some((x) => x.decodeSteps !== maxTokensFor(seconds * 16000))) throw new Error(`${arch.name}: decoding stopped before the cap; the stand-in is not measuring the worst case`)
    const compute = runs.map((x) => x.computeMs)
    return {
      audio_s: seconds,
      tokens,
      encoder_ms_p50: round(pct(runs.map((x) => x.encoderMs), 50)),
      ms_per_token_p50: round(pct(runs.map((x) => x.decoderMs / x.decodeSteps), 50), 2),
      worker_ms_p50: round(pct(runs.map((x) => x.transcriptionMs), 50)),
      compute_ms_p50: round(pct(compute, 50)),
      compute_ms_min: round(Math.min(...compute)),
      compute_ms_max: round(Math.max(...compute)),
      rtf_p50: round(pct(compute, 50) / (seconds * 1000), 3)
    }
  })
  console.log(`${arch.name} stand-in: ${(model.parameters / 1e6).toFixed(2)} M parameters (published model: ${arch.publishedParameters / 1e6} M); model load ${Math.round(warm.loadMs)} ms`)
  console.log('  audio  tokens  encoder ms  ms/token  compute ms p50 (min–max)  RTF')
  for (const r of rows) {
    console.log(`  ${`${r.audio_s} s`.padEnd(5)}  ${String(r.tokens).padStart(6)}  ${r.encoder_ms_p50.toFixed(1).padStart(10)}  ${r.ms_per_token_p50.toFixed(2).padStart(8)}  ${`${r.compute_ms_p50.toFixed(1)} (${r.compute_ms_min.toFixed(1)}–${r.compute_ms_max.toFixed(1)})`.padStart(24)}  ${r.rtf_p50.toFixed(3)}`)
  }
  results.push({
    model: arch.name,
    stand_in: true,
    stand_in_parameters: model.parameters,
    published_parameters: arch.publishedParameters,
    config: { hidden_size: arch.hiddenSize, encoder_layers: arch.encoderLayers, decoder_layers: arch.decoderLayers, heads: arch.heads, intermediate_size: arch.intermediateSize, vocab_size: arch.vocabSize },
    load_ms: round(warm.loadMs),
    utterances: rows
  })
}

const tiny3 = (results.find((m) => m.model === MOONSHINE_TINY.name)?.utterances as Row[] | undefined)?.find((r) => r.audio_s === 3)
if (tiny3) console.log(`goal: Tiny stand-in, 3 s utterance ≤ ${GOAL_MS} ms on the worker thread (≤ ${GOAL_RTF} RTF): ${tiny3.compute_ms_p50} ms, RTF ${tiny3.rtf_p50}`)
console.log(
  JSON.stringify({
    bench: 'stt',
    stand_ins: true,
    note: 'architecture-sized stand-ins with random 8-bit weights, not the real models: the published config.json layer counts, widths, heads, feed-forward sizes and vocabulary; decoding always runs to the engine cap (worst case); synthetic audio; compute_ms = SttService stt_compute_ms (hand-off to the worker thread until the result is back), worker_ms = the engine on the worker thread',
    tokens_per_second_cap: TOKENS_PER_SECOND,
    rounds: args.rounds,
    cpus: cpus().length,
    load_avg_1m: round(load1m, 2),
    models: results,
    goals_met: tiny3 ? { tiny_3s_le_250ms: tiny3.compute_ms_p50 <= GOAL_MS, tiny_3s_rtf_le_0_08: tiny3.rtf_p50 <= GOAL_RTF } : null
  })
)

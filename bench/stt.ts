/**
 * `npm run bench -- stt [--rounds n] [--models tiny,base] [--regenerate]`: what the on-device engine costs per
 * utterance (1 s, 3 s, 8 s of audio): encoder ms, ms per decoded token, compute ms and real-time factor, measured
 * through SttService, i.e. on its worker thread, as the app and the backend run it.
 *
 * The real weights cannot be downloaded on this machine, so the models are architecture-sized stand-ins
 * (test/helpers/moonshineStandIn.ts): Moonshine Tiny's and Base's published layer counts, widths, heads,
 * feed-forward sizes and vocabulary, random 8-bit weights in the same operators as the published *_quantized.onnx
 * files, and an end token that never wins, so decoding always runs to the engine's cap of 6.5 tokens per second of
 * audio (the worst case: real speech usually ends earlier). They are generated once into .cache/stt-standins/ (and
 * again when the generator changes). The audio is synthetic: with random weights its content changes nothing.
 * Last line: one JSON object.
 */
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { cpus, loadavg } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseCli, parseOrExit, numberOption, UsageError } from '../src/node/cli'
import { maxTokensFor, TOKENS_PER_SECOND } from '../src/node/stt/moonshineEngine'
import { SttService, type SttServiceResult } from '../src/node/stt/sttService'
import { MOONSHINE_BASE, MOONSHINE_TINY, writeMoonshineStandIn, type MoonshineArchitecture } from '../test/helpers/moonshineStandIn'
import { pct, round } from './_proc'

const ARCHITECTURES: Record<string, MoonshineArchitecture> = { tiny: MOONSHINE_TINY, base: MOONSHINE_BASE }
const DURATIONS_S = [1, 3, 8]
const GOAL_MS = 250
const GOAL_RTF = 0.08

const args = parseOrExit(
  'bench stt',
  () => {
    const { values } = parseCli(process.argv.slice(2), { options: { rounds: { type: 'string' }, models: { type: 'string' }, regenerate: { type: 'boolean' } } })
    const names = (values.models ?? 'tiny,base').split(',').map((s) => s.trim())
    for (const n of names) if (!ARCHITECTURES[n]) throw new UsageError(`--models: unknown model ${JSON.stringify(n)}; models: ${Object.keys(ARCHITECTURES).join(', ')}`)
    return { rounds: numberOption('--rounds', values.rounds, 5, { min: 1, max: 50, integer: true }), models: names, regenerate: values.regenerate ?? false }
  },
  'usage: npm run bench -- stt [--rounds n (default 5)] [--models tiny,base] [--regenerate]'
)

const REPO = fileURLToPath(new URL('..', import.meta.url))
const CACHE = join(REPO, '.cache', 'stt-standins')
const GENERATOR = join(REPO, 'test', 'helpers', 'moonshineStandIn.ts')

/** The stand-in's folder, generated when missing or made by another version of the generator. */
async function standIn(arch: MoonshineArchitecture): Promise<{ dir: string; parameters: number; generated: boolean }> {
  const generator = createHash('sha256').update(await readFile(GENERATOR)).digest('hex').slice(0, 16)
  const dir = join(CACHE, arch.name)
  const stamp = join(dir, 'stand-in.json')
  if (!args.regenerate && existsSync(stamp)) {
    const made = JSON.parse(await readFile(stamp, 'utf8')) as { generator: string; parameters: number }
    if (made.generator === generator) return { dir, parameters: made.parameters, generated: false }
  }
  // Built next to the destination and renamed into place, so an interrupted run never leaves half a model.
  const staging = `${dir}.partial-${process.pid}`
  await rm(staging, { recursive: true, force: true })
  const written = await writeMoonshineStandIn(staging, arch)
  await writeFile(join(staging, 'stand-in.json'), JSON.stringify({ generator, architecture: arch, parameters: written.parameters }, null, 2))
  await mkdir(CACHE, { recursive: true })
  await rm(dir, { recursive: true, force: true })
  await rename(staging, dir)
  return { dir, parameters: written.parameters, generated: true }
}

/** Deterministic speech-like audio: a voiced buzz with a moving pitch, syllable-rate envelope, a little noise. */
function syntheticAudio(seconds: number): Float32Array {
  const out = new Float32Array(Math.round(seconds * 16000))
  let phase = 0
  let seed = 12345
  for (let i = 0; i < out.length; i++) {
    const t = i / 16000
    phase += (2 * Math.PI * (120 + 30 * Math.sin(2 * Math.PI * 0.7 * t))) / 16000
    seed = (seed * 1103515245 + 12345) >>> 0
    const envelope = 0.5 + 0.5 * Math.sin(2 * Math.PI * 4 * t)
    out[i] = 0.3 * envelope * (Math.sin(phase) + 0.5 * Math.sin(2 * phase) + 0.25 * Math.sin(3 * phase)) + 0.01 * (seed / 2 ** 32 - 0.5)
  }
  return out
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
  const model = await standIn(arch)
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

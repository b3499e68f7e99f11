/**
 * `npm run bench -- turn [N] [--stt stub|on-device] [--turns-e2e N]`: the voice loop at pipeline level — transcript
 * (or utterance audio) in → first 20 ms reply frame out — over N turns per configuration:
 *   embedded   transcript → embedded skills LLM → espeak-ng (no keys, no network)
 *   stub       (--stt stub, the default) utterance audio → OpenAI-compatible STT + streaming chat (local stub server,
 *              no added delay: the STT costs ~1 ms) → espeak-ng
 *   on_device  (--stt on-device) utterance audio → the backend's on-device STT (its worker thread) with the Moonshine
 *              Tiny architecture-sized stand-in (random weights: decoding always runs to the engine's cap, the
 *              transcript is gibberish) + the streaming chat stub → espeak-ng
 * Per turn: first-frame latency, the measured compute (STT + LLM ttft + TTS ttfb) and pipeline overhead =
 * first frame − that compute. Then, through the real media path (`--turns-e2e N`, default 6; 0 skips it):
 *   e2e        the app in browser mode + Chromium with a fake mic looping an espeak-ng question: app VAD → signaling,
 *              WebRTC → `voice` pipeline → STT (the stub configured as the STT provider, or with --stt on-device
 *              nothing configured and the Tiny stand-in installed: the backend's on-device engine, speculative at the
 *              early speech_end) → embedded skills → espeak-ng → Opus → the page. e2e_latency = speech end at the
 *              mic → first reply sample heard in the page (renderer clock); with stt_compute_ms and LiveKit's
 *              transcription_delay per turn; pipeline overhead = e2e − the compute on the critical path.
 * Last line: JSON.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { numberOption, parseCli, parseOrExit, UsageError } from '../src/node/cli'
import { EmbeddedSkillsLlm } from '../src/server/providers/embeddedSkills'
import { EspeakTts } from '../src/server/providers/espeakTts'
import { FallbackChain } from '../src/server/providers/fallbackChain'
import { OnDeviceStt } from '../src/server/providers/onDeviceStt'
import { OpenAiLlm, OpenAiStt } from '../src/server/providers/openaiCompatible'
import type { LlmProvider, SttProvider, TtsProvider } from '../src/server/providers/types'
import { VoiceLoop } from '../src/server/voice/voiceLoop'
import { summarize, type Summary } from '../src/shared/latency/stats'
import { MOONSHINE_TINY } from '../test/helpers/moonshineStandIn'
import { startOpenAiStub } from '../test/helpers/openaiStub'
import { installStandIn } from './_sttStandIn'
import { runE2e, type SttMode } from './_turnE2e'

const STT_MODES: readonly SttMode[] = ['stub', 'on-device']
const { N, N_E2E, STT } = parseOrExit(
  'bench turn',
  () => {
    const { values, positionals } = parseCli(process.argv.slice(2), { options: { 'turns-e2e': { type: 'string' }, stt: { type: 'string' } }, positionals: ['N'] })
    const stt = values.stt ?? 'stub'
    if (!(STT_MODES as readonly string[]).includes(stt)) throw new UsageError(`--stt is one of ${STT_MODES.join(', ')}, got ${JSON.stringify(stt)}`)
    return { N: numberOption('N', positionals[0], 20, { min: 1, integer: true }), N_E2E: numberOption('--turns-e2e', values['turns-e2e'], 6, { min: 0, integer: true }), STT: stt as SttMode }
  },
  'usage: npm run bench -- turn [N (default 20)] [--stt stub|on-device (default stub)] [--turns-e2e N (default 6)]'
)
const QUESTIONS = ['What time is it?', 'What is twelve times seven?', "What's the date today?", 'Set a timer for five minutes.', 'What is 15 percent of 80?', 'Help']

function round(s: Summary): { p50: number | null; p95: number | null } {
  const r = (v: number | null): number | null => (v === null ? null : Math.round(v * 10) / 10)
  return { p50: r(s.p50), p95: r(s.p95) }
}

async function run(name: string, stt: SttProvider[], llm: LlmProvider[], tts: EspeakTts, withAudio: boolean) {
  const chain = <P extends SttProvider | LlmProvider | TtsProvider>(stage: 'stt' | 'llm' | 'tts', ps: P[]): FallbackChain<P> =>
    new FallbackChain(ps, { stage, firstChunkTimeoutMs: 5000, idleTimeoutMs: 5000, onSwitch: (s) => console.log(`  failover: ${s.message}`) })
  // Marks on the high-resolution clock (the trace's wall clock by default has whole milliseconds).
  const loop = new VoiceLoop({ stt: chain('stt', stt), llm: chain('llm', llm), tts: chain('tts', [tts]), systemPrompt: 'You are a concise voice assistant.', maxHistoryMessages: 6, now: () => performance.timeOrigin + performance.now() })
  const firstFrame: number[] = []
  const compute: number[] = []
  const overhead: number[] = []
  const ttfb: number[] = []
  const sttCompute: number[] = []
  // 2 s of a quiet voiced buzz (the on-device engine skips pure silence faster than speech).
  const audio = { samples: Int16Array.from({ length: 16000 * 2 }, (_, i) => Math.round(3000 * Math.sin(i / 9) * (0.5 + 0.5 * Math.sin(i / 2000)))), sampleRate: 16000 }
  for (let i = 0; i < N + 2; i++) {
    const question = QUESTIONS[i % QUESTIONS.length]!
    const start = performance.now()
    let first: number | null = null
    const result = await loop.startTurn(withAudio ? { turnId: `${name}-${i}`, audio } : { turnId: `${name}-${i}`, transcript: question }, {
      frame: () => (first ??= performance.now() - start),
      trace: () => undefined
    }).done
    if (result.status !== 'done' || first === null) throw new Error(`${name} turn ${i}: ${result.status} ${result.error?.message ?? 'no audio'}`)
    if (i < 2) continue // warm-up (process start, JIT, first connection)
    const c = result.trace.compute!
    // The STT's whole call (on-device: queue wait + compute) is on this path: no speculation at pipeline level.
    const sttCall = result.trace.marks.find((m) => m.name === 'transcript')!.at - (performance.timeOrigin + start)
    const measured = (withAudio ? Math.max(c.stt ?? 0, sttCall) : 0) + (c.llm ?? 0) + (c.tts ?? 0)
    firstFrame.push(first)
    compute.push(measured)
    overhead.push(first - measured)
    ttfb.push(c.tts ?? 0)
    sttCompute.push(c.stt ?? 0)
  }
  const f = summarize(firstFrame)
  const o = summarize(overhead)
  console.log(
    `${name}: first reply frame p50 ${f.p50!.toFixed(1)} ms p95 ${f.p95!.toFixed(1)} ms; stt_compute_ms p50 ${summarize(sttCompute).p50!.toFixed(1)}; tts ttfb p50 ${summarize(ttfb).p50!.toFixed(1)} ms; overhead p50 ${o.p50!.toFixed(2)} ms p95 ${o.p95!.toFixed(2)} ms (${N} turns)`
  )
  return { first_frame_ms: round(f), compute_ms: round(summarize(compute)), stt_compute_ms: round(summarize(sttCompute)), tts_ttfb_ms: round(summarize(ttfb)), overhead_ms: round(o) }
}

const tts = new EspeakTts()
tts.warmUp()
const stub = await startOpenAiStub()
stub.transcription = { mode: { kind: 'ok' }, text: 'what is twelve times seven' }
stub.chat = { mode: { kind: 'ok' }, reply: 'Twelve times seven is eighty four. Anything else?' }
const modelsDir = STT === 'on-device' ? await mkdtemp(join(tmpdir(), 'bench-turn-models-')) : null
let onDevice: OnDeviceStt | null = null
try {
  const embedded = await run('embedded', [], [new EmbeddedSkillsLlm()], tts, false)
  const e2e = N_E2E > 0 ? await runE2e(N_E2E, STT) : null
  let standInParameters: number | null = null
  if (modelsDir) {
    standInParameters = (await installStandIn(modelsDir, MOONSHINE_TINY, 'moonshine-tiny-q8')).parameters
    onDevice = new OnDeviceStt({ modelsDir })
    await onDevice.refresh()
  }
  const sttProvider = onDevice ?? new OpenAiStt({ baseUrl: stub.baseUrl, apiKey: stub.apiKey, model: 'whisper-1' })
  const withAudio = await run(STT === 'stub' ? 'stub' : 'on_device', [sttProvider], [new OpenAiLlm({ baseUrl: stub.baseUrl, apiKey: stub.apiKey, model: 'stub' })], tts, true)
  const e2eP50 = e2e?.e2e_latency_ms.p50 ?? null
  console.log(
    JSON.stringify({
      bench: 'turn',
      turns: N,
      stt: STT,
      ...(STT === 'on-device'
        ? {
            stt_stand_in: {
              model: 'moonshine-tiny',
              stand_in: true,
              parameters: standInParameters,
              published_parameters: MOONSHINE_TINY.publishedParameters,
              note: 'architecture-sized stand-in for Moonshine Tiny with random 8-bit weights, not a speech recognizer: decoding always runs to the engine cap (6.5 tokens per second of audio), its transcript is gibberish, and the embedded skills answer it with their "cannot answer that offline" reply'
            }
          }
        : { stt_stub: 'OpenAI-compatible transcription stub on loopback (about 1 ms)' }),
      measures: 'transcript/audio in → first 20 ms reply frame out (pipeline level; e2e_latency needs the media path)',
      embedded,
      [STT === 'stub' ? 'stub' : 'on_device']: withAudio,
      e2e,
      // Stub STT: the adaptive turn policy's goal (issue 16: 350 ms; 458 ms with the fixed 320 ms wait). On-device: the
      // stand-in's gibberish transcript reads neither finished nor unfinished, so the policy waits its uncertain 320 ms.
      goal_e2e_ms: STT === 'on-device' ? 550 : 350,
      goal_met: e2eP50 !== null ? e2eP50 <= (STT === 'on-device' ? 550 : 350) : undefined,
      goal_overhead_ms: 60
    })
  )
} finally {
  tts.close()
  await stub.close()
  await onDevice?.close()
  if (modelsDir) await rm(modelsDir, { recursive: true, force: true })
}

/**
 * `npm run bench -- turn [N]`: the voice loop at pipeline level — transcript (or utterance audio) in → first 20 ms
 * reply frame out — over N turns per configuration:
 *   embedded  transcript → embedded skills LLM → espeak-ng (no keys, no network)
 *   stub      utterance audio → OpenAI-compatible STT + streaming chat (local stub server, no added delay) → espeak-ng
 * Per turn: first-frame latency, the measured compute (STT call + LLM ttft + TTS ttfb) and pipeline overhead =
 * first frame − that compute. Then, through the real media path (`--turns-e2e N`, default 6; 0 skips it):
 *   e2e       the app in browser mode + Chromium with a fake mic looping an espeak-ng question: app VAD → signaling,
 *             WebRTC → `voice` pipeline → STT at the local stub (the backend has no embedded STT) → embedded skills
 *             → espeak-ng → Opus → the page. e2e_latency = speech end at the mic → first reply sample heard in the
 *             page (renderer clock); pipeline overhead = e2e − the measured STT, LLM and TTS compute.
 * Last line: JSON.
 */
import { numberOption, parseCli, parseOrExit } from '../src/node/cli'
import { EmbeddedSkillsLlm } from '../src/server/providers/embeddedSkills'
import { EspeakTts } from '../src/server/providers/espeakTts'
import { FallbackChain } from '../src/server/providers/fallbackChain'
import { OpenAiLlm, OpenAiStt } from '../src/server/providers/openaiCompatible'
import type { LlmProvider, SttProvider, TtsProvider } from '../src/server/providers/types'
import { VoiceLoop } from '../src/server/voice/voiceLoop'
import { summarize, type Summary } from '../src/shared/latency/stats'
import { startOpenAiStub } from '../test/helpers/openaiStub'
import { runE2e } from './_turnE2e'

const { N, N_E2E } = parseOrExit('bench turn', () => {
  const { values, positionals } = parseCli(process.argv.slice(2), { options: { 'turns-e2e': { type: 'string' } }, positionals: ['N'] })
  return { N: numberOption('N', positionals[0], 20, { min: 1, integer: true }), N_E2E: numberOption('--turns-e2e', values['turns-e2e'], 6, { min: 0, integer: true }) }
})
const QUESTIONS = ['What time is it?', 'What is twelve times seven?', "What's the date today?", 'Set a timer for five minutes.', 'What is 15 percent of 80?', 'Help']

function round(s: Summary): { p50: number | null; p95: number | null } {
  const r = (v: number | null): number | null => (v === null ? null : Math.round(v * 10) / 10)
  return { p50: r(s.p50), p95: r(s.p95) }
}

async function run(name: string, stt: SttProvider[], llm: LlmProvider[], tts: EspeakTts, withAudio: boolean) {
  const chain = <P extends SttProvider | LlmProvider | TtsProvider>(stage: 'stt' | 'llm' | 'tts', ps: P[]): FallbackChain<P> =>
    new FallbackChain(ps, { stage, firstChunkTimeoutMs: 5000, idleTimeoutMs: 5000, onSwitch: (s) => console.log(`  failover: ${s.message}`) })
  const loop = new VoiceLoop({ stt: chain('stt', stt), llm: chain('llm', llm), tts: chain('tts', [tts]), systemPrompt: 'You are a concise voice assistant.', maxHistoryMessages: 6 })
  const firstFrame: number[] = []
  const compute: number[] = []
  const overhead: number[] = []
  const ttfb: number[] = []
  const audio = { samples: new Int16Array(16000 * 2), sampleRate: 16000 }
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
    const measured = (c.stt ?? 0) + (c.llm ?? 0) + (c.tts ?? 0)
    firstFrame.push(first)
    compute.push(measured)
    overhead.push(first - measured)
    ttfb.push(c.tts ?? 0)
  }
  const f = summarize(firstFrame)
  const o = summarize(overhead)
  console.log(`${name}: first reply frame p50 ${f.p50!.toFixed(1)} ms p95 ${f.p95!.toFixed(1)} ms; tts ttfb p50 ${summarize(ttfb).p50!.toFixed(1)} ms; overhead p50 ${o.p50!.toFixed(2)} ms p95 ${o.p95!.toFixed(2)} ms (${N} turns)`)
  return { first_frame_ms: round(f), compute_ms: round(summarize(compute)), tts_ttfb_ms: round(summarize(ttfb)), overhead_ms: round(o) }
}

const tts = new EspeakTts()
tts.warmUp()
const stub = await startOpenAiStub()
stub.transcription = { mode: { kind: 'ok' }, text: 'what is twelve times seven' }
stub.chat = { mode: { kind: 'ok' }, reply: 'Twelve times seven is eighty four. Anything else?' }
try {
  const embedded = await run('embedded', [], [new EmbeddedSkillsLlm()], tts, false)
  const e2e = N_E2E > 0 ? await runE2e(N_E2E) : null
  const viaStub = await run(
    'stub',
    [new OpenAiStt({ baseUrl: stub.baseUrl, apiKey: stub.apiKey, model: 'whisper-1' })],
    [new OpenAiLlm({ baseUrl: stub.baseUrl, apiKey: stub.apiKey, model: 'stub' })],
    tts,
    true
  )
  console.log(
    JSON.stringify({
      bench: 'turn',
      turns: N,
      measures: 'transcript/audio in → first 20 ms reply frame out (pipeline level; e2e_latency needs the media path)',
      embedded,
      stub: viaStub,
      e2e,
      goal_e2e_ms: 700,
      goal_overhead_ms: 60
    })
  )
} finally {
  tts.close()
  await stub.close()
}

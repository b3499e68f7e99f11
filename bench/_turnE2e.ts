import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { summarize } from '../src/shared/latency/stats'
import { MOONSHINE_TINY } from '../test/helpers/moonshineStandIn'
import { startOpenAiStub } from '../test/helpers/openaiStub'
import { SpeechCorpus } from '../test/helpers/speech'
import { installStandIn } from './_sttStandIn'
import { openVoiceConversation, type VoiceConversation } from './_voiceConversation'

interface ExportedTurn {
  turnId: string
  status: string
  transcript?: string
  providers?: { stt?: string }
  compute?: { stt?: number; llm?: number; tts?: number }
  breakdown: {
    e2eMs: number | null
    metrics?: Record<string, number | null>
    marksMs?: Record<string, number>
    stages: Array<{ stage: string; durationMs: number; includes: string[] }>
  }
}

const r1 = (v: number | null): number | null => (v === null ? null : Math.round(v * 10) / 10)

export type SttMode = 'stub' | 'on-device'

/**
 * e2e_latency through the real media path, with the embedded LLM (skills) and TTS (espeak-ng). STT, by `stt`:
 *  stub       the local OpenAI-compatible stub (instant: ~1 ms), configured as the STT provider;
 *  on-device  nothing configured: the backend's on-device engine with the Moonshine Tiny architecture-sized stand-in
 *             installed in the app's models folder (random weights: its transcript is gibberish and decoding always
 *             runs to the engine's cap, so the skills answer with their longer "can't answer that" reply; the trail
 *             after the question is longer to let it play out before the next loop).
 * The fake mic loops one question with a long pause, so the app hears it once per loop. The first turn is warm-up.
 */
export async function runE2e(turns: number, stt: SttMode = 'stub') {
  const corpus = await SpeechCorpus.create()
  const stub = await startOpenAiStub()
  stub.transcription = { mode: { kind: 'ok' }, text: (ms) => (ms < 700 ? '' : 'what is twelve times seven') }
  let conversation: VoiceConversation | null = null
  const userDataDir = await mkdtemp(join(tmpdir(), 'va-bench-turn-'))
  try {
    if (stt === 'on-device') await installStandIn(join(userDataDir, 'models'), MOONSHINE_TINY, 'moonshine-tiny-q8')
    conversation = await openVoiceConversation({
      corpus,
      stub,
      stages: stt === 'stub' ? ['stt'] : [],
      userDataDir,
      name: 'question',
      clip: { leadMs: 2500, parts: [{ text: 'What is twelve times seven?', rate: 165 }], trailMs: stt === 'stub' ? 4500 : 16_000 }
    })
    const { page } = conversation
    const exported = async (): Promise<ExportedTurn[]> => {
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="export-turns"]')])
      return (JSON.parse(await readFile((await download.path())!, 'utf8')) as { turns: ExportedTurn[] }).turns
    }
    const deadline = Date.now() + (turns + 2) * (stt === 'stub' ? 12_000 : 24_000) + 30_000
    let done: ExportedTurn[] = []
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 2000))
      done = (await exported()).filter((t) => t.status === 'done' && t.breakdown.e2eMs !== null)
      if (done.length >= turns + 1) break
    }
    // The reply stream's jitter buffer over the run (WebRTC getStats, sampled once a second in the page).
    const { replyStats } = await page.evaluate(() => (window as unknown as { voiceTurnsDebug: { replyStats: Array<Record<string, number>> } }).voiceTurnsDebug)
    const perSecond = (key: string): number[] =>
      replyStats.slice(1).flatMap((st, i) => {
        const prev = replyStats[i]!
        const emitted = (st.jitterBufferEmittedCount ?? 0) - (prev.jitterBufferEmittedCount ?? 0)
        return emitted > 0 ? [(((st[key] ?? 0) - (prev[key] ?? 0)) / emitted) * 1000] : []
      })
    const jitterBuffer = { delay_p50: r1(summarize(perSecond('jitterBufferDelay')).p50), delay_max: r1(Math.max(...perSecond('jitterBufferDelay'))), target_p50: r1(summarize(perSecond('jitterBufferTargetDelay')).p50) }
    console.log(`reply stream jitter buffer (per second): delay p50 ${jitterBuffer.delay_p50} ms, max ${jitterBuffer.delay_max} ms; target p50 ${jitterBuffer.target_p50} ms`)
    const measured = done.slice(1, turns + 1)
    if (measured.length === 0) throw new Error('e2e: no complete turn was measured')
    const e2e = measured.map((t) => t.breakdown.e2eMs!)
    const stage = (id: string): number[] => measured.map((t) => t.breakdown.stages.find((s) => s.stage === id || s.includes.includes(id))?.durationMs ?? Number.NaN)
    // Overhead = e2e − the compute on the critical path: STT only as far as it lay after end_of_utterance (the stt
    // stage; speculative STT hides the rest inside the pause), the LLM's first token and the TTS's first audio.
    const sttStage = stage('stt')
    const overhead = measured.map((t, i) => t.breakdown.e2eMs! - Math.min(t.compute?.stt ?? 0, sttStage[i] ?? 0) - (t.compute?.llm ?? 0) - (t.compute?.tts ?? 0))
    const metric = (name: string): number[] => measured.flatMap((t) => (typeof t.breakdown.metrics?.[name] === 'number' ? [t.breakdown.metrics[name]] : []))
    const sttProviders = [...new Set(measured.map((t) => t.providers?.stt ?? 'none'))]
    for (const t of measured) {
      console.log(`  e2e turn ${t.turnId}: e2e_latency ${Math.round(t.breakdown.e2eMs!)} ms — ${t.breakdown.stages.map((s) => `${s.stage}${s.includes.length ? `+${s.includes.join('+')}` : ''} ${Math.round(s.durationMs)}`).join(', ')}`)
      const marks = Object.entries(t.breakdown.marksMs ?? {}).sort((a, b) => a[1] - b[1])
      console.log(`    marks (ms from speech end at the mic): ${marks.map(([n, v]) => `${n} ${Math.round(v)}`).join(', ')}`)
    }
    const e = summarize(e2e)
    const o = summarize(overhead)
    const sttCompute = summarize(metric('stt_compute_ms'))
    const transcription = summarize(metric('transcription_delay'))
    console.log(`e2e (real media path, embedded LLM + espeak-ng, ${stt} STT: ${sttProviders.join(', ')}): e2e_latency p50 ${r1(e.p50)} ms p95 ${r1(e.p95)} ms; overhead p50 ${r1(o.p50)} ms p95 ${r1(o.p95)} ms (${measured.length} turns)`)
    console.log(`  stt_compute_ms p50 ${r1(sttCompute.p50)} p95 ${r1(sttCompute.p95)}; transcription_delay p50 ${r1(transcription.p50)} p95 ${r1(transcription.p95)} (transcripts: ${[...new Set(measured.map((t) => JSON.stringify((t.transcript ?? '').slice(0, 40))))].slice(0, 2).join(', ')})`)
    const stages = Object.fromEntries(['uplink', 'eou', 'turn', 'stt', 'llm', 'tts', 'downlink'].map((id) => [id, r1(summarize(stage(id)).p50)]))
    return {
      stt,
      stt_providers: sttProviders,
      turns: measured.length,
      jitter_buffer_ms: jitterBuffer,
      e2e_latency_ms: { p50: r1(e.p50), p95: r1(e.p95) },
      overhead_ms: { p50: r1(o.p50), p95: r1(o.p95) },
      stt_compute_ms: { p50: r1(sttCompute.p50), p95: r1(sttCompute.p95) },
      transcription_delay_ms: { p50: r1(transcription.p50), p95: r1(transcription.p95) },
      stage_p50_ms: stages
    }
  } finally {
    await conversation?.close()
    await stub.close()
    await corpus.dispose()
    await rm(userDataDir, { recursive: true, force: true })
  }
}

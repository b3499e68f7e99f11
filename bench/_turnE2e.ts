import { readFile } from 'node:fs/promises'
import { summarize } from '../src/shared/latency/stats'
import { startOpenAiStub } from '../test/helpers/openaiStub'
import { SpeechCorpus } from '../test/helpers/speech'
import { openVoiceConversation, type VoiceConversation } from './_voiceConversation'

interface ExportedTurn {
  turnId: string
  status: string
  compute?: { stt?: number; llm?: number; tts?: number }
  breakdown: { e2eMs: number | null; marksMs?: Record<string, number>; stages: Array<{ stage: string; durationMs: number; includes: string[] }> }
}

const r1 = (v: number | null): number | null => (v === null ? null : Math.round(v * 10) / 10)

/**
 * e2e_latency through the real media path, with the embedded LLM (skills) and TTS (espeak-ng); STT is the local
 * OpenAI-compatible stub (instant) because the backend has no embedded STT. The fake mic loops one question with a
 * long pause, so the app hears it once per loop: one turn per ~7 s. The first turn is warm-up.
 */
export async function runE2e(turns: number) {
  const corpus = await SpeechCorpus.create()
  const stub = await startOpenAiStub()
  stub.transcription = { mode: { kind: 'ok' }, text: (ms) => (ms < 700 ? '' : 'what is twelve times seven') }
  let conversation: VoiceConversation | null = null
  try {
    conversation = await openVoiceConversation({ corpus, stub, stages: ['stt'], name: 'question', clip: { leadMs: 2500, parts: [{ text: 'What is twelve times seven?', rate: 165 }], trailMs: 4500 } })
    const { page } = conversation
    const exported = async (): Promise<ExportedTurn[]> => {
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="export-turns"]')])
      return (JSON.parse(await readFile((await download.path())!, 'utf8')) as { turns: ExportedTurn[] }).turns
    }
    const deadline = Date.now() + (turns + 2) * 12_000 + 30_000
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
    const overhead = measured.map((t) => t.breakdown.e2eMs! - (t.compute?.stt ?? 0) - (t.compute?.llm ?? 0) - (t.compute?.tts ?? 0))
    const stage = (id: string): number[] => measured.map((t) => t.breakdown.stages.find((s) => s.stage === id || s.includes.includes(id))?.durationMs ?? Number.NaN)
    for (const t of measured) {
      console.log(`  e2e turn ${t.turnId}: e2e_latency ${Math.round(t.breakdown.e2eMs!)} ms — ${t.breakdown.stages.map((s) => `${s.stage}${s.includes.length ? `+${s.includes.join('+')}` : ''} ${Math.round(s.durationMs)}`).join(', ')}`)
      const marks = Object.entries(t.breakdown.marksMs ?? {}).sort((a, b) => a[1] - b[1])
      console.log(`    marks (ms from speech end at the mic): ${marks.map(([n, v]) => `${n} ${Math.round(v)}`).join(', ')}`)
    }
    const e = summarize(e2e)
    const o = summarize(overhead)
    console.log(`e2e (real media path, embedded LLM + espeak-ng, stub STT): e2e_latency p50 ${r1(e.p50)} ms p95 ${r1(e.p95)} ms; overhead p50 ${r1(o.p50)} ms p95 ${r1(o.p95)} ms (${measured.length} turns)`)
    const stages = Object.fromEntries(['uplink', 'eou', 'stt', 'llm', 'tts', 'downlink'].map((id) => [id, r1(summarize(stage(id)).p50)]))
    return { turns: measured.length, jitter_buffer_ms: jitterBuffer, e2e_latency_ms: { p50: r1(e.p50), p95: r1(e.p95) }, overhead_ms: { p50: r1(o.p50), p95: r1(o.p95) }, stage_p50_ms: stages }
  } finally {
    await conversation?.close()
    await stub.close()
    await corpus.dispose()
  }
}

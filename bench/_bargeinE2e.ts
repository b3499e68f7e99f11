import type { VoiceTurnsDebug } from '../src/renderer/src/media/voiceTurns'
import { summarize } from '../src/shared/latency/stats'
import { startOpenAiStub } from '../test/helpers/openaiStub'
import { SpeechCorpus } from '../test/helpers/speech'
import { openVoiceConversation, type VoiceConversation } from './_voiceConversation'

const r1 = (v: number | null): number | null => (v === null ? null : Math.round(v * 10) / 10)

/**
 * Barge-in as the user hears it: the app in browser mode + Chromium with a fake mic that loops a question, a pause
 * while the long reply plays, and "Stop. What is the date today?". Measured in the page (voiceTurns.ts): the mic's
 * onset during the reply → the last audible moment of the reply stream (what the page plays). The first loop is
 * warm-up. STT and chat are the local OpenAI-compatible stub (no delay); TTS is espeak-ng.
 */
export async function runBargeInE2e(interruptions: number) {
  const corpus = await SpeechCorpus.create()
  const stub = await startOpenAiStub()
  let chats = 0
  stub.transcription = { mode: { kind: 'ok' }, text: (ms) => (ms < 700 ? '' : ms < 2600 ? 'what is twelve times seven' : 'stop what is the date today') }
  stub.chat = {
    mode: { kind: 'ok' },
    reply: (q) => {
      chats++
      return q.includes('date') ? 'Today is a fine day.' : 'Twelve times seven is eighty four. To check it, add seven twelve times, or twelve seven times. Either way the answer is eighty four, which is also seven dozen.'
    }
  }
  const clip = { leadMs: 2500, parts: [{ text: 'What is twelve times seven?', rate: 165 }, { pauseMs: 3600 }, { text: 'Stop. What is the date today?', rate: 165 }], trailMs: 5000 }
  let conversation: VoiceConversation | null = null
  try {
    conversation = await openVoiceConversation({ corpus, stub, stages: ['stt', 'llm'], name: 'bargein', clip })
    const { page } = conversation
    const debug = (): Promise<VoiceTurnsDebug> => page.evaluate(() => (window as unknown as { voiceTurnsDebug: VoiceTurnsDebug }).voiceTurnsDebug)
    const deadline = Date.now() + (interruptions + 2) * 20_000
    let d = await debug()
    while (Date.now() < deadline && d.bargeIns.length < interruptions + 1) {
      await new Promise((r) => setTimeout(r, 1000))
      d = await debug()
    }
    const measured = d.bargeIns.slice(1, interruptions + 1)
    if (measured.length === 0) throw new Error(`barge-in e2e: no interruption was measured (${chats} chat requests)`)
    for (const m of measured) console.log(`  page: mic onset → reply silent ${Math.round(m.latencyMs)} ms`)
    const s = summarize(measured.map((m) => m.latencyMs))
    return { n: measured.length, onset_to_silent_ms: { p50: r1(s.p50), p95: r1(s.p95) } }
  } finally {
    await conversation?.close()
    await stub.close()
    await corpus.dispose()
  }
}

import { mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fileKeyCipher } from '../../src/main/services/secretsStore'
import type { VoiceTurnsDebug } from '../../src/renderer/src/media/voiceTurns'
import { repoRoot, startBrowserApp, useStubProviders, type BrowserApp } from '../helpers/browserApp'
import { chromiumMissingReason } from '../helpers/chromium'
import { downloadExportedTurns, LEAD_MS, openListeningPage, voiceTurnsDebug, type ExportedTurn } from '../helpers/spokenTurnPage'
import { startOpenAiStub, type OpenAiStub } from '../helpers/openaiStub'
import { SpeechCorpus, type ClipSpec } from '../helpers/speech'

const missing = chromiumMissingReason()
const shots = join(repoRoot, 'test-results', 'screenshots')

/**
 * The whole voice loop in browser mode: Chromium's fake mic plays an espeak-ng question → the app's local VAD (main
 * process) sends speech_start / speech_end / end_of_utterance to the backend session over signaling, the mic goes
 * over WebRTC → the `voice` pipeline transcribes the utterance at the local OpenAI-compatible stub (real HTTP) →
 * streaming chat (SSE) → espeak-ng → Opus back to the page, where the reply is heard (level meter on the reply
 * track). Turn traces come back through the main process (turnTrace events) into the latency overlay.
 */
describe.skipIf(missing)('voice loop end to end (browser mode)', () => {
  let app: BrowserApp
  let stub: OpenAiStub
  let corpus: SpeechCorpus
  let browser: Browser | null = null
  let page: Page

  beforeAll(async () => {
    mkdirSync(shots, { recursive: true })
    corpus = await SpeechCorpus.create()
    stub = await startOpenAiStub()
    stub.transcription = { mode: { kind: 'ok' }, text: (ms) => (ms < 700 ? '' : 'what is twelve times seven') }
    app = await startBrowserApp({ secretsCipher: await fileKeyCipher(join(await mkdtempDir(), 'secrets.key')) })
    await useStubProviders(app, stub)
  })

  afterAll(async () => {
    await browser?.close()
    await app?.close()
    await stub?.close()
    await corpus?.dispose()
  })

  async function openConversation(spec: ClipSpec, name: string): Promise<void> {
    await browser?.close()
    const clip = await corpus.clip(spec)
    ;({ browser, page } = await openListeningPage(app.server.url, await corpus.writeWav(name, clip.samples, { rate: 48_000 }), spec.leadMs))
  }

  const debug = (): Promise<VoiceTurnsDebug> => voiceTurnsDebug(page)
  const exportedTurns = (): Promise<ExportedTurn[]> => downloadExportedTurns(page)

  /** Wait until a turn has finished and its reply was heard in the page; returns that turn from the export. */
  async function finishedTurn(timeoutMs = 40_000): Promise<ExportedTurn> {
    await expect.poll(async () => (await debug()).playouts.length, { timeout: timeoutMs, interval: 200 }).toBeGreaterThan(0)
    await expect.poll(async () => (await exportedTurns()).some((t) => t.status !== 'running' && t.breakdown.e2eMs !== null), { timeout: timeoutMs, interval: 500 }).toBe(true)
    return (await exportedTurns()).filter((t) => t.status !== 'running' && t.breakdown.e2eMs !== null)[0]!
  }

  it('answers a spoken question with a spoken reply; the overlay shows every stage and they add up', async () => {
    // Two sentences, streamed slowly enough that the turn is still running for a while after its first audio: with the
    // turn policy's 150 ms reply to a complete question, one short sentence was running for a few ms only, and the
    // mid-turn check below missed it in half of the runs.
    stub.chat = { mode: { kind: 'ok' }, reply: 'Twelve times seven is eighty four. That is seven dozen.', ttftMs: 120, tokenDelayMs: 40 }
    const before = stub.count('/v1/audio/transcriptions')
    await openConversation({ leadMs: LEAD_MS, parts: [{ text: 'What is twelve times seven?', rate: 165 }], trailMs: 14_000 }, 'question')
    // Mid-turn: the overlay grows while the reply is being produced; photograph it once the backend's marks arrive.
    await page.waitForSelector('.lo-status.s-running', { timeout: 40_000 })
    await page.locator('[data-testid="latency-overlay"]').screenshot({ path: join(shots, 'voice-loop-overlay-mid-turn.png') })
    const turn = await finishedTurn()
    expect(turn.status).toBe('done')
    expect(turn.transcript).toBe('what is twelve times seven')
    expect(turn.reply).toBe('Twelve times seven is eighty four. That is seven dozen.')
    expect(turn.providers?.llm).toMatch(/OpenAI-compatible LLM/)
    expect(turn.providers?.tts).toMatch(/espeak-ng/)
    expect(stub.count('/v1/audio/transcriptions')).toBeGreaterThan(before)
    // Heard: well over half a second of audible reply in the page.
    await expect.poll(async () => (await debug()).replyAudibleMs, { timeout: 10_000 }).toBeGreaterThan(800)
    // Every stage from the end of speech to playout has a value, and the values add up to e2e_latency.
    const stages = turn.breakdown.stages
    const covered = new Set(stages.flatMap((s) => [s.stage, ...s.includes]))
    for (const id of ['uplink', 'eou', 'stt', 'llm', 'tts', 'downlink']) expect(covered).toContain(id)
    const sum = stages.reduce((a, s) => a + s.durationMs, 0)
    expect(Math.abs(sum - turn.breakdown.e2eMs!)).toBeLessThan(0.01)
    expect(turn.breakdown.e2eMs!).toBeGreaterThan(0)
    expect(turn.breakdown.e2eMs!).toBeLessThan(4000)
    // The downlink (first TTS audio → heard in the page) was 0.8–1.9 s while the reply went out in bursts (see
    // ReplyPlayer); paced, it is 0.25–0.5 s here even with the machine loaded.
    expect(stages.find((s) => s.stage === 'downlink')!.durationMs).toBeLessThan(1200)
    const shown = (await page.locator('.lo-waterfall .lo-value strong').allTextContents()).map(Number).filter(Number.isFinite)
    expect(shown.length).toBeGreaterThanOrEqual(6)
    await page.locator('[data-testid="latency-overlay"]').screenshot({ path: join(shots, 'voice-loop-overlay-done.png') })
    if (process.env.VOICE_DEBUG) console.log(JSON.stringify({ marks: (turn as unknown as { marks: unknown }).marks, dbg: await debug() }, null, 1).slice(0, 6000))
    console.log(`voice loop e2e: e2e_latency ${Math.round(turn.breakdown.e2eMs!)} ms; stages ${stages.map((s) => `${s.stage}${s.includes.length ? `(+${s.includes.join('+')})` : ''}=${Math.round(s.durationMs)}`).join(' ')}`)
  })

  it('barge-in: speaking during the reply stops playback and the new question is answered', async () => {
    stub.chat = {
      mode: { kind: 'ok' },
      ttftMs: 50,
      reply: (q) =>
        q.includes('date')
          ? 'Today is a fine day.'
          : 'Twelve times seven is eighty four. To check it, add seven twelve times, or twelve seven times. Either way the answer is eighty four, which is also seven dozen.'
    }
    // Transcriptions after the question's chat request are of the interruption (counted from this test's start: the
    // stub and its request log are shared by the whole file).
    const chatsBefore = stub.count('/v1/chat/completions')
    stub.transcription = { mode: { kind: 'ok' }, text: (ms) => (ms < 700 ? '' : stub.count('/v1/chat/completions') > chatsBefore ? 'what is the date' : 'what is twelve times seven') }
    // The interruption starts ~3 s after the question ends: the long reply is playing by then.
    await openConversation(
      { leadMs: LEAD_MS, parts: [{ text: 'What is twelve times seven?', rate: 165 }, { pauseMs: 3600 }, { text: 'Stop. What is the date today?', rate: 165 }], trailMs: 14_000 },
      'barge-in'
    )
    await expect.poll(async () => (await debug()).notifications.some((n) => n.type === 'replyCancelled'), { timeout: 40_000, interval: 200 }).toBe(true)
    await expect.poll(async () => (await debug()).bargeIns.length, { timeout: 10_000 }).toBeGreaterThan(0)
    const measured = (await debug()).bargeIns[0]!
    console.log(`barge-in: mic onset → reply silent ${Math.round(measured.latencyMs)} ms (client-measured)`)
    expect(measured.latencyMs).toBeGreaterThanOrEqual(0) // 0: the pause landed in a gap between the reply's sentences
    // The goal is ≤150 ms; the bound here only catches a barge-in that did not stop the audio at all (the media
    // path's own downlink delay, see bench rtt, is part of what the page measures).
    expect(measured.latencyMs).toBeLessThan(1000)
    // The interrupted turn may already be 'done' generating (TTS runs ahead of playback); what matters is that its
    // playback was cancelled (above) and the interruption was answered.
    await expect.poll(async () => (await exportedTurns()).some((t) => t.status === 'done' && t.reply === 'Today is a fine day.'), { timeout: 40_000, interval: 500 }).toBe(true)
  })

  it('a short noise during the reply is a false interruption: the reply resumes and finishes', async () => {
    // Like a real STT: the short "hm" (its utterance audio with the pre-roll is ~0.9 s) is written out as "Hmm.".
    stub.transcription = { mode: { kind: 'ok' }, text: (ms) => (ms < 700 ? '' : ms < 1500 ? 'Hmm.' : 'what is twelve times seven') }
    stub.chat = { mode: { kind: 'ok' }, ttftMs: 50, reply: 'Twelve times seven is eighty four. To check it, add seven twelve times, or twelve seven times. Either way the answer is eighty four.' }
    await openConversation(
      { leadMs: LEAD_MS, parts: [{ text: 'What is twelve times seven?', rate: 165 }, { pauseMs: 3600 }, { text: 'hm', rate: 260 }], trailMs: 14_000 },
      'false-interruption'
    )
    await expect.poll(async () => (await exportedTurns()).some((t) => t.status === 'done' && !!t.reply), { timeout: 45_000, interval: 500 }).toBe(true)
    // The turn is 'done' once its reply is synthesized, well before it has played: wait for the playback to end.
    await expect.poll(async () => (await debug()).notifications.some((n) => n.type === 'replyEnd'), { timeout: 30_000, interval: 200 }).toBe(true)
    const d = await debug()
    const types = d.notifications.map((n) => n.type)
    // The "hm" was heard (the reply paused for it) and judged a false interruption (resumed, never cancelled).
    expect(types).toContain('replyPaused')
    expect(types.indexOf('replyResumed')).toBeGreaterThan(types.indexOf('replyPaused'))
    expect(types).not.toContain('replyCancelled')
    console.log(`false interruption: notifications ${types.join(',')}`)
    const turns = await exportedTurns()
    expect(turns.filter((t) => t.status === 'done')).toHaveLength(1)
    expect(turns.find((t) => t.status === 'done')!.reply).toMatch(/seven dozen|eighty four\.$/)
  })

  it('a pause inside a sentence: the early reply is revoked when the user goes on, and the whole sentence is answered once', async () => {
    // "Set a timer" … 520 ms … "for five minutes": the reply starts after the ~320 ms pause (before end_of_utterance
    // at 640 ms); the user talking on revokes it, and the utterance continues as one turn with all of its audio.
    const chatsBefore = stub.requests.length
    stub.transcription = { mode: { kind: 'ok' }, text: (ms) => (ms < 700 ? '' : ms < 2300 ? 'set a timer' : 'set a timer for five minutes') }
    stub.chat = { mode: { kind: 'ok' }, reply: (q) => (q.includes('five minutes') ? 'Timer set for five minutes.' : 'For how long should the timer run? Say a number of minutes and I will start it.') }
    await openConversation(
      { leadMs: LEAD_MS, parts: [{ text: 'Set a timer', rate: 165 }, { pauseMs: 520 }, { text: 'for five minutes.', rate: 165 }], trailMs: 14_000 },
      'pause-inside'
    )
    await expect.poll(async () => (await exportedTurns()).some((t) => t.status === 'done' && t.reply === 'Timer set for five minutes.'), { timeout: 45_000, interval: 500 }).toBe(true)
    const d = await debug()
    const revoked = d.notifications.filter((n) => n.type === 'replyRevoked')
    expect(revoked.length, `notifications: ${d.notifications.map((n) => n.type).join(',')}`).toBe(1)
    const turns = (await exportedTurns()).filter((t) => t.status === 'done')
    expect(turns).toHaveLength(1)
    expect(turns[0]!.turnId).toBe(revoked[0]!.detail?.turnId)
    expect(turns[0]!.transcript).toBe('set a timer for five minutes')
    // The revoked exchange never reached the conversation: the answering chat request has no trace of it.
    const chats = stub.requests.slice(chatsBefore).filter((r) => r.path === '/v1/chat/completions')
    const last = chats.at(-1)!.json as { messages: Array<{ role: string; content: string }> }
    expect(last.messages.filter((m) => m.role === 'user').map((m) => m.content)).toEqual(['set a timer for five minutes'])
    expect(last.messages.some((m) => m.role === 'assistant')).toBe(false)
    console.log(`early reply revoked: notifications ${d.notifications.map((n) => n.type).join(',')}`)
  })

  for (const failure of [
    { name: '401 (wrong API key)', setup: async () => void (await app.core.secrets.set('llm.apiKey', 'sk-wrong')), notice: /HTTP 401/ },
    { name: 'timeout (no first token)', setup: async () => void (stub.chat = { mode: { kind: 'hang' } }), notice: /no answer within/ },
    { name: 'broken stream', setup: async () => void (stub.chat = { mode: { kind: 'broken', afterChunks: 2 }, reply: 'Twelve times seven is, hmm, let me think about that for a moment.' }), notice: /broke off/ }
  ]) {
    it(`LLM failure — ${failure.name}: a clear notice and a spoken answer from the embedded skills`, async () => {
      stub.transcription = { mode: { kind: 'ok' }, text: (ms) => (ms < 700 ? '' : 'what is twelve times seven') }
      stub.chat = { mode: { kind: 'ok' }, reply: 'unused' }
      await app.core.secrets.set('llm.apiKey', stub.apiKey)
      await failure.setup()
      await openConversation({ leadMs: LEAD_MS, parts: [{ text: 'What is twelve times seven?', rate: 165 }], trailMs: 14_000 }, `fail-${failure.name.split(' ')[0]}`)
      const turn = await finishedTurn(45_000)
      expect(turn.status).toBe('done')
      expect(turn.providers?.llm).toBe('Embedded skills (offline)')
      expect(turn.reply).toMatch(/84|eighty/i)
      await expect.poll(async () => page.getByTestId('notices').textContent(), { timeout: 10_000 }).toMatch(failure.notice)
      expect(await page.getByTestId('notices').textContent()).toMatch(/using Embedded skills/)
      await expect.poll(async () => (await debug()).replyAudibleMs, { timeout: 10_000 }).toBeGreaterThan(500)
    })
  }
})

async function mkdtempDir(): Promise<string> {
  const { mkdtemp } = await import('node:fs/promises')
  return mkdtemp(join(tmpdir(), 'va-voice-'))
}

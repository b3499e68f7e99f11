import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fileKeyCipher } from '../../src/main/services/secretsStore'
import type { VoiceTurnsDebug } from '../../src/renderer/src/media/voiceTurns'
import { startBrowserApp, useStubProviders, type BrowserApp } from '../helpers/browserApp'
import { chromiumMissingReason } from '../helpers/chromium'
import { LEAD_MS, openListeningPage, voiceTurnsDebug } from '../helpers/spokenTurnPage'
import { startOpenAiStub, type OpenAiStub } from '../helpers/openaiStub'
import { SpeechCorpus } from '../helpers/speech'

const missing = chromiumMissingReason()
/** The pause inside the sentence, after the unfinished "for". */
const PAUSE_MS = 600
/** Audio before the utterance's start that the backend keeps and transcribes with it (pre-roll). */
const PRE_ROLL_MS = 320

/**
 * Turn taking through the whole app in browser mode, hands-free: the fake mic says "Set a timer for", pauses 600 ms,
 * then "five minutes". The app's VAD hears the pause (speech_end, then speech_resume), the backend transcribes the
 * utterance so far at the pause (the stand-in STT writes what an STT would: "set a timer for", an unfinished
 * sentence) and the turn policy must not answer in the pause; after the completed sentence exactly one reply comes,
 * to the whole sentence. Providers: the OpenAI-compatible stub for STT and chat (real HTTP), espeak-ng for TTS.
 *
 * The pause is close to the turn's end: the app's VAD commits a turn after vadMinSilenceMs (640 ms by default) of
 * silence, and the VAD hears the fading end of "for" as silence a little before the audio's pause begins, so at the
 * default a 600 ms pause is answered on some runs. This test is about the turn policy, not that setting: it sets
 * the silence that ends a turn to 900 ms, so what decides in the pause is the policy (its early reply after the pause
 * setting, revocable, would start at 320 ms were the sentence not unfinished).
 */
describe.skipIf(missing)('turn taking end to end (browser mode)', () => {
  let app: BrowserApp
  let stub: OpenAiStub
  let corpus: SpeechCorpus
  let browser: Browser | null = null
  let page: Page

  beforeAll(async () => {
    corpus = await SpeechCorpus.create()
    stub = await startOpenAiStub()
    app = await startBrowserApp({ secretsCipher: await fileKeyCipher(join(await mkdtemp(join(tmpdir(), 'va-turns-')), 'secrets.key')) })
    await useStubProviders(app, stub, { listening: { vadMinSilenceMs: 900 } })
  })

  afterAll(async () => {
    await browser?.close()
    await app?.close()
    await stub?.close()
    await corpus?.dispose()
  })

  const debug = (): Promise<VoiceTurnsDebug> => voiceTurnsDebug(page)

  it('a 600 ms pause after "for" gets no reply; the completed sentence gets exactly one, to the whole sentence', async () => {
    const clip = await corpus.clip({ leadMs: LEAD_MS, parts: [{ text: 'Set a timer for', rate: 165 }, { pauseMs: PAUSE_MS }, { text: 'five minutes.', rate: 165 }], trailMs: 12_000 })
    const [first, second] = clip.parts
    // The stand-in STT hears by length: up to the pause it is the unfinished start; with a good part of "five" it is
    // the whole sentence (the audio it gets starts PRE_ROLL_MS before the utterance).
    const wholeFromMs = second!.startMs - first!.startMs + PRE_ROLL_MS + Math.min(250, (second!.endMs - second!.startMs) / 2)
    const transcribed: string[] = []
    stub.transcription = {
      mode: { kind: 'ok' },
      text: (ms) => {
        const text = ms < 500 ? '' : ms < wholeFromMs ? 'set a timer for' : 'set a timer for five minutes'
        transcribed.push(text)
        return text
      }
    }
    stub.chat = { mode: { kind: 'ok' }, reply: 'Timer set for five minutes.', ttftMs: 20 }
    const chatsBefore = stub.count('/v1/chat/completions')

    ;({ browser, page } = await openListeningPage(app.server.url, await corpus.writeWav('timer', clip.samples, { rate: 48_000 })))

    // The reply to the whole sentence is heard.
    await expect.poll(async () => (await debug()).playouts.length, { timeout: 45_000, interval: 200 }).toBeGreaterThan(0)
    await page.waitForTimeout(1500) // anything still to come (a second reply) would show by now
    const d = await debug()
    const events = d.clientEvents.map((e) => e.type)
    const speechEnd = d.clientEvents.find((e) => e.type === 'speechEnd')
    const resume = d.clientEvents.find((e) => e.type === 'speechResume')
    // The app's VAD heard the pause inside the sentence and the sentence going on: one utterance, not two.
    expect(speechEnd, `client events: ${events.join(', ')}`).toBeDefined()
    expect(resume, `client events: ${events.join(', ')}`).toBeDefined()
    expect(resume!.at).toBeGreaterThan(speechEnd!.at)
    expect(events.filter((e) => e === 'speechStart')).toHaveLength(1)
    expect(events.filter((e) => e === 'endOfUtterance')).toHaveLength(1)
    // The pause was transcribed as the unfinished start (so the policy saw the trailing "for")…
    expect(transcribed).toContain('set a timer for')
    // …and nothing of a reply came before the sentence went on: no reply started, none revoked, no turn ended.
    const inPause = d.notifications.filter((n) => n.receivedAt >= speechEnd!.at && n.receivedAt <= resume!.at).map((n) => n.type)
    expect(inPause.filter((t) => t === 'replyStart' || t === 'utteranceEnd' || t === 'replyRevoked')).toEqual([])
    expect(d.notifications.filter((n) => n.type === 'replyRevoked')).toEqual([])
    // Exactly one reply, after the completed sentence, to the whole of it.
    const chats = stub.requests.filter((r) => r.path === '/v1/chat/completions').slice(chatsBefore)
    expect(chats).toHaveLength(1)
    const asked = (chats[0]!.json as { messages: Array<{ role: string; content: string }> }).messages.filter((m) => m.role === 'user').at(-1)?.content
    expect(asked).toBe('set a timer for five minutes')
    expect(d.notifications.filter((n) => n.type === 'replyStart')).toHaveLength(1)
    expect(d.notifications.find((n) => n.type === 'replyStart')!.receivedAt).toBeGreaterThan(resume!.at)
    expect(d.playouts).toHaveLength(1)
    console.log(
      `turn taking e2e: VAD pause ${resume!.at - speechEnd!.at} ms (audio ${PAUSE_MS} ms); transcripts ${JSON.stringify(transcribed)}; reply started ${d.notifications.find((n) => n.type === 'replyStart')!.receivedAt - resume!.at} ms after the speech resumed`
    )
  })
})

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SileroVad } from '../../../../src/node/vad/sileroVad'
import { fixedTurnPolicy } from '../../../../src/server/voice/turnPolicy'
import { endpointEvents, frameProbabilities, replayTurns, turnPhrasesSchema, type TurnPhrase } from '../../../../src/server/voice/turnReplay'
import type { EndpointEvent } from '../../../../src/shared/voice/endpointer'
import { SpeechCorpus } from '../../../helpers/speech'

/** The endpointer's events of one utterance with a pause inside: speech 500–1500, pause, speech 2300–3000. */
function pausedUtterance(opts: { eouInPause: boolean }): EndpointEvent[] {
  const events: EndpointEvent[] = [
    { type: 'speech_start', utteranceId: 1, atMs: 596, startMs: 500, audioStartMs: 180 },
    { type: 'speech_end', utteranceId: 1, atMs: 1660, endMs: 1500 }
  ]
  if (opts.eouInPause) {
    events.push(
      { type: 'end_of_utterance', utteranceId: 1, atMs: 2140, startMs: 500, endMs: 1500, audioStartMs: 180, endOfUtteranceDelayMs: 640, reason: 'silence' },
      { type: 'speech_start', utteranceId: 2, atMs: 2396, startMs: 2300, audioStartMs: 1980 }
    )
  } else {
    events.push({ type: 'speech_resume', utteranceId: 1, atMs: 2332 })
  }
  const last = opts.eouInPause ? 2 : 1
  events.push(
    { type: 'speech_end', utteranceId: last, atMs: 3160, endMs: 3000 },
    { type: 'end_of_utterance', utteranceId: last, atMs: 3640, startMs: 2300, endMs: 3000, audioStartMs: 1980, endOfUtteranceDelayMs: 640, reason: 'silence' }
  )
  return events
}

describe('turn replay: the decisions for a clip', () => {
  const phrases: TurnPhrase[] = [
    { text: 'set a timer for', start_ms: 500, end_ms: 1500 },
    { text: 'five minutes', start_ms: 2300, end_ms: 3000 }
  ]

  it('a pause after "for" (past end_of_utterance) gets no reply; the whole request gets one at once', () => {
    const decisions = replayTurns(pausedUtterance({ eouInPause: true }), phrases)
    expect(decisions).toEqual([
      { type: 'reply_start', at_ms: 3160, reason: 'complete request (timer) → 150 ms' },
      { type: 'commit', at_ms: 3640, reason: 'end of utterance: the early reply stands' }
    ])
  })

  it('the transcript 150 ms late moves the reply by as much', () => {
    const decisions = replayTurns(pausedUtterance({ eouInPause: false }), phrases, { transcriptDelayMs: 150 })
    expect(decisions[0]).toEqual({ type: 'reply_start', at_ms: 3310, reason: 'complete request (timer) → 150 ms' })
  })

  it("today's fixed policy with a plain statement: replies into the pause, is revoked, and replies again", () => {
    const statement: TurnPhrase[] = [
      { text: 'I like green apples', start_ms: 500, end_ms: 1500 },
      { text: 'and pears', start_ms: 2300, end_ms: 3000 }
    ]
    const decisions = replayTurns(pausedUtterance({ eouInPause: false }), statement, { detector: { strategy: fixedTurnPolicy } })
    expect(decisions.map((d) => `${d.type}@${d.at_ms}`)).toEqual(['reply_start@1900', 'revoke@2332', 'reply_start@3400', 'commit@3640'])
    expect(decisions[1]!.reason).toBe('the user went on talking')
  })

  it('a speculation dropped before its transcript arrives gives no transcript (the resumed speech supersedes it)', () => {
    // Transcripts 800 ms late: the first one would arrive after the speech resumed.
    const decisions = replayTurns(pausedUtterance({ eouInPause: false }), phrases, { transcriptDelayMs: 800 })
    expect(decisions.map((d) => d.type)).toEqual(['reply_start', 'commit'])
    expect(decisions[0]!.at_ms).toBeGreaterThanOrEqual(3640)
  })

  it('words.json is a list of {text, start_ms, end_ms}', () => {
    expect(turnPhrasesSchema.safeParse(phrases).success).toBe(true)
    expect(turnPhrasesSchema.safeParse([{ text: 'x', start_ms: 10, end_ms: 5 }]).success).toBe(false)
    expect(turnPhrasesSchema.safeParse([{ text: 'x', start_ms: 0 }]).success).toBe(false)
    expect(turnPhrasesSchema.safeParse({ text: 'x', start_ms: 0, end_ms: 1 }).success).toBe(false)
  })
})

describe('turn replay through Silero VAD on a generated clip', () => {
  let corpus: SpeechCorpus
  let vad: SileroVad
  beforeAll(async () => {
    corpus = await SpeechCorpus.create()
    vad = await SileroVad.create()
  })
  afterAll(() => corpus.dispose())

  it('"what is twelve … times seven" with an 800 ms pause: no reply before the true end, one soon after it', async () => {
    const clip = await corpus.clip({ leadMs: 500, parts: [{ text: 'what is twelve' }, { pauseMs: 800 }, { text: 'times seven' }], trailMs: 2500 })
    const words: TurnPhrase[] = clip.parts.map((p) => ({ text: p.text, start_ms: Math.round(p.startMs), end_ms: Math.round(p.endMs) }))
    const events = endpointEvents(await frameProbabilities(vad, clip.samples))
    // The endpointer ends the utterance inside the pause: only the policy's hold keeps the turn open.
    expect(events.filter((e) => e.type === 'end_of_utterance')).toHaveLength(2)
    const end = words.at(-1)!.end_ms
    const decisions = replayTurns(events, words)
    const starts = decisions.filter((d) => d.type === 'reply_start')
    expect(starts).toHaveLength(1)
    expect(starts[0]!.at_ms).toBeGreaterThan(end)
    expect(starts[0]!.at_ms - end).toBeLessThan(400)
    expect(starts[0]!.reason).toBe('complete request (arithmetic) → 150 ms')
    expect(decisions.at(-1)!.type).toBe('commit')
  })
})

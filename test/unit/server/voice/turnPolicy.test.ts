import { describe, expect, it } from 'vitest'
import { adaptiveTurnPolicy, DEFAULT_TURN_POLICY_CONFIG, fixedTurnPolicy, looksUnfinished, parsedSkill, readTranscript, speakingRate, type TurnPolicyConfig } from '../../../../src/server/voice/turnPolicy'

const config: TurnPolicyConfig = { completeWaitMs: 150, uncertainWaitMs: 320, unfinishedWaitMs: 1200 }

describe('turn policy: reading the speculative transcript', () => {
  it('complete: requests the skills parse, questions, commands, short answers, sentence-final punctuation', () => {
    const cases: Array<[string, string]> = [
      ['set a timer for five minutes', 'complete request (timer)'],
      ['what is twelve times seven', 'complete request (arithmetic)'],
      ['what time is it', 'complete request (time)'],
      ['how far is the nearest train station', 'question form'],
      ['turn off the kitchen lights', 'command form'],
      ['turn it on', 'command form'],
      ['yes', "short answer 'yes'"],
      ['stop', "short answer 'stop'"],
      ['no', "short answer 'no'"],
      ['Is it raining?', 'question mark'],
      ['I finished the report.', 'sentence end']
    ]
    for (const [text, why] of cases) expect(readTranscript(text), text).toEqual({ reading: 'complete', why })
  })

  it('unfinished: trailing conjunction, article, preposition, filler, number, comma, open list', () => {
    const cases: Array<[string, string]> = [
      ['I need to buy milk and', "trailing 'and'"],
      ['what is the', "trailing 'the'"],
      ['set a timer for', "trailing 'for'"],
      ['I would like um', "trailing filler 'um'"],
      ['what is twelve', "trailing number 'twelve'"],
      ['set a timer for five', "trailing number 'five'"],
      ['well,', "trailing ','"],
      ['so…', "trailing '…'"],
      ['I need eggs, milk', "an open list ('I need eggs, milk')"]
    ]
    for (const [text, why] of cases) expect(readTranscript(text), text).toEqual({ reading: 'unfinished', why })
    // A closed list is not open.
    expect(readTranscript('I need eggs, milk and bread').reading).toBe('uncertain')
  })

  it('a leading interjection with its comma is no list item', () => {
    expect(readTranscript('Yes, please').reading).toBe('complete')
    expect(readTranscript('No, stop').reading).toBe('complete')
    expect(readTranscript('Wait, what about Tuesday').reading).toBe('complete')
    expect(readTranscript('Okay, add eggs, milk').reading).toBe('unfinished')
  })

  it('uncertain: a statement that says neither', () => {
    for (const text of ['I like green apples', 'the train was late again', 'my sister']) expect(readTranscript(text).reading, text).toBe('uncertain')
    expect(readTranscript('').why).toBe('no words')
  })

  it('a skill parse needs the whole request: "set a timer for" alone is not one', () => {
    expect(parsedSkill('set a timer for')).toBeNull()
    expect(parsedSkill('cancel the timer')).toBe('timer')
    expect(parsedSkill('what is twelve')).toBeNull()
    expect(parsedSkill('help')).toBeNull()
  })

  it('looksUnfinished is the unfinished reading', () => {
    for (const t of ['Set a timer for', 'what is the', 'I was thinking that', 'Turn it on and', 'well,', 'so…', 'Remind me to']) expect(looksUnfinished(t), t).toBe(true)
    for (const t of ['What time is it?', 'What is twelve times seven', 'Help', 'Set a timer for five minutes.', 'What are you thinking of?', 'Stop!']) expect(looksUnfinished(t), t).toBe(false)
  })
})

describe('turn policy: the wait', () => {
  it('each reading has its wait and its reason in words', () => {
    expect(adaptiveTurnPolicy({ transcript: 'set a timer for five minutes' }, config)).toEqual({ reading: 'complete', waitMs: 150, reason: 'complete request (timer) → 150 ms', holdPastEndOfUtterance: false })
    expect(adaptiveTurnPolicy({ transcript: 'set a timer for' }, config)).toEqual({ reading: 'unfinished', waitMs: 1200, reason: "waited: trailing 'for'", holdPastEndOfUtterance: true })
    expect(adaptiveTurnPolicy({ transcript: 'I like green apples' }, config)).toEqual({ reading: 'uncertain', waitMs: 320, reason: 'pause → 320 ms', holdPastEndOfUtterance: false })
  })

  it('the waits are the settings', () => {
    const mine = { completeWaitMs: 80, uncertainWaitMs: 500, unfinishedWaitMs: 2000 }
    expect(adaptiveTurnPolicy({ transcript: 'what time is it' }, mine).waitMs).toBe(80)
    expect(adaptiveTurnPolicy({ transcript: 'the meeting went well' }, mine).waitMs).toBe(500)
    expect(adaptiveTurnPolicy({ transcript: 'and the' }, mine).waitMs).toBe(2000)
    expect(DEFAULT_TURN_POLICY_CONFIG).toEqual({ completeWaitMs: 150, uncertainWaitMs: 320, unfinishedWaitMs: 1200 })
  })

  it('a slow speaking rate stretches the uncertain wait (at most 1.5×), and only that one', () => {
    // 3 words in 2.5 s voiced: 1.2 words/s.
    expect(speakingRate({ transcript: 'I like apples', speechMs: 2500 })).toBeCloseTo(1.2)
    expect(adaptiveTurnPolicy({ transcript: 'I like apples', speechMs: 2500 }, config)).toMatchObject({ waitMs: 480, reason: 'slow speech (1.2 words/s) → 480 ms' })
    // 1.5 words/s: stretched by 1.8 / 1.5 = 1.2.
    expect(adaptiveTurnPolicy({ transcript: 'I like apples', speechMs: 2000 }, config).waitMs).toBe(384)
    // A normal rate, an utterance too short to tell, and a complete request are not stretched.
    expect(adaptiveTurnPolicy({ transcript: 'I like green apples', speechMs: 1500 }, config).waitMs).toBe(320)
    expect(speakingRate({ transcript: 'I like', speechMs: 900 })).toBeNull()
    expect(adaptiveTurnPolicy({ transcript: 'what time is it', speechMs: 4000 }, config).waitMs).toBe(150)
  })

  it("today's fixed policy: one wait from the last speech frame, never early after an unfinished transcript, never a hold", () => {
    expect(fixedTurnPolicy({ transcript: 'what time is it' }, config)).toMatchObject({ waitMs: 384, holdPastEndOfUtterance: false })
    expect(fixedTurnPolicy({ transcript: 'I like green apples' }, config)).toMatchObject({ waitMs: 384 })
    expect(fixedTurnPolicy({ transcript: 'set a timer for' }, config)).toMatchObject({ waitMs: Number.POSITIVE_INFINITY, holdPastEndOfUtterance: false })
  })
})

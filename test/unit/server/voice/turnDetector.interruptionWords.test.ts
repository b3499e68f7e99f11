import { describe, expect, it } from 'vitest'
import { countInterruptionWords, isEchoOf, TurnDetector, type TurnAction, type TurnSignal } from '../../../../src/server/voice/turnDetector'

const run = (d: TurnDetector, signals: TurnSignal[]): TurnAction[] => signals.flatMap((s) => d.push(s))
const types = (actions: TurnAction[]): string[] => actions.map((a) => a.type)
const ticks = (from: number, to: number, step = 20): TurnSignal[] => Array.from({ length: Math.floor((to - from) / step) + 1 }, (_, i) => ({ type: 'tick' as const, at: from + i * step }))

/** A detector with the reply playing and the app's VAD active. */
function playing(config: ConstructorParameters<typeof TurnDetector>[0]): TurnDetector {
  const d = new TurnDetector(config)
  run(d, [
    { type: 'clientVadActive', at: 0 },
    { type: 'replyPlaying', playing: true, at: 0 }
  ])
  return d
}

/** The user says something during the reply: speech 1000 → 1400, its transcript at 1500. */
const interjection = (text: string): TurnSignal[] => [
  { type: 'speechStart', source: 'client', at: 1000, turnId: 'i' },
  { type: 'speechEnd', source: 'client', at: 1400 },
  { type: 'interruptionTranscript', utterance: 1, text, at: 1500 }
]

describe('TurnDetector: the minimum words before a barge-in cancels the reply', () => {
  it('counts the words that are not backchannel or filler', () => {
    expect(countInterruptionWords('')).toBe(0)
    expect(countInterruptionWords('Mm-hmm.')).toBe(0)
    expect(countInterruptionWords('Um, stop it.')).toBe(2)
    expect(countInterruptionWords('uh-huh, okay, wait a second')).toBe(4)
    expect(countInterruptionWords('... - !')).toBe(0)
  })

  it('with the default (1) any word cancels at once, as before the setting', () => {
    const d = playing({})
    // "stop" is a whole answer to the turn policy too: the cancelled reply's interruption is committed as a turn at once.
    expect(types(run(d, interjection('stop')))).toEqual(['utteranceStart', 'pauseReply', 'speculate', 'cancelReply', 'commit'])
  })

  it('fewer words keep the reply paused until the utterance ends, then it resumes and the utterance is no turn', () => {
    const d = playing({ minInterruptionWords: 3 })
    const heard = run(d, [...interjection('wait'), ...ticks(1500, 2000)])
    expect(types(heard)).toEqual(['utteranceStart', 'pauseReply', 'speculate'])
    expect(d.replyPaused).toBe(true)
    const end = run(d, [{ type: 'endOfUtterance', source: 'client', at: 2040, turnId: 'i' }])
    expect(types(end)).toEqual(['dropSpeculation', 'discard', 'resumeReply'])
    expect(end.at(-1)).toMatchObject({ reason: 'false interruption: only 1 word (3 needed to interrupt)' })
    expect(d.replyPaused).toBe(false)
    expect(d.openUtterance).toBeNull()
  })

  it('enough words cancel as soon as the transcript has them; backchannel words do not count', () => {
    const d = playing({ minInterruptionWords: 2 })
    expect(types(run(d, interjection('mhm, yes')))).toEqual(['utteranceStart', 'pauseReply', 'speculate'])
    const e = playing({ minInterruptionWords: 2 })
    const out = run(e, interjection('no, stop'))
    expect(types(out)).toEqual(['utteranceStart', 'pauseReply', 'speculate', 'cancelReply', 'commit'])
    expect(out.find((a) => a.type === 'cancelReply')).toMatchObject({ reason: 'the user said something' })
  })

  it('a user who goes on talking is judged on the whole utterance: the next transcript has all the words', () => {
    const d = playing({ minInterruptionWords: 3 })
    run(d, interjection('wait'))
    const more = run(d, [
      { type: 'speechResume', source: 'client', at: 1600 },
      { type: 'speechEnd', source: 'client', at: 1900 },
      { type: 'interruptionTranscript', utterance: 1, text: 'wait, what about Tuesday', at: 2000 }
    ])
    // A question in full after the interjection: the turn policy commits it as soon as its transcript is in.
    expect(types(more)).toEqual(['dropSpeculation', 'speculate', 'cancelReply', 'commit'])
    expect(types(run(d, [{ type: 'endOfUtterance', source: 'client', at: 2400, turnId: 'i' }]))).toEqual(['closeEarlyCommit'])
  })

  it('after a speech_resume the old count no longer holds: an utterance that ends before its new transcript is a turn', () => {
    const d = playing({ minInterruptionWords: 3 })
    run(d, interjection('wait'))
    const out = run(d, [
      { type: 'speechResume', source: 'client', at: 1600 },
      { type: 'speechEnd', source: 'client', at: 1900 },
      { type: 'endOfUtterance', source: 'client', at: 2400, turnId: 'i' }
    ])
    expect(types(out)).toEqual(['dropSpeculation', 'speculate', 'cancelReply', 'commit'])
  })

  it('a backchannel or an empty transcript still resumes at once, whatever the setting', () => {
    for (const text of ['Mm-hmm.', ' ']) {
      const d = playing({ minInterruptionWords: 3 })
      const out = run(d, interjection(text))
      expect(types(out), text).toEqual(['utteranceStart', 'pauseReply', 'speculate', 'dropSpeculation', 'discard', 'resumeReply'])
    }
  })

  it('unbroken speech confirms after confirmSpeechMs up to 2 words, after as long as the words take beyond (each + the VAD end lag)', () => {
    // Unbroken: no speech_end 96 ms (the app VAD's end lag) after confirmSpeechMs of speech.
    const two = playing({ minInterruptionWords: 2, confirmSpeechMs: 700 })
    const a = run(two, [{ type: 'speechStart', source: 'client', at: 1000 }, ...ticks(1000, 1800)])
    expect(types(a)).toEqual(['utteranceStart', 'pauseReply', 'cancelReply'])
    expect(a.at(-1)).toMatchObject({ at: 1800, reason: 'speech longer than 700 ms' })

    const four = playing({ minInterruptionWords: 4, confirmSpeechMs: 700 })
    const b = run(four, [{ type: 'speechStart', source: 'client', at: 1000 }, ...ticks(1000, 2480)])
    expect(types(b)).toEqual(['utteranceStart', 'pauseReply'])
    const c = run(four, ticks(2500, 2500))
    expect(c).toEqual([{ type: 'cancelReply', at: 2500, reason: 'speech longer than 1400 ms' }])
  })

  it('a 600 ms backchannel is not confirmed by its length: its speech_end comes 160 ms after it, then its transcript decides', () => {
    const d = playing({ confirmSpeechMs: 700 })
    const out = run(d, [
      { type: 'speechStart', source: 'client', at: 1000 },
      ...ticks(1000, 1740),
      { type: 'speechEnd', source: 'client', at: 1760 },
      ...ticks(1760, 1900),
      { type: 'interruptionTranscript', utterance: 1, text: 'Mm-hmm.', at: 1900 }
    ])
    expect(types(out)).toEqual(['utteranceStart', 'pauseReply', 'speculate', 'dropSpeculation', 'discard', 'resumeReply'])
  })

  it("the reply's own words heard back (2 or more, in its order) are its echo, not an interruption; one word is not", () => {
    const reply = 'Twelve times seven is eighty four. To check it, add seven twelve times.'
    expect(isEchoOf('twelve times seven', reply)).toBe(true)
    expect(isEchoOf('Um, to check it.', reply)).toBe(true)
    expect(isEchoOf('seven twelve', reply)).toBe(true)
    expect(isEchoOf('seven', reply)).toBe(false) // a single word may be the user's
    expect(isEchoOf('times twelve', reply)).toBe(false) // not in the reply's order
    expect(isEchoOf('stop, what is the date', reply)).toBe(false)

    const d = playing({})
    const echo: TurnSignal = { type: 'interruptionTranscript', utterance: 1, text: 'twelve times seven is', at: 1500, replyText: reply }
    const out = run(d, [...interjection('').slice(0, 2), echo])
    expect(types(out)).toEqual(['utteranceStart', 'pauseReply', 'speculate', 'dropSpeculation', 'discard', 'resumeReply'])
    expect(out.at(-1)).toMatchObject({ reason: "false interruption: the reply's own words (echo)" })

    const user = playing({})
    const words = run(user, [...interjection('').slice(0, 2), { ...echo, text: 'stop, what is seven times twelve' }])
    expect(types(words).at(-1)).toBe('cancelReply')
  })

  it('the server VAD backstop ends a too-short interruption the same way', () => {
    const d = new TurnDetector({ minInterruptionWords: 2 })
    run(d, [{ type: 'replyPlaying', playing: true, at: 0 }])
    const out = run(d, [
      { type: 'speechStart', source: 'server', at: 1000 },
      { type: 'speechEnd', source: 'server', at: 1400 },
      { type: 'interruptionTranscript', utterance: 1, text: 'hey', at: 1500 },
      { type: 'endOfUtterance', source: 'server', at: 1900 }
    ])
    expect(types(out)).toEqual(['utteranceStart', 'pauseReply', 'speculate', 'dropSpeculation', 'discard', 'resumeReply'])
  })
})

import { describe, expect, it } from 'vitest'
import { isBackchannel, TurnDetector, type TurnAction, type TurnSignal } from '../../../../src/server/voice/turnDetector'

const run = (d: TurnDetector, signals: TurnSignal[]): TurnAction[] => signals.flatMap((s) => d.push(s))
const types = (actions: TurnAction[]): string[] => actions.map((a) => a.type)

describe('TurnDetector: turn detection', () => {
  it('the app VAD leads: early speech_end speculates, end_of_utterance commits with the app turn id', () => {
    const d = new TurnDetector()
    const out = run(d, [
      { type: 'clientVadActive', at: 0 },
      { type: 'speechStart', source: 'server', at: 100 },
      { type: 'speechStart', source: 'client', at: 120, turnId: 'r-u1' },
      { type: 'speechEnd', source: 'server', at: 1000 }, // ignored: the app leads
      { type: 'speechEnd', source: 'client', at: 1010 },
      { type: 'endOfUtterance', source: 'server', at: 1480 }, // backstop armed, not committed
      { type: 'endOfUtterance', source: 'client', at: 1500 }
    ])
    expect(types(out)).toEqual(['utteranceStart', 'speculate', 'commit'])
    expect(out.at(-1)).toMatchObject({ type: 'commit', turnId: 'r-u1', source: 'client' })
  })

  it('speech_resume drops the speculative transcription; the utterance continues as one turn', () => {
    const d = new TurnDetector()
    const out = run(d, [
      { type: 'speechStart', source: 'client', at: 0, turnId: 't' },
      { type: 'speechEnd', source: 'client', at: 800 },
      { type: 'speechResume', source: 'client', at: 1000 },
      { type: 'speechEnd', source: 'client', at: 1800 },
      { type: 'endOfUtterance', source: 'client', at: 2300 }
    ])
    expect(types(out)).toEqual(['utteranceStart', 'speculate', 'dropSpeculation', 'speculate', 'commit'])
  })

  it('without app VAD events the server VAD runs the turn on its own', () => {
    const d = new TurnDetector()
    const out = run(d, [
      { type: 'speechStart', source: 'server', at: 0 },
      { type: 'speechEnd', source: 'server', at: 900 },
      { type: 'endOfUtterance', source: 'server', at: 1400 }
    ])
    expect(types(out)).toEqual(['utteranceStart', 'speculate', 'commit'])
    expect(out.at(-1)).toMatchObject({ source: 'server', turnId: null })
  })

  it('backstop: the app started the utterance but its end_of_utterance never came → the server commits after the grace', () => {
    const d = new TurnDetector({ backstopGraceMs: 300 })
    const out = run(d, [
      { type: 'speechStart', source: 'client', at: 0, turnId: 'lost' },
      { type: 'speechEnd', source: 'client', at: 900 },
      { type: 'endOfUtterance', source: 'server', at: 1400 },
      { type: 'tick', at: 1600 },
      { type: 'tick', at: 1700 }
    ])
    expect(types(out)).toEqual(['utteranceStart', 'speculate', 'commit'])
    expect(out.at(-1)).toMatchObject({ source: 'server', turnId: 'lost', at: 1700 })
  })

  it('speech only the server heard (while the app VAD is active) is discarded, not answered', () => {
    const d = new TurnDetector()
    const out = run(d, [
      { type: 'clientVadActive', at: 0 },
      { type: 'speechStart', source: 'server', at: 10 },
      { type: 'endOfUtterance', source: 'server', at: 900 },
      { type: 'tick', at: 2000 }
    ])
    expect(types(out)).toEqual(['utteranceStart', 'discard'])
  })
})

describe('TurnDetector: barge-in', () => {
  const playing = (d: TurnDetector): void => void d.push({ type: 'replyPlaying', playing: true, at: 0 })

  it('one server frame of speech pauses the reply; speech that lasts is a real interruption (cancel)', () => {
    const d = new TurnDetector({ confirmSpeechMs: 700 })
    playing(d)
    const out = run(d, [
      { type: 'probability', p: 0.2, at: 1000 },
      { type: 'probability', p: 0.8, at: 1032 },
      { type: 'speechStart', source: 'client', at: 1100, turnId: 'x' },
      { type: 'tick', at: 1500 },
      { type: 'tick', at: 1940 }, // 700 ms + the 160 ms the VAD takes to report a speech end: still unknown
      { type: 'tick', at: 1960 }
    ])
    expect(types(out)).toEqual(['pauseReply', 'utteranceStart', 'cancelReply'])
    expect(out[0]).toMatchObject({ at: 1032 })
  })

  it('a pause that no VAD confirms as speech resumes the reply', () => {
    const d = new TurnDetector({ unconfirmedPauseMs: 250 })
    playing(d)
    const out = run(d, [
      { type: 'probability', p: 0.9, at: 1000 },
      { type: 'tick', at: 1200 },
      { type: 'tick', at: 1260 }
    ])
    expect(types(out)).toEqual(['pauseReply', 'resumeReply'])
  })

  it('speech too short for a word is a false interruption: discarded, the reply resumes', () => {
    const d = new TurnDetector({ minWordMs: 200 })
    playing(d)
    const out = run(d, [
      { type: 'speechStart', source: 'client', at: 1000, turnId: 'cough' },
      { type: 'speechEnd', source: 'client', at: 1150 },
      { type: 'endOfUtterance', source: 'client', at: 1700 }
    ])
    expect(types(out)).toEqual(['utteranceStart', 'pauseReply', 'discard', 'resumeReply'])
  })

  it('the interruption transcript decides: no words → resume; words → cancel', () => {
    const quiet = new TurnDetector()
    playing(quiet)
    const a = run(quiet, [
      { type: 'speechStart', source: 'client', at: 1000 },
      { type: 'speechEnd', source: 'client', at: 1400 },
      { type: 'interruptionTranscript', utterance: 1, text: ' ', at: 1500 }
    ])
    expect(types(a)).toEqual(['utteranceStart', 'pauseReply', 'speculate', 'dropSpeculation', 'discard', 'resumeReply'])

    const words = new TurnDetector()
    playing(words)
    const b = run(words, [
      { type: 'speechStart', source: 'client', at: 1000, turnId: 'stop' },
      { type: 'speechEnd', source: 'client', at: 1400 },
      { type: 'interruptionTranscript', utterance: 1, text: 'stop', at: 1500 },
      { type: 'endOfUtterance', source: 'client', at: 1900, turnId: 'stop' }
    ])
    // "stop" is a complete turn and its pause is past the complete wait: the reply starts with the transcript.
    expect(types(b)).toEqual(['utteranceStart', 'pauseReply', 'speculate', 'cancelReply', 'commit', 'closeEarlyCommit'])
  })

  it('a transcribed backchannel ("Hmm.") is a false interruption: the reply resumes and the utterance is no turn', () => {
    const d = new TurnDetector()
    playing(d)
    const out = run(d, [
      { type: 'speechStart', source: 'client', at: 1000, turnId: 'hm' },
      { type: 'speechEnd', source: 'client', at: 1400 },
      { type: 'interruptionTranscript', utterance: 1, text: 'Hmm.', at: 1500 },
      { type: 'endOfUtterance', source: 'client', at: 1900, turnId: 'hm' }
    ])
    expect(types(out)).toEqual(['utteranceStart', 'pauseReply', 'speculate', 'dropSpeculation', 'discard', 'resumeReply'])
    expect(out.find((a) => a.type === 'resumeReply')).toMatchObject({ reason: expect.stringMatching(/backchannel/) })
  })

  it('backchannels are filler sounds only, not short answers or commands', () => {
    for (const t of ['Hmm.', 'hm', 'Mm-hmm', 'mhm', 'uh-huh', 'Um, uh…', 'Oh.', 'hmm hmm']) expect(isBackchannel(t), t).toBe(true)
    for (const t of ['', 'stop', 'no', 'Hmm, what time is it?', 'oh wait', 'okay stop']) expect(isBackchannel(t), t).toBe(false)
  })

  it('nothing pauses when no reply is playing', () => {
    const d = new TurnDetector()
    expect(types(run(d, [{ type: 'probability', p: 0.99, at: 5 }]))).toEqual([])
  })
})

describe('TurnDetector: early reply (before end_of_utterance, revocable)', () => {
  const ticks = (from: number, to: number, step = 20): TurnSignal[] => Array.from({ length: Math.floor((to - from) / step) + 1 }, (_, i) => ({ type: 'tick' as const, at: from + i * step }))
  const heard = (d: TurnDetector, text: string): TurnAction[] =>
    run(d, [
      { type: 'clientVadActive', at: 0 },
      { type: 'speechStart', source: 'client', at: 0, turnId: 'q' },
      // The voice ended at 840 (the app's VAD reports a 160 ms pause).
      { type: 'speechEnd', source: 'client', at: 1000, pauseMs: 160 },
      { type: 'interruptionTranscript', utterance: 1, text, at: 1040 }
    ])

  it('commits early once the pause reaches the policy wait; the commit carries the decision; end_of_utterance closes it', () => {
    const d = new TurnDetector({ policy: { completeWaitMs: 320, uncertainWaitMs: 320 } })
    const out = [...heard(d, 'What is twelve times seven'), ...run(d, ticks(1100, 1200))]
    expect(types(out)).toEqual(['utteranceStart', 'speculate', 'commit'])
    expect(out.at(-1)).toMatchObject({ type: 'commit', early: true, turnId: 'q', source: 'client', at: 1160 })
    expect(out.at(-1)).toMatchObject({ decision: { waitMs: 320, reason: 'complete request (arithmetic) → 320 ms' } })
    const end = run(d, [{ type: 'endOfUtterance', source: 'client', at: 1480, turnId: 'q' }, ...ticks(1500, 2000)])
    expect(end).toEqual([{ type: 'closeEarlyCommit', utterance: 1, at: 1480 }])
    expect(d.openUtterance).toBeNull()
  })

  it('the user going on talking revokes it; the utterance continues and is committed (for real) at its end', () => {
    const d = new TurnDetector({ policy: { completeWaitMs: 320, uncertainWaitMs: 320 } })
    heard(d, 'Set a timer for five minutes')
    run(d, ticks(1100, 1200))
    const out = run(d, [
      { type: 'replyPlaying', playing: true, at: 1250 },
      { type: 'speechResume', source: 'client', at: 1300 },
      { type: 'replyPlaying', playing: false, at: 1310 },
      { type: 'speechEnd', source: 'client', at: 2500 },
      { type: 'endOfUtterance', source: 'client', at: 2980, turnId: 'q' }
    ])
    expect(types(out)).toEqual(['revokeCommit', 'speculate', 'commit'])
    expect(out[0]).toMatchObject({ utterance: 1, reason: expect.stringMatching(/went on talking/) })
    expect(out.at(-1)).toMatchObject({ type: 'commit', utterance: 1, turnId: 'q' })
    expect(out.at(-1)).not.toHaveProperty('early', true)
  })

  it('an empty or missing transcript waits for end_of_utterance, which commits at once', () => {
    for (const text of ['', null]) {
      const d = new TurnDetector({ policy: { completeWaitMs: 320, uncertainWaitMs: 320 } })
      const out = text === null ? run(d, [{ type: 'clientVadActive', at: 0 }, { type: 'speechStart', source: 'client', at: 0 }, { type: 'speechEnd', source: 'client', at: 1000, pauseMs: 160 }]) : heard(d, text)
      out.push(...run(d, ticks(1000, 1460)))
      expect(types(out), String(text)).toEqual(['utteranceStart', 'speculate'])
      const end = run(d, [{ type: 'endOfUtterance', source: 'client', at: 1480 }])
      expect(types(end), String(text)).toEqual(['commit'])
      expect(end[0]).toMatchObject({ decision: { waitMs: 640, reason: expect.stringMatching(/^end of utterance/) } })
    }
  })

  it('an unfinished transcript holds the commit past end_of_utterance until unfinishedWaitMs after the voice ended', () => {
    for (const [text, why] of [['Set a timer for', "trailing 'for'"], ['I want the', "trailing 'the'"], ['well,', "trailing ','"], ['what is twelve', "trailing number 'twelve'"]]) {
      const d = new TurnDetector({ policy: { unfinishedWaitMs: 1000 } })
      const out = [...heard(d, text!), ...run(d, ticks(1000, 1460)), ...run(d, [{ type: 'endOfUtterance', source: 'client', at: 1480 }]), ...run(d, ticks(1480, 1820))]
      expect(types(out), text).toEqual(['utteranceStart', 'speculate'])
      const held = run(d, ticks(1840, 1900))
      expect(held, text).toEqual([{ type: 'commit', utterance: 1, turnId: 'q', source: 'client', at: 1840, decision: { waitMs: 1000, reason: `waited: ${why}` } }])
    }
  })

  it('speech after a held end_of_utterance continues the same utterance (no reply into the pause)', () => {
    const d = new TurnDetector({ policy: { unfinishedWaitMs: 1000 } })
    heard(d, 'Set a timer for')
    run(d, [{ type: 'endOfUtterance', source: 'client', at: 1480, turnId: 'q' }, ...ticks(1480, 1700)])
    const out = run(d, [
      { type: 'speechStart', source: 'client', at: 1720, turnId: 'q2' },
      ...ticks(1740, 2400),
      { type: 'speechEnd', source: 'client', at: 2600, pauseMs: 160 },
      { type: 'interruptionTranscript', utterance: 1, text: 'Set a timer for five minutes', at: 2620 },
      ...ticks(2620, 2700)
    ])
    expect(types(out)).toEqual(['dropSpeculation', 'speculate', 'commit'])
    expect(out.at(-1)).toMatchObject({ utterance: 1, turnId: 'q2', early: true, at: 2620, decision: { waitMs: 150, reason: 'complete request (timer) → 150 ms' } })
  })

  it('configure merges the policy waits key by key', () => {
    const d = new TurnDetector({ policy: { completeWaitMs: 100 } })
    expect(d.settings.policy).toEqual({ completeWaitMs: 100, uncertainWaitMs: 320, unfinishedWaitMs: 1200 })
    d.configure({ policy: { uncertainWaitMs: 500 } })
    expect(d.settings.policy).toEqual({ completeWaitMs: 100, uncertainWaitMs: 500, unfinishedWaitMs: 1200 })
    d.configure({ earlyReply: false })
    expect(d.settings).toMatchObject({ earlyReply: false, policy: { uncertainWaitMs: 500 } })
  })

  it('a push-to-talk release (flush) or the longest utterance is never held', () => {
    for (const reason of ['flush', 'max_length'] as const) {
      const d = new TurnDetector()
      heard(d, 'Set a timer for')
      const out = run(d, [{ type: 'endOfUtterance', source: 'client', at: 1100, turnId: 'q', reason }])
      expect(types(out), reason).toEqual(['commit'])
      expect(out[0], reason).toMatchObject({ decision: { reason: reason === 'flush' ? 'push-to-talk released' : 'longest utterance reached' } })
    }
  })

  it('a held end_of_utterance needs no backstop: the server end_of_utterance does not commit it', () => {
    const d = new TurnDetector({ policy: { unfinishedWaitMs: 1500 } })
    heard(d, 'I need to buy um')
    const out = run(d, [
      { type: 'endOfUtterance', source: 'client', at: 1480, turnId: 'q' },
      { type: 'endOfUtterance', source: 'server', at: 1500 },
      ...ticks(1500, 2320)
    ])
    expect(types(out)).toEqual([])
    expect(run(d, ticks(2340, 2360))).toMatchObject([{ type: 'commit', at: 2340, decision: { reason: "waited: trailing filler 'um'" } }])
  })

  it('off (earlyReply false) and noise only the server heard never reply early', () => {
    const off = new TurnDetector({ earlyReply: false })
    expect(types([...heard(off, 'What time is it?'), ...run(off, ticks(1000, 1600))])).toEqual(['utteranceStart', 'speculate'])

    const d = new TurnDetector({ policy: { completeWaitMs: 0, uncertainWaitMs: 0, unfinishedWaitMs: 0 } })
    const out = run(d, [
      { type: 'clientVadActive', at: 0 },
      { type: 'speechStart', source: 'server', at: 0 },
      { type: 'speechEnd', source: 'server', at: 500 },
      { type: 'interruptionTranscript', utterance: 1, text: 'tv noise words', at: 520 },
      ...ticks(520, 800)
    ])
    expect(types(out)).toEqual(['utteranceStart', 'speculate'])
  })

  it('an interruption still being judged does not reply early; once confirmed it may', () => {
    const d = new TurnDetector({ policy: { completeWaitMs: 100, uncertainWaitMs: 100 } })
    run(d, [{ type: 'clientVadActive', at: 0 }, { type: 'replyPlaying', playing: true, at: 0 }])
    const judged = run(d, [
      { type: 'speechStart', source: 'client', at: 1000 },
      { type: 'speechEnd', source: 'client', at: 1400 },
      ...ticks(1400, 1540)
    ])
    expect(types(judged)).toEqual(['utteranceStart', 'pauseReply', 'speculate'])
    const confirmed = run(d, [{ type: 'interruptionTranscript', utterance: 1, text: 'stop talking', at: 1550 }, ...ticks(1560, 1600)])
    expect(types(confirmed)).toEqual(['cancelReply', 'commit'])
    expect(confirmed.at(-1)).toMatchObject({ early: true })
  })

  it('a lost end_of_utterance: a new utterance (or 5 s) closes the early commit, and the new one is a turn of its own', () => {
    const d = new TurnDetector({ policy: { completeWaitMs: 320, uncertainWaitMs: 320 } })
    heard(d, 'What time is it?')
    run(d, ticks(1100, 1200))
    const out = run(d, [{ type: 'speechStart', source: 'client', at: 3000, turnId: 'next' }])
    expect(out).toEqual([{ type: 'closeEarlyCommit', utterance: 1, at: 3000 }, { type: 'utteranceStart', utterance: 2 }])

    const quiet = new TurnDetector({ policy: { completeWaitMs: 320, uncertainWaitMs: 320 } })
    heard(quiet, 'What time is it?')
    run(quiet, ticks(1100, 1200))
    expect(types(run(quiet, ticks(1220, 6100, 40)))).toEqual(['closeEarlyCommit'])
    expect(quiet.openUtterance).toBeNull()
  })
})

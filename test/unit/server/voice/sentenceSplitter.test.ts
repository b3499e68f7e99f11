import { describe, expect, it } from 'vitest'
import { SentenceSplitter } from '../../../../src/server/voice/sentenceSplitter'

describe('SentenceSplitter', () => {
  it('emits sentences as soon as they end, across token boundaries', () => {
    const s = new SentenceSplitter()
    const out: string[] = []
    for (const t of ['It', "'s 3", '.5 de', 'grees. Dr. Smith', ' says hi!', ' Anything', ' else?', ' Bye']) out.push(...s.push(t))
    expect(out).toEqual(["It's 3.5 degrees.", 'Dr. Smith says hi!', 'Anything else?'])
    expect(s.flush()).toBe('Bye')
    expect(s.flush()).toBeNull()
  })

  it('cuts a run-on at a comma so TTS never waits for a paragraph', () => {
    const s = new SentenceSplitter(60)
    const out = s.push('This sentence goes on and on, with clauses and more clauses, and it never seems to end at all')
    expect(out[0]).toBe('This sentence goes on and on, with clauses and more clauses,')
  })
})

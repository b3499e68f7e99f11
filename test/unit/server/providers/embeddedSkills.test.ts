import { describe, expect, it } from 'vitest'
import { answerSkill, arithmetic, EmbeddedSkillsLlm, numberWordsToDigits, type TimerBook } from '../../../../src/server/providers/embeddedSkills'
import { ProviderError } from '../../../../src/server/providers/errors'

function book(): TimerBook & { started: Array<{ ms: number; label: string }> } {
  const started: Array<{ ms: number; label: string }> = []
  return {
    started,
    list: () => started.map((s, i) => ({ id: i, label: s.label, durationMs: s.ms, endsAt: Date.UTC(2024, 5, 4, 15, 42) + s.ms })),
    start: (ms, label) => {
      started.push({ ms, label })
      return { id: started.length, label, durationMs: ms, endsAt: 0 }
    },
    cancelAll: () => started.splice(0).length
  }
}

describe('embedded skills', () => {
  const now = new Date(Date.UTC(2024, 5, 4, 15, 42))
  const ctx = (history: Array<{ role: 'user' | 'assistant'; content: string }> = []) => ({ now, timeZone: 'UTC', history, timers: book() })

  it.each([
    ['What time is it?', "It's 3:42 PM."],
    ["What's the date today?", 'Today is Tuesday, June 4, 2024.'],
    ['What is twelve times seven?', '12 times 7 is 84.'],
    ['what is 3 plus 4 divided by 2', '3 plus 4 divided by 2 is 5.'],
    ['Calculate two to the power of ten.', '2 to the power of 10 is 1024.'],
    ["What's the square root of 81?", 'The square root of 81 is 9.'],
    ['What is fifteen percent of eighty?', '15 percent of 80 is 12.'],
    ['one hundred and five minus twenty one', '105 minus 21 is 84.'],
    ['What is 10 divided by 0?', '10 divided by 0 is not a number I can give you: you cannot divide by zero.'],
    ['Repeat after me: the quick brown fox.', 'the quick brown fox.'],
    ['Hello there', 'Hello! How can I help?']
  ])('%s → %s', (q, a) => {
    expect(answerSkill(q, ctx()).text).toBe(a)
  })

  it('timers: set, ask, cancel', () => {
    const c = ctx()
    expect(answerSkill('Set a timer for five minutes.', c).text).toBe('Timer set for 5 minutes.')
    expect(c.timers.started).toEqual([{ ms: 300_000, label: '5 minutes' }])
    expect(answerSkill('How much time is left on my timer?', c).text).toBe('5 minutes left on the 5 minutes timer.')
    expect(answerSkill('cancel the timer', c).text).toBe('Timer cancelled.')
    expect(answerSkill('cancel the timer', c).text).toBe('There is no timer running.')
    expect(answerSkill('set a timer for one hour and 30 seconds', c).text).toBe('Timer set for 1 hour and 30 seconds.')
  })

  it('repeat that: the last assistant reply from the history', () => {
    expect(answerSkill('repeat that', ctx([{ role: 'user', content: 'x' }, { role: 'assistant', content: "It's 3:42 PM." }])).text).toBe("It's 3:42 PM.")
    expect(answerSkill('say that again', ctx()).text).toBe("I haven't said anything yet.")
  })

  it('help and unknown questions explain what works offline', () => {
    expect(answerSkill('help', ctx()).skill).toBe('help')
    const unknown = answerSkill('What is the capital of France?', ctx())
    expect(unknown.skill).toBe('unknown')
    expect(unknown.text).toMatch(/can't answer that offline.*time or the date/)
  })

  it('number words and non-arithmetic text', () => {
    expect(numberWordsToDigits('twenty one plus three thousand two hundred')).toBe('21 plus 3200')
    expect(arithmetic('what is the weather')).toBeNull()
  })

  it('streams its answer as token-like pieces and uses the history', async () => {
    const llm = new EmbeddedSkillsLlm({ now: () => now.getTime(), timeZone: 'UTC' })
    const pieces: string[] = []
    for await (const p of llm.stream([{ role: 'system', content: 's' }, { role: 'assistant', content: 'Earlier reply.' }, { role: 'user', content: 'repeat that' }], { signal: new AbortController().signal })) pieces.push(p)
    expect(pieces).toEqual(['Earlier ', 'reply.'])
    await expect(async () => {
      for await (const _ of llm.stream([{ role: 'system', content: 's' }], { signal: new AbortController().signal })) void _
    }).rejects.toThrow(ProviderError)
    llm.close()
  })

  it('a timer that ends is announced', async () => {
    const done: string[] = []
    const llm = new EmbeddedSkillsLlm({ onTimerDone: (_t, text) => done.push(text) })
    llm.timerBook.start(30, '1 second')
    await new Promise((r) => setTimeout(r, 80))
    expect(done).toEqual(['Your 1 second timer is done.'])
  })
})

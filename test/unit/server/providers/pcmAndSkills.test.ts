import { describe, expect, it } from 'vitest'
import { answerSkill, arithmetic, EmbeddedSkillsLlm, numberWordsToDigits, type TimerBook } from '../../../../src/server/providers/embeddedSkills'
import { ProviderError } from '../../../../src/server/providers/errors'
import { ESPEAK_RATE, EspeakProcessPool, EspeakTts } from '../../../../src/server/providers/espeakTts'
import { FakeClock } from '../../../helpers/fakeClock'
import { encodeWavPcm16, Framer, Int16Assembler, StreamingResampler, StreamingWavReader } from '../../../../src/server/providers/pcm'

describe('PCM helpers', () => {
  it('assembles Int16 samples across odd chunk boundaries', () => {
    const bytes = Buffer.alloc(8)
    ;[1, -2, 32767, -32768].forEach((v, i) => bytes.writeInt16LE(v, i * 2))
    const a = new Int16Assembler()
    const out = [...a.push(bytes.subarray(0, 3)), ...a.push(bytes.subarray(3, 5)), ...a.push(bytes.subarray(5))]
    expect(out).toEqual([1, -2, 32767, -32768])
  })

  it('reads a WAV arriving byte by byte, including a bogus streaming data size', () => {
    const samples = Int16Array.from({ length: 100 }, (_, i) => i * 100 - 5000)
    const wav = encodeWavPcm16(samples, 22050)
    wav.writeUInt32LE(0x7ffff000, 40) // what a pipe writer puts when it does not know the length
    const reader = new StreamingWavReader()
    const got: number[] = []
    for (let i = 0; i < wav.length; i++) got.push(...reader.push(wav.subarray(i, i + 1)))
    expect(reader.wavFormat).toEqual({ sampleRate: 22050, channels: 1, bitsPerSample: 16 })
    expect(got).toEqual([...samples])
  })

  it('refuses non-WAV and non-mono input with a clear error', () => {
    expect(() => new StreamingWavReader().push(Buffer.from('hello world, not a wav'))).toThrow('not a WAV stream')
    const stereo = encodeWavPcm16(new Int16Array(4), 16000)
    stereo.writeUInt16LE(2, 22)
    expect(() => new StreamingWavReader().push(stereo)).toThrow('need 16-bit mono')
  })

  it('resamples 24 kHz → 48 kHz in chunks exactly like in one piece, with the right length and no clicks', () => {
    const input = Int16Array.from({ length: 2400 }, (_, i) => Math.round(10000 * Math.sin((2 * Math.PI * 300 * i) / 24000)))
    const whole = new StreamingResampler(24000, 48000).push(input)
    const r = new StreamingResampler(24000, 48000)
    const pieces = [...r.push(input.subarray(0, 7)), ...r.push(input.subarray(7, 1000)), ...r.push(input.subarray(1000))]
    expect(pieces).toEqual([...whole])
    expect(Math.abs(whole.length - 4800)).toBeLessThanOrEqual(2)
    // Upsampled sine stays a sine: every output sample within the interpolation error of the true value.
    for (let k = 0; k < whole.length; k++) {
      const truth = 10000 * Math.sin((2 * Math.PI * 300 * (k / 2)) / 24000)
      expect(Math.abs(whole[k]! - truth)).toBeLessThan(60)
    }
  })

  it('resamples espeak-ng 22.05 kHz to 48 kHz at the right ratio', () => {
    const r = new StreamingResampler(22050, 48000)
    let n = 0
    for (let i = 0; i < 10; i++) n += r.push(new Int16Array(2205)).length
    expect(Math.abs(n - 48000)).toBeLessThanOrEqual(2)
  })

  it('frames PCM into fixed 20 ms frames and pads the last one', () => {
    const f = new Framer(960)
    expect(f.push(new Int16Array(500).fill(1))).toHaveLength(0)
    const frames = f.push(new Int16Array(1500).fill(2))
    expect(frames).toHaveLength(2)
    expect(frames[0]![499]).toBe(1)
    expect(frames[0]![500]).toBe(2)
    const last = f.flush()!
    expect(last.length).toBe(960)
    expect(last[79]).toBe(2)
    expect(last[80]).toBe(0)
    expect(f.flush()).toBeNull()
  })
})

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

describe('espeak-ng TTS', () => {
  it('warms its spare processes one per event-loop turn (each spawn blocks the loop that paces the reply)', () => {
    const clock = new FakeClock()
    const pool = new EspeakProcessPool(clock)
    const tts = new EspeakTts({ spareProcesses: 3, pool })
    try {
      tts.warmUp()
      expect(tts.warmSpares).toBe(1)
      tts.warmUp() // already warming: no second burst
      expect(tts.warmSpares).toBe(1)
      clock.advance(10)
      expect(tts.warmSpares).toBe(2)
      clock.advance(10)
      expect(tts.warmSpares).toBe(3)
      expect(clock.liveTimers).toBe(0) // topped up: nothing scheduled
    } finally {
      tts.close()
    }
    expect(tts.warmSpares).toBe(0)
    expect(pool.spares).toBe(0)
  })

  it('sessions share the warm processes of their pool (a backend with many sessions keeps a few spares in total); the last close ends them', async () => {
    const pool = new EspeakProcessPool()
    const a = new EspeakTts({ spareProcesses: 2, wordsPerMinute: 190, pool })
    const b = new EspeakTts({ spareProcesses: 2, wordsPerMinute: 190, pool })
    const other = new EspeakTts({ spareProcesses: 2, wordsPerMinute: 230, pool })
    try {
      a.warmUp()
      b.warmUp()
      await expect.poll(() => a.warmSpares, { timeout: 2000, interval: 5 }).toBe(2)
      expect(b.warmSpares).toBe(2) // the same two, not four
      expect(other.warmSpares).toBe(0) // another rate is another command line
      expect(pool.spares).toBe(2)
      a.close()
      expect(b.warmSpares).toBe(2)
      let n = 0
      for await (const c of b.synthesize('Shared.', { signal: new AbortController().signal })) n += c.length
      expect(n).toBeGreaterThan(0)
      expect(b.warmSpares).toBe(1)
    } finally {
      a.close()
      b.close()
      other.close()
    }
    expect(b.warmSpares).toBe(0)
    expect(pool.spares).toBe(0)
  })

  it('closing the pool (the backend closes) kills every spare at once; its users then start a process per sentence', async () => {
    const pool = new EspeakProcessPool()
    const tts = new EspeakTts({ spareProcesses: 2, wordsPerMinute: 200, pool })
    try {
      tts.warmUp()
      await expect.poll(() => pool.spares, { timeout: 2000, interval: 5 }).toBe(2)
      pool.close()
      expect(pool.spares).toBe(0)
      tts.warmUp()
      expect(tts.warmSpares).toBe(0)
      let n = 0
      for await (const c of tts.synthesize('Cold start.', { signal: new AbortController().signal })) n += c.length
      expect(n).toBeGreaterThan(0)
    } finally {
      tts.close()
    }
  })

  it('streams speech for a sentence at 22.05 kHz, with a warm spare process', async () => {
    const tts = new EspeakTts({ wordsPerMinute: 200 })
    tts.warmUp()
    try {
      for (const sentence of ['Twelve times seven is eighty four.', 'Second sentence.']) {
        let n = 0
        let peak = 0
        for await (const c of tts.synthesize(sentence, { signal: new AbortController().signal })) {
          n += c.length
          for (const v of c) peak = Math.max(peak, Math.abs(v))
        }
        expect(tts.outputRate).toBe(ESPEAK_RATE)
        expect(n / ESPEAK_RATE).toBeGreaterThan(0.5)
        expect(peak).toBeGreaterThan(3000)
      }
    } finally {
      tts.close()
    }
  })

  it('stops on abort and reports a missing binary as unavailable', async () => {
    const tts = new EspeakTts({ keepWarm: false })
    const abort = new AbortController()
    const error = await (async () => {
      for await (const _ of tts.synthesize('A long sentence that will be cut off right after it starts speaking.', { signal: abort.signal })) abort.abort()
    })().catch((e: unknown) => e)
    expect(error).toMatchObject({ kind: 'cancelled' })
    const missing = new EspeakTts({ command: '/nonexistent/espeak-ng', keepWarm: false })
    const e2 = await (async () => {
      for await (const _ of missing.synthesize('hi', { signal: new AbortController().signal })) void _
    })().catch((e: unknown) => e)
    expect(e2).toMatchObject({ kind: 'unavailable' })
    expect((e2 as Error).message).toContain('is not installed')
  })

  it('does not take text as command-line options', async () => {
    const tts = new EspeakTts({ keepWarm: false })
    let n = 0
    for await (const c of tts.synthesize('--version -w /tmp/x.wav', { signal: new AbortController().signal })) n += c.length
    expect(n).toBeGreaterThan(1000)
  })
})

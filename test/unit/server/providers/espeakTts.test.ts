import { describe, expect, it } from 'vitest'
import { ESPEAK_RATE, EspeakProcessPool, EspeakTts } from '../../../../src/server/providers/espeakTts'
import { FakeClock } from '../../../helpers/fakeClock'

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

import { describe, expect, it } from 'vitest'
import { BatchedServerVad, decimate48to16, type FrameBatch, type ServerVadEvent } from '../../../src/server/vad/serverVad'

/** A stand-in for Silero: probability = frame energy above a threshold; counts calls and batch rows. */
class EnergyBatch implements FrameBatch {
  calls: number[] = []
  constructor(readonly size: number) {}
  async process(frames: ArrayLike<Float32Array | null>): Promise<Float32Array> {
    const out = new Float32Array(this.size).fill(Number.NaN)
    let active = 0
    for (let b = 0; b < this.size; b++) {
      const f = frames[b]
      if (!f) continue
      active++
      let e = 0
      for (const x of f) e += x * x
      out[b] = Math.sqrt(e / f.length) > 0.05 ? 0.95 : 0.02
    }
    this.calls.push(active)
    return out
  }
  resetStream(): void {}
}

const loud = (n = 960): Int16Array => Int16Array.from({ length: n }, (_, i) => Math.round(Math.sin(i / 3) * 12000))
const quiet = (n = 960): Int16Array => new Int16Array(n)

describe('BatchedServerVad', () => {
  it('runs ONE inference per tick for every stream with a frame ready, each with its own endpointing', async () => {
    const batch = new EnergyBatch(8)
    const vad = new BatchedServerVad({ loadBatch: async () => batch, clock: { setInterval: () => 1, clearInterval: () => undefined } })
    const events: Array<{ stream: number; e: ServerVadEvent }> = []
    const streams = [0, 1, 2].map((i) => vad.open({ minSpeechMs: 64, speechEndSilenceMs: 96, minSilenceMs: 192 }, (e) => events.push({ stream: i, e })))
    await new Promise((r) => setTimeout(r, 0)) // model "load"
    // 40 frames of 20 ms (800 ms): streams 0 and 1 speak for 300 ms then go quiet; stream 2 stays quiet.
    for (let f = 0; f < 40; f++) {
      streams[0]!.push(f < 15 ? loud() : quiet(), 1000 + f * 20)
      streams[1]!.push(f < 15 ? loud() : quiet(), 1000 + f * 20)
      streams[2]!.push(quiet(), 1000 + f * 20)
      if (f % 2 === 1) await vad.tick() // ~32 ms of audio per 40 ms: frames never pile up
    }
    for (let i = 0; i < 6; i++) await vad.tick()
    expect(batch.calls.every((n) => n === 3)).toBe(true) // every call carried all three streams
    expect(vad.stats.calls).toBe(batch.calls.length)
    const kinds = (s: number): string[] => events.filter((x) => x.stream === s).map((x) => x.e.event.type)
    expect(kinds(0)).toEqual(['speech_start', 'speech_end', 'end_of_utterance'])
    expect(kinds(1)).toEqual(['speech_start', 'speech_end', 'end_of_utterance'])
    expect(kinds(2)).toEqual([])
    const end = events.find((x) => x.stream === 0 && x.e.event.type === 'speech_end')!
    const arrival = end.e.arrivalAt((end.e.event as { endMs: number }).endMs)
    expect(arrival).toBeGreaterThan(1000)
    expect(arrival).toBeLessThan(1000 + 40 * 20)
  })

  it('a tick that came late catches up: the backlog is classified at once, not one frame per tick', async () => {
    const batch = new EnergyBatch(4)
    const vad = new BatchedServerVad({ loadBatch: async () => batch, clock: { setInterval: () => 1, clearInterval: () => undefined } })
    const events: ServerVadEvent[] = []
    const s = vad.open({ minSpeechMs: 64, speechEndSilenceMs: 96, minSilenceMs: 192 }, (e) => events.push(e))
    await new Promise((r) => setTimeout(r, 0))
    for (let f = 0; f < 4; f++) s.push(quiet(), f * 20) // 80 ms of silence, no tick (a busy event loop)
    for (let f = 0; f < 8; f++) s.push(loud(), 80 + f * 20) // then 160 ms of speech: 7 VAD frames of 32 ms in all
    await vad.tick()
    expect(vad.stats.framesClassified).toBe(7) // all of it, in one tick
    expect(vad.stats.framesDropped).toBe(0)
    expect(events.map((e) => e.event.type)).toEqual(['speech_start'])
    await vad.tick()
    expect(batch.calls.length).toBe(7) // nothing left for the next tick
  })

  it('a model that cannot load leaves the backstop off with a clear error, and audio is not buffered', async () => {
    const vad = new BatchedServerVad({ loadBatch: async () => Promise.reject(new Error('Silero VAD model not found')), clock: { setInterval: () => 1, clearInterval: () => undefined } })
    const s = vad.open({}, () => undefined)
    await new Promise((r) => setTimeout(r, 0))
    for (let i = 0; i < 50; i++) s.push(loud(), i)
    await vad.tick()
    expect(vad.error).toMatch(/not found/)
    expect(vad.stats.calls).toBe(0)
  })

  it('decimates 48 kHz to 16 kHz across chunk boundaries', () => {
    const carry: number[] = []
    const a = decimate48to16(Int16Array.from([3, 3, 3, 6]), carry)
    const b = decimate48to16(Int16Array.from([6, 6, 9, 9]), carry)
    expect(a.length + b.length).toBe(2)
    expect(carry).toEqual([9, 9])
    expect(Math.round(b[0]! * 32768)).toBe(6)
  })
})

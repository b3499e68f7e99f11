import { describe, expect, it } from 'vitest'
import { BatchedServerVad, SERVER_VAD_FRAME, type FrameBatch, type ServerVadEvent } from '../../../../src/server/vad/serverVad'
import { FakeClock } from '../../../helpers/fakeClock'
import { MemoryLogger } from '../../../helpers/memoryLogger'

/** A stand-in for Silero: probability = frame energy above a threshold; counts calls, rows and slot resets. */
class EnergyBatch implements FrameBatch {
  calls: number[] = []
  slotsSeen: number[][] = []
  resets: number[] = []
  alive = true
  async process(slots: Int32Array, frames: Float32Array): Promise<Float32Array> {
    if (!this.alive) throw new Error('the server VAD thread exited (code 1)')
    const out = new Float32Array(slots.length)
    for (let i = 0; i < slots.length; i++) {
      const f = frames.subarray(i * SERVER_VAD_FRAME, (i + 1) * SERVER_VAD_FRAME)
      let e = 0
      for (const x of f) e += x * x
      out[i] = Math.sqrt(e / f.length) > 0.05 ? 0.95 : 0.02
    }
    this.calls.push(slots.length)
    this.slotsSeen.push([...slots])
    return out
  }
  resetStream(slot: number): void {
    this.resets.push(slot)
  }
}

/** 20 ms of uplink at 16 kHz (what the voice pipeline pushes after decimating the 48 kHz frame). */
const loud = (n = 320): Int16Array => Int16Array.from({ length: n }, (_, i) => Math.round(Math.sin(i / 3) * 12000))
const quiet = (n = 320): Int16Array => new Int16Array(n)
/** Never advanced unless a test says so: the tests call tick() themselves. */
const manualClock = (): FakeClock => new FakeClock()

describe('BatchedServerVad', () => {
  it('runs ONE inference per tick for every stream with a frame ready, each with its own endpointing', async () => {
    const batch = new EnergyBatch()
    const vad = new BatchedServerVad({ loadBatch: async () => batch, clock: manualClock() })
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
    const batch = new EnergyBatch()
    const vad = new BatchedServerVad({ loadBatch: async () => batch, clock: manualClock() })
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
    const vad = new BatchedServerVad({ loadBatch: async () => Promise.reject(new Error('Silero VAD model not found')), clock: manualClock() })
    const s = vad.open({}, () => undefined)
    await new Promise((r) => setTimeout(r, 0))
    for (let i = 0; i < 50; i++) s.push(loud(), i)
    await vad.tick()
    expect(vad.error).toMatch(/not found/)
    expect(vad.stats.calls).toBe(0)
  })

  it('sends only the streams that have a frame, and a reused slot starts afresh', async () => {
    const batch = new EnergyBatch()
    const vad = new BatchedServerVad({ loadBatch: async () => batch, clock: manualClock() })
    const a = vad.open({}, () => undefined)
    const b = vad.open({}, () => undefined)
    const c = vad.open({}, () => undefined)
    await new Promise((r) => setTimeout(r, 0))
    for (let f = 0; f < 2; f++) {
      a.push(loud(), f * 20)
      c.push(loud(), f * 20)
    }
    await vad.tick()
    expect(batch.slotsSeen).toEqual([[0, 2]]) // b had nothing ready: not in the call
    b.close()
    vad.open({}, () => undefined) // takes b's slot
    expect(batch.resets).toEqual([1])
  })

  it('a batch that dies (its thread exited) is replaced; one that keeps dying turns the backstop off', async () => {
    const loads: EnergyBatch[] = []
    const logs = new MemoryLogger()
    const vad = new BatchedServerVad({ loadBatch: async () => (loads.push(new EnergyBatch()), loads.at(-1)!), clock: manualClock(), logger: logs })
    const events: ServerVadEvent[] = []
    const s = vad.open({ minSpeechMs: 64, speechEndSilenceMs: 96, minSilenceMs: 192 }, (e) => events.push(e))
    await new Promise((r) => setTimeout(r, 0))
    loads[0]!.alive = false
    s.push(loud(), 0)
    s.push(loud(), 20)
    await vad.tick()
    await new Promise((r) => setTimeout(r, 0))
    expect(loads.length).toBe(2)
    expect(vad.stats.restarts).toBe(1)
    expect(logs.text()).toMatch(/warn server VAD restarting \{"reason":"the server VAD thread exited/)
    for (let f = 0; f < 8; f++) s.push(loud(), 40 + f * 20)
    await vad.tick()
    expect(events.map((e) => e.event.type)).toEqual(['speech_start']) // the new batch carries on
    for (let round = 0; round < 3; round++) {
      loads.at(-1)!.alive = false
      s.push(loud(), 0)
      s.push(loud(), 20)
      await vad.tick()
      await new Promise((r) => setTimeout(r, 0))
    }
    expect(vad.stats.restarts).toBe(3)
    expect(vad.error).toMatch(/failed 4 times within 60 s/)
    expect(loads.length).toBe(4)
  })

  it('deaths further apart than the restart window keep being replaced; the tick stops with the last stream', async () => {
    const clock = new FakeClock()
    const loads: EnergyBatch[] = []
    const vad = new BatchedServerVad({ loadBatch: async () => (loads.push(new EnergyBatch()), loads.at(-1)!), clock })
    const s = vad.open({}, () => undefined)
    expect(clock.liveTimers).toBe(1) // the 32 ms tick
    await new Promise((r) => setTimeout(r, 0))
    for (let round = 0; round < 5; round++) {
      loads.at(-1)!.alive = false
      s.push(loud(), 0)
      s.push(loud(), 20)
      await vad.tick()
      await new Promise((r) => setTimeout(r, 0))
      clock.advance(31_000) // at most two deaths within any minute
      await new Promise((r) => setTimeout(r, 0)) // the ticks that fired meanwhile finish
    }
    expect(vad.stats.restarts).toBe(5)
    expect(vad.error).toBeNull()
    s.close()
    expect(clock.liveTimers).toBe(0)
    await vad.close()
  })

})

describe('BatchedServerVad: the onBatch hook (operator metrics)', () => {
  it('reports each answered inference: its frame count and time; a failed one is not reported', async () => {
    const batch = new EnergyBatch()
    const clock = manualClock()
    const slow: FrameBatch = {
      process: async (slots, frames) => {
        clock.advance(3) // the inference takes 3 ms on the clock
        return batch.process(slots, frames)
      },
      resetStream: (slot) => batch.resetStream(slot),
      get alive() {
        return batch.alive
      }
    }
    const seen: Array<[number, number]> = []
    const vad = new BatchedServerVad({ loadBatch: async () => slow, clock, onBatch: (frames, ms) => seen.push([frames, ms]) })
    const a = vad.open({}, () => undefined)
    const b = vad.open({}, () => undefined)
    await new Promise((r) => setTimeout(r, 0))
    for (let f = 0; f < 2; f++) {
      a.push(quiet(), 0)
      b.push(quiet(), 0)
    }
    a.push(quiet(), 0)
    a.push(quiet(), 0)
    await vad.tick()
    expect(seen).toEqual([[2, 3], [1, 3]]) // both streams' frames, then a's backlog alone
    batch.alive = false
    a.push(quiet(), 0)
    a.push(quiet(), 0)
    await vad.tick()
    expect(seen).toHaveLength(2)
  })
})

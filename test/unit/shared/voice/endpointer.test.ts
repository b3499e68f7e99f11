import { describe, expect, it } from 'vitest'
import { DEFAULT_ENDPOINTER_CONFIG, Endpointer, type EndpointEvent } from '../../../../src/shared/voice/endpointer'

const F = 32
/** Probabilities from a compact script: [value, frames] runs. */
function probs(...runs: Array<[number, number]>): number[] {
  return runs.flatMap(([p, n]) => new Array<number>(n).fill(p))
}
function feed(ep: Endpointer, ps: number[]): EndpointEvent[] {
  return ps.flatMap((p) => ep.push(p))
}
const cfg = { offsetLagMs: 0 }

describe('Endpointer', () => {
  it('finds one utterance with onset, early speech_end and a later commit', () => {
    const ep = new Endpointer(cfg, F)
    const events = feed(ep, probs([0.02, 10], [0.9, 30], [0.05, 40]))
    expect(events.map((e) => e.type)).toEqual(['speech_start', 'speech_end', 'end_of_utterance'])
    const [start, early, eou] = events as [Extract<EndpointEvent, { type: 'speech_start' }>, Extract<EndpointEvent, { type: 'speech_end' }>, Extract<EndpointEvent, { type: 'end_of_utterance' }>]
    expect(start.startMs).toBe(320)
    expect(start.atMs).toBe(320 + DEFAULT_ENDPOINTER_CONFIG.minSpeechMs)
    expect(start.audioStartMs).toBe(0)
    expect(early.endMs).toBe(320 + 30 * F)
    expect(early.atMs - early.endMs).toBe(DEFAULT_ENDPOINTER_CONFIG.speechEndSilenceMs)
    expect(eou).toMatchObject({ startMs: 320, endMs: 1280, reason: 'silence', endOfUtteranceDelayMs: DEFAULT_ENDPOINTER_CONFIG.minSilenceMs })
    expect(eou.atMs).toBe(1280 + 640)
  })

  it('keeps at least 300 ms of pre-roll before the onset', () => {
    const ep = new Endpointer(cfg, F)
    const [start] = feed(ep, probs([0, 40], [0.9, 5]))
    expect(start).toMatchObject({ type: 'speech_start', startMs: 1280 })
    expect(1280 - (start as { audioStartMs: number }).audioStartMs).toBeGreaterThanOrEqual(300)
  })

  it('rejects blips shorter than min speech', () => {
    const ep = new Endpointer(cfg, F)
    expect(feed(ep, probs([0, 5], [0.95, 2], [0.1, 30], [0.99, 1], [0.0, 30]))).toEqual([])
  })

  it('applies hysteresis: probabilities between the thresholds neither start nor end speech', () => {
    const ep = new Endpointer(cfg, F)
    expect(feed(ep, probs([0.45, 50]))).toEqual([]) // below activation: never starts
    const events = feed(ep, probs([0.8, 10], [0.4, 50], [0.1, 30]))
    expect(events.map((e) => e.type)).toEqual(['speech_start', 'speech_end', 'end_of_utterance'])
    expect((events[2] as { endMs: number }).endMs).toBe(50 * F + 60 * F) // the 0.4 stretch stayed speech
  })

  it('a pause shorter than the commit silence continues the same utterance (speculative end dropped)', () => {
    const ep = new Endpointer(cfg, F)
    // 400 ms pause = 12.5 frames -> 13 frames of silence.
    const events = feed(ep, probs([0, 10], [0.9, 30], [0.05, 13], [0.9, 30], [0.05, 40]))
    expect(events.map((e) => e.type)).toEqual(['speech_start', 'speech_end', 'speech_resume', 'speech_end', 'end_of_utterance'])
    expect(new Set(events.map((e) => e.utteranceId))).toEqual(new Set([1]))
    expect(events[4]).toMatchObject({ startMs: 320, endMs: (10 + 30 + 13 + 30) * F })
  })

  it('a pause longer than the commit silence makes two utterances', () => {
    const ep = new Endpointer(cfg, F)
    const events = feed(ep, probs([0, 10], [0.9, 20], [0.05, 25], [0.9, 20], [0.05, 40]))
    const eous = events.filter((e) => e.type === 'end_of_utterance')
    expect(eous.map((e) => e.utteranceId)).toEqual([1, 2])
  })

  it('commits at max utterance length, then starts a new utterance if speech goes on', () => {
    const ep = new Endpointer({ ...cfg, maxUtteranceMs: 1000 }, F)
    const events = feed(ep, probs([0.9, 60]))
    const types = events.map((e) => e.type)
    expect(types.slice(0, 3)).toEqual(['speech_start', 'speech_end', 'end_of_utterance'])
    expect(events[2]).toMatchObject({ reason: 'max_length', startMs: 0 })
    expect((events[2] as { atMs: number }).atMs).toBe(1024) // first frame end ≥ 1000 ms
    expect(types.filter((t) => t === 'speech_start').length).toBe(2)
  })

  it('flush commits an open utterance immediately (push-to-talk release) and is a no-op otherwise', () => {
    const ep = new Endpointer(cfg, F)
    expect(ep.flush()).toEqual([])
    feed(ep, probs([0.9, 10]))
    const events = ep.flush()
    expect(events.map((e) => e.type)).toEqual(['speech_end', 'end_of_utterance'])
    expect(events[1]).toMatchObject({ reason: 'flush', endMs: 320, atMs: 320, endOfUtteranceDelayMs: 0 })
    expect(ep.state).toBe('silence')
  })

  it('dates speech ends earlier by the model lag, never before the onset frame', () => {
    const ep = new Endpointer({ offsetLagMs: 64 }, F)
    const events = feed(ep, probs([0, 10], [0.9, 30], [0, 30]))
    expect(events[1]).toMatchObject({ type: 'speech_end', endMs: 1280 - 64 })
    const short = new Endpointer({ offsetLagMs: 640 }, F)
    const ev = feed(short, probs([0, 10], [0.9, 4], [0, 30]))
    expect(ev[1]).toMatchObject({ type: 'speech_end', endMs: 320 + 32 })
  })

  it('treats NaN probabilities as silence and validates its settings', () => {
    const ep = new Endpointer(cfg, F)
    expect(feed(ep, [Number.NaN, Number.NaN, Number.POSITIVE_INFINITY])).toEqual([])
    expect(() => new Endpointer({ activationThreshold: 0.3, deactivationThreshold: 0.5 })).toThrow(/deactivationThreshold/)
    expect(() => new Endpointer({ minSilenceMs: 100, speechEndSilenceMs: 200 })).toThrow(/speechEndSilenceMs/)
    expect(() => new Endpointer({ activationThreshold: 1.5 })).toThrow(/activationThreshold/)
  })
})

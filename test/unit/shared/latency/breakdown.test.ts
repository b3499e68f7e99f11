import { describe, expect, it } from 'vitest'
import { alignMarks, pipelineOverheadMs, turnBreakdown } from '../../../../src/shared/latency/breakdown'
import type { TurnMark } from '../../../../src/shared/latency/trace'
import { latencyStages } from '../../../../src/shared/latencyBudget'

/** A turn seen by three clocks: renderer (reference), main = renderer + 1000, backend = renderer − 5000. */
const MAIN = 1000
const BACKEND = -5000
function mark(name: TurnMark['name'], rendererTime: number, clock: TurnMark['clock']): TurnMark {
  return { name, clock, at: rendererTime + (clock === 'main' ? MAIN : clock === 'backend' ? BACKEND : 0) }
}
const T0 = 1_700_000_000_000
const fullTurn: TurnMark[] = [
  mark('speech_end_mic', T0, 'renderer'),
  mark('uplink_sent', T0 + 15, 'renderer'),
  mark('uplink_arrival', T0 + 40, 'backend'),
  mark('end_of_utterance', T0 + 200, 'backend'),
  mark('transcript', T0 + 330, 'backend'),
  mark('llm_first_token', T0 + 480, 'backend'),
  mark('first_sentence', T0 + 560, 'backend'),
  mark('tts_first_audio', T0 + 640, 'backend'),
  mark('reply_sent', T0 + 650, 'backend'),
  mark('downlink_arrival', T0 + 680, 'renderer'),
  mark('playout', T0 + 742, 'renderer')
]
const offsets = { renderer: 0, main: -MAIN, backend: -BACKEND }

describe('turn breakdown', () => {
  it('aligns marks from three clocks onto the reference clock', () => {
    const { at, unaligned } = alignMarks(fullTurn, offsets)
    expect(at.uplink_arrival).toBe(T0 + 40)
    expect(at.playout).toBe(T0 + 742)
    expect(unaligned).toEqual([])
    expect(alignMarks(fullTurn, { renderer: 0 }).unaligned).toContain('transcript')
  })

  it('stages tile the turn and add up to e2e_latency; metrics use the names users know', () => {
    const b = turnBreakdown(alignMarks(fullTurn, offsets).at)
    expect(b.segments.map((s) => [s.stage, s.durationMs])).toEqual([
      ['mic', 15],
      ['uplink', 25],
      ['eou', 160],
      ['stt', 130],
      ['llm', 230],
      ['tts', 80],
      ['downlink', 102]
    ])
    expect(b.segments.reduce((sum, s) => sum + s.durationMs, 0)).toBe(742)
    expect(b.e2eMs).toBe(742)
    expect(b.totalMs).toBe(742)
    // transcription_delay is LiveKit's: from the end of speech (not from end_of_utterance) to the final transcript.
    expect(b.metrics).toEqual({ end_of_utterance_delay: 200, transcription_delay: 330, stt_compute_ms: null, llm_ttft: 150, tts_ttfb: 80, e2e_latency: 742 })
    expect(turnBreakdown(alignMarks(fullTurn, offsets).at, { compute: { stt: 118 } }).metrics.stt_compute_ms).toBe(118)
    // No turn decision in this trace: its eou stage is the whole end of utterance and has the decision's share too.
    const share = (id: string): number => latencyStages.find((s) => s.id === id)!.budgetMs
    expect(b.segments.map((s) => s.budgetMs)).toEqual([share('mic'), share('uplink'), share('eou') + share('turn'), share('stt'), share('llm'), share('tts'), share('downlink')])
    expect(b.segments.every((s) => s.startMs >= 0 && !s.clamped && !s.running)).toBe(true)
  })

  it("a turn decision (turn_wait_start) is a stage of its own between hearing the speech end and the commit; it still adds up", () => {
    const decided = [...fullTurn, mark('turn_wait_start', T0 + 50, 'backend')]
    const b = turnBreakdown(alignMarks(decided, offsets).at)
    expect(b.segments.map((s) => [s.stage, s.durationMs])).toEqual([
      ['mic', 15],
      ['uplink', 25],
      ['eou', 10],
      ['turn', 150],
      ['stt', 130],
      ['llm', 230],
      ['tts', 80],
      ['downlink', 102]
    ])
    expect(b.segments.map((s) => s.budgetMs)).toEqual(latencyStages.map((s) => s.budgetMs))
    expect(b.segments.reduce((sum, s) => sum + s.durationMs, 0)).toBe(742)
    expect(b.metrics.end_of_utterance_delay).toBe(200) // the metric is still speech end → commit

    // A wait counted from before the backend heard the speech end (clock error, or a wait from the true end) clamps
    // the eou stage to 0 ms; the turn decision starts where the uplink ended and the total does not move.
    const early = turnBreakdown(alignMarks([...fullTurn, mark('turn_wait_start', T0 + 20, 'backend')], offsets).at)
    expect(early.segments.find((s) => s.stage === 'eou')).toMatchObject({ durationMs: 0, clamped: true })
    expect(early.segments.find((s) => s.stage === 'turn')).toMatchObject({ startMs: 40, durationMs: 160 })
    expect(early.e2eMs).toBe(742)

    // While the policy waits, the turn decision is the stage that grows.
    const waiting = decided.filter((m) => ['speech_end_mic', 'uplink_sent', 'uplink_arrival', 'turn_wait_start'].includes(m.name))
    expect(turnBreakdown(alignMarks(waiting, offsets).at, { now: T0 + 120 }).segments.at(-1)).toMatchObject({ stage: 'turn', startMs: 50, durationMs: 70, running: true })
  })

  it('a missing mark folds its stage into the next one (still adds up)', () => {
    const without = fullTurn.filter((m) => m.name !== 'uplink_sent' && m.name !== 'uplink_arrival')
    const b = turnBreakdown(alignMarks(without, offsets).at)
    expect(b.segments[0]).toMatchObject({ stage: 'eou', startMs: 0, durationMs: 200, includes: ['mic', 'uplink'], budgetMs: 20 + 30 + 30 + 150 })
    expect(b.segments.reduce((sum, s) => sum + s.durationMs, 0)).toBe(b.e2eMs)
  })

  it('STT done before EOU (speculative STT hidden in the pause) clamps its stage to 0 ms and the sum still equals e2e', () => {
    const skewed = fullTurn.map((m) => (m.name === 'transcript' ? { ...m, at: m.at - 250 } : m))
    const b = turnBreakdown(alignMarks(skewed, offsets).at)
    const stt = b.segments.find((s) => s.stage === 'stt')!
    expect(stt).toMatchObject({ durationMs: 0, clamped: true })
    expect(b.segments.find((s) => s.stage === 'llm')!.durationMs).toBe(360) // from EOU, where STT was clamped
    expect(b.segments.reduce((sum, s) => sum + s.durationMs, 0)).toBe(742)
    expect(b.metrics.transcription_delay).toBe(80) // the transcript was there 80 ms after the speech ended…
    expect(b.metrics.end_of_utterance_delay).toBe(200) // …well before the turn was committed
    expect(b.metrics.llm_ttft).toBe(280) // the LLM was asked at the commit, not when the transcript arrived
  })

  it('transcription_delay is never negative (a clock error putting the transcript before the end of speech)', () => {
    const early = fullTurn.map((m) => (m.name === 'transcript' ? { ...m, at: T0 - 30 + BACKEND } : m))
    expect(turnBreakdown(alignMarks(early, offsets).at).metrics.transcription_delay).toBe(0)
    const noMic = fullTurn.filter((m) => m.name !== 'speech_end_mic')
    expect(turnBreakdown(alignMarks(noMic, offsets).at).metrics.transcription_delay).toBeNull()
  })

  it('a running turn grows its current stage up to now', () => {
    const partial = fullTurn.filter((m) => ['speech_end_mic', 'uplink_sent', 'uplink_arrival', 'end_of_utterance', 'transcript'].includes(m.name))
    const b = turnBreakdown(alignMarks(partial, offsets).at, { now: T0 + 400 })
    expect(b.segments.at(-1)).toMatchObject({ stage: 'llm', startMs: 330, durationMs: 70, running: true })
    expect(b.totalMs).toBe(400)
    expect(b.e2eMs).toBeNull()
  })

  it('a backend-only trace counts from its first mark', () => {
    const backendOnly = fullTurn.filter((m) => m.clock === 'backend')
    const b = turnBreakdown(alignMarks(backendOnly, offsets).at)
    expect(b.segments[0]).toMatchObject({ stage: 'eou', startMs: 0, durationMs: 160 })
    expect(b.e2eMs).toBeNull()
  })

  it('pipeline overhead = e2e minus measured compute', () => {
    expect(pipelineOverheadMs(742, { stt: 120, llm: 200, tts: 70 })).toBe(352)
    expect(pipelineOverheadMs(null, { stt: 1, llm: 1, tts: 1 })).toBeNull()
    expect(pipelineOverheadMs(700, { stt: 1 })).toBeNull()
  })
})

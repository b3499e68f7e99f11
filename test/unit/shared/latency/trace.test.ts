import { describe, expect, it } from 'vitest'
import { turnTraceSchema, type TurnMark } from '../../../../src/shared/latency/trace'

const fullTurn: TurnMark[] = (
  [
    ['speech_end_mic', 'renderer'],
    ['uplink_sent', 'renderer'],
    ['uplink_arrival', 'backend'],
    ['end_of_utterance', 'backend'],
    ['transcript', 'backend'],
    ['llm_first_token', 'backend'],
    ['first_sentence', 'backend'],
    ['tts_first_audio', 'backend'],
    ['reply_sent', 'backend'],
    ['downlink_arrival', 'renderer'],
    ['playout', 'renderer']
  ] as const
).map(([name, clock], i) => ({ name, clock, at: 1_700_000_000_000 + i * 50 }))

describe('turn trace schema', () => {
  it('the trace schema accepts a full turn and rejects garbage', () => {
    expect(turnTraceSchema.safeParse({ turnId: 't1', status: 'done', marks: fullTurn }).success).toBe(true)
    expect(turnTraceSchema.safeParse({ turnId: 't1', status: 'done', marks: [{ name: 'nope', at: 1, clock: 'renderer' }] }).success).toBe(false)
    expect(turnTraceSchema.safeParse({ turnId: '', status: 'done', marks: [] }).success).toBe(false)
  })

  it("a spoken turn's decision: its wait (ms, not negative) and its reason (bounded); a typed turn has none", () => {
    const decided = { turnId: 't1', status: 'done', marks: [...fullTurn, { name: 'turn_wait_start', clock: 'backend', at: 1_700_000_000_100 }] }
    expect(turnTraceSchema.safeParse({ ...decided, decision: { waitMs: 150, reason: 'complete request → 150 ms' } }).success).toBe(true)
    expect(turnTraceSchema.safeParse({ ...decided, decision: { waitMs: -1, reason: 'x' } }).success).toBe(false)
    expect(turnTraceSchema.safeParse({ ...decided, decision: { waitMs: 150, reason: 'x'.repeat(201) } }).success).toBe(false)
    expect(turnTraceSchema.safeParse({ ...decided, decision: { waitMs: 150, reason: 'x', extra: 1 } }).success).toBe(false)
    expect(turnTraceSchema.safeParse({ turnId: 't2', status: 'done', marks: [] }).data?.decision).toBeUndefined()
  })
})

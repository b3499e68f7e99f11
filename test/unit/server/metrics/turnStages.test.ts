import { describe, expect, it } from 'vitest'
import type { TurnMark, TurnTrace } from '../../../../src/shared/latency/trace'
import { serverTurnStages } from '../../../../src/server/metrics/turnStages'

const T0 = 1_700_000_000_000
const mark = (name: TurnMark['name'], ms: number, clock: TurnMark['clock'] = 'backend'): TurnMark => ({ name, at: T0 + ms, clock })
const trace = (marks: TurnMark[], status: TurnTrace['status'] = 'done'): TurnTrace => ({ turnId: 't1', status, marks })

describe('serverTurnStages: a turn under LiveKit names, from the backend marks alone, in seconds', () => {
  it('a spoken turn with speculative STT: every stage, from the end of speech as it arrived to the first reply frame out', () => {
    const stages = serverTurnStages(
      trace([
        mark('uplink_arrival', 0),
        mark('transcript', 120), // speculative: before the commit
        mark('end_of_utterance', 300),
        mark('llm_first_token', 450),
        mark('first_sentence', 520),
        mark('tts_first_audio', 600),
        mark('reply_sent', 610)
      ])
    )
    expect(stages.end_of_utterance_delay).toBeCloseTo(0.3)
    expect(stages.transcription_delay).toBeCloseTo(0.12)
    expect(stages.llm_ttft).toBeCloseTo(0.15) // from max(transcript, commit)
    expect(stages.tts_ttfb).toBeCloseTo(0.08)
    expect(stages.e2e_latency).toBeCloseTo(0.61)
  })

  it('ignores the app-side marks (another clock): the edges are the backend’s', () => {
    const stages = serverTurnStages(trace([mark('speech_end_mic', -200, 'renderer'), mark('uplink_arrival', 0), mark('end_of_utterance', 250), mark('reply_sent', 900), mark('playout', 2000, 'renderer')]))
    expect(stages.end_of_utterance_delay).toBeCloseTo(0.25)
    expect(stages.e2e_latency).toBeCloseTo(0.9)
  })

  it('a typed turn (no uplink_arrival) has no end-of-speech stages; a failed one no reply stages', () => {
    const typed = serverTurnStages(trace([mark('end_of_utterance', 0), mark('transcript', 0), mark('llm_first_token', 200), mark('first_sentence', 260), mark('tts_first_audio', 300), mark('reply_sent', 310)]))
    expect(typed).toEqual({ end_of_utterance_delay: null, transcription_delay: null, llm_ttft: 0.2, tts_ttfb: expect.closeTo(0.04) as number, e2e_latency: null })
    const failed = serverTurnStages(trace([mark('uplink_arrival', 0), mark('end_of_utterance', 300)], 'failed'))
    expect(failed).toEqual({ end_of_utterance_delay: 0.3, transcription_delay: null, llm_ttft: null, tts_ttfb: null, e2e_latency: null })
  })

  it('never negative: a clock step that puts the commit before the arrival counts as 0', () => {
    expect(serverTurnStages(trace([mark('uplink_arrival', 100), mark('end_of_utterance', 40)])).end_of_utterance_delay).toBe(0)
  })
})

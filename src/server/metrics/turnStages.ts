import { alignMarks, turnMetrics } from '../../shared/latency/breakdown'
import type { TurnTrace } from '../../shared/latency/trace'

/**
 * A finished turn's stage times as the backend alone can measure them, under LiveKit's metric names. The backend
 * sees only its own marks (the app adds speech_end_mic and playout on its side), so the two edges of the turn are the
 * backend's: the end of speech as it ARRIVED (uplink_arrival) stands for LiveKit's end of user speech, and the first
 * reply frame handed to the paced sender (reply_sent) for the agent starting to speak. The math is breakdown.ts's
 * turnMetrics (one definition for the overlay and the operator), with those two marks in place of the app's.
 */
export const turnStageNames = ['end_of_utterance_delay', 'transcription_delay', 'llm_ttft', 'tts_ttfb', 'e2e_latency'] as const
export type TurnStageName = (typeof turnStageNames)[number]

/** Seconds per stage; null where the turn has no value (no uplink_arrival for a typed turn, no reply when it failed). */
export function serverTurnStages(trace: TurnTrace): Record<TurnStageName, number | null> {
  const { at } = alignMarks(
    trace.marks.filter((m) => m.clock === 'backend'),
    { backend: 0 }
  )
  const m = turnMetrics({ ...at, speech_end_mic: at.uplink_arrival, playout: at.reply_sent })
  const seconds = (ms: number | null): number | null => (ms === null || !Number.isFinite(ms) ? null : Math.max(0, ms) / 1000)
  return {
    end_of_utterance_delay: seconds(m.end_of_utterance_delay),
    transcription_delay: seconds(m.transcription_delay),
    llm_ttft: seconds(m.llm_ttft),
    tts_ttfb: seconds(m.tts_ttfb),
    e2e_latency: seconds(m.e2e_latency)
  }
}

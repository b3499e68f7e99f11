import { latencyStages, type LatencyStageId } from '../latencyBudget'
import type { ClockName, TurnMark, TurnMarkName } from './trace'

/**
 * From a turn's marks to what the overlay shows: the marks on one clock, the stage segments of the waterfall
 * (they tile the turn, so they add up to e2e_latency exactly), and the metrics by the names voice-agent users
 * know (LiveKit's): end_of_utterance_delay, transcription_delay, llm_ttft, tts_ttfb, e2e_latency, plus
 * stt_compute_ms (what the recognizer itself took, wherever that time fell).
 */

/** ms to ADD to a time on each clock to get the reference clock. The reference clock itself needs 0. */
export type ClockOffsets = Partial<Record<ClockName, number>>

export interface AlignedMarks {
  /** Mark → time on the reference clock. */
  at: Partial<Record<TurnMarkName, number>>
  /** Marks dropped because their clock's offset is unknown. */
  unaligned: TurnMarkName[]
}

export function alignMarks(marks: readonly TurnMark[], offsets: ClockOffsets): AlignedMarks {
  const at: Partial<Record<TurnMarkName, number>> = {}
  const unaligned: TurnMarkName[] = []
  for (const mark of marks) {
    const offset = offsets[mark.clock]
    if (offset === undefined) {
      unaligned.push(mark.name)
      continue
    }
    // The first report of a moment wins (a mark is a moment; a later duplicate is a retransmission).
    if (at[mark.name] === undefined) at[mark.name] = mark.at + offset
  }
  return { at, unaligned }
}

/**
 * The mark that ends each stage; a stage starts where the previous present boundary is. A turn without
 * turn_wait_start (typed, or committed without a decision) has no turn decision stage: its eou stage ends at
 * end_of_utterance and takes the turn stage's budget share (see stagesOf).
 */
export const stageEndMark: Record<LatencyStageId, TurnMarkName> = {
  mic: 'uplink_sent',
  uplink: 'uplink_arrival',
  eou: 'turn_wait_start',
  turn: 'end_of_utterance',
  stt: 'transcript',
  llm: 'first_sentence',
  tts: 'tts_first_audio',
  downlink: 'playout'
}
export const TURN_START_MARK: TurnMarkName = 'speech_end_mic'

/**
 * The name each waterfall stage is shown under (LiveKit naming where one exists). The STT stage is only what the
 * turn waited for its transcript after end_of_utterance (0 when speculative STT finished within the pause), so it is
 * not LiveKit's transcription_delay, which counts from the end of speech (see TurnMetrics).
 */
export const stageMetricName: Record<LatencyStageId, string> = {
  mic: 'mic_capture',
  uplink: 'uplink',
  eou: 'end_of_utterance_delay',
  turn: 'turn_wait',
  stt: 'stt_after_eou',
  llm: 'llm_to_first_sentence',
  tts: 'tts_ttfb',
  downlink: 'downlink_playout'
}

export interface StageSegment {
  stage: LatencyStageId
  /** ms from the turn start (the first present boundary, normally speech_end_mic). */
  startMs: number
  durationMs: number
  /** Earlier stages whose end mark is missing, folded into this one (e.g. mic+uplink without uplink_sent). */
  includes: LatencyStageId[]
  /** Still running: its end is `now`. */
  running: boolean
  /** Its end mark came before its start (clock error or overlapped work, e.g. STT finished before EOU): 0 ms. */
  clamped: boolean
  budgetMs: number
}

export interface TurnBreakdown {
  /** Reference-clock time the segments count from. */
  startAt: number | null
  segments: StageSegment[]
  /** Sum of segments = end − start. */
  totalMs: number
  /** Playout − speech end at the mic, when both were seen; equals totalMs then. */
  e2eMs: number | null
  metrics: TurnMetrics
  /** Every aligned mark as ms from the turn start (for ticks inside a stage, e.g. the LLM's first token). */
  marksMs: Partial<Record<TurnMarkName, number>>
}

export interface TurnMetrics {
  /** End of speech (at the mic) → the turn was committed (end_of_utterance). */
  end_of_utterance_delay: number | null
  /**
   * LiveKit's: end of speech (at the mic) → the final transcript was available, never negative. Speculative STT
   * often has it before end_of_utterance, so this is usually below end_of_utterance_delay.
   */
  transcription_delay: number | null
  /** The recognizer's own time for the transcript the turn used (on-device: the worker's compute, queue wait left out). */
  stt_compute_ms: number | null
  /** The LLM request (the turn starts once it has both its transcript and end_of_utterance) → its first token. */
  llm_ttft: number | null
  tts_ttfb: number | null
  e2e_latency: number | null
}

export const metricNames = ['end_of_utterance_delay', 'transcription_delay', 'stt_compute_ms', 'llm_ttft', 'tts_ttfb', 'e2e_latency'] as const satisfies ReadonlyArray<keyof TurnMetrics>

function diff(at: AlignedMarks['at'], from: TurnMarkName, to: TurnMarkName): number | null {
  const a = at[from]
  const b = at[to]
  return a === undefined || b === undefined ? null : b - a
}

/** `compute`: the trace's measured compute (its `stt` is stt_compute_ms). */
export function turnMetrics(at: AlignedMarks['at'], compute?: { stt?: number }): TurnMetrics {
  const transcription = diff(at, 'speech_end_mic', 'transcript')
  const llmStart = at.transcript === undefined ? at.end_of_utterance : at.end_of_utterance === undefined ? at.transcript : Math.max(at.transcript, at.end_of_utterance)
  return {
    end_of_utterance_delay: diff(at, 'speech_end_mic', 'end_of_utterance'),
    transcription_delay: transcription === null ? null : Math.max(0, transcription),
    stt_compute_ms: compute?.stt ?? null,
    llm_ttft: llmStart === undefined || at.llm_first_token === undefined || at.transcript === undefined ? null : at.llm_first_token - llmStart,
    tts_ttfb: diff(at, 'first_sentence', 'tts_first_audio'),
    e2e_latency: diff(at, 'speech_end_mic', 'playout')
  }
}

/**
 * Tiles the turn into stage segments. Boundaries are the stage end marks in pipeline order; a missing boundary
 * folds its stage into the next present one. Boundaries are clamped to be non-decreasing and not past the end,
 * so the segments always sum to (end − start): a clock error shows as a clamped 0 ms stage, never as a total that
 * does not add up. `now` (reference clock) makes the stage after the last boundary a running one.
 */
export function turnBreakdown(at: AlignedMarks['at'], opts: { now?: number; compute?: { stt?: number } } = {}): TurnBreakdown {
  const metrics = turnMetrics(at, opts.compute)
  const stages = stagesOf(at)
  const boundaries: Array<{ stage: LatencyStageId; at: number }> = []
  for (const stage of stages) {
    const t = at[stage.endMark]
    if (t !== undefined) boundaries.push({ stage: stage.id, at: t })
  }
  const start = at[TURN_START_MARK] ?? null
  if (start === null && boundaries.length === 0) return { startAt: null, segments: [], totalMs: 0, e2eMs: null, metrics, marksMs: {} }

  const stageIds = stages.map((s) => s.id)
  let nextStageIndex = 0
  let startAt: number
  if (start !== null) startAt = start
  else {
    // No speech_end_mic (e.g. a server-only trace): count from the first boundary that was seen.
    const first = boundaries.shift()!
    startAt = first.at
    nextStageIndex = stageIds.indexOf(first.stage) + 1
  }
  const finalAt = at.playout
  const endAt = finalAt ?? Math.max(opts.now ?? -Infinity, ...boundaries.map((b) => b.at), startAt)
  const segments: StageSegment[] = []
  let pos = startAt
  const budget = (id: LatencyStageId): number => stages.find((s) => s.id === id)!.budgetMs
  for (const b of boundaries) {
    const index = stageIds.indexOf(b.stage)
    const pending = stageIds.slice(nextStageIndex, index)
    nextStageIndex = index + 1
    const clampedAt = Math.min(Math.max(b.at, pos), endAt)
    segments.push({
      stage: b.stage,
      startMs: pos - startAt,
      durationMs: clampedAt - pos,
      includes: pending,
      running: false,
      clamped: clampedAt !== b.at,
      budgetMs: budget(b.stage) + pending.reduce((sum, id) => sum + budget(id), 0)
    })
    pos = clampedAt
  }
  if (finalAt === undefined && opts.now !== undefined && nextStageIndex < stageIds.length) {
    const stage = stageIds[nextStageIndex]!
    segments.push({ stage, startMs: pos - startAt, durationMs: Math.max(0, endAt - pos), includes: [], running: true, clamped: false, budgetMs: budget(stage) })
    pos = Math.max(pos, endAt)
  }
  const totalMs = pos - startAt
  const marksMs: Partial<Record<TurnMarkName, number>> = {}
  for (const [name, t] of Object.entries(at) as Array<[TurnMarkName, number]>) marksMs[name] = t - startAt
  return { startAt, segments, totalMs, e2eMs: start !== null && finalAt !== undefined ? totalMs : null, metrics, marksMs }
}

/**
 * This turn's stages with their end marks and budget shares: all of them when the turn carries a decision
 * (turn_wait_start), else without the turn decision stage, whose end mark and share go to the eou stage.
 */
function stagesOf(at: AlignedMarks['at']): Array<{ id: LatencyStageId; endMark: TurnMarkName; budgetMs: number }> {
  const stages = latencyStages.map((s) => ({ id: s.id as LatencyStageId, endMark: stageEndMark[s.id], budgetMs: s.budgetMs as number }))
  if (at.turn_wait_start !== undefined) return stages
  const turn = stages.find((s) => s.id === 'turn')!
  return stages.filter((s) => s.id !== 'turn').map((s) => (s.id === 'eou' ? { ...s, endMark: turn.endMark, budgetMs: s.budgetMs + turn.budgetMs } : s))
}

/**
 * Pipeline overhead: e2e minus the measured STT, LLM and TTS compute (what the issue's ≤60 ms goal is about).
 * null when e2e or any compute figure is missing.
 */
export function pipelineOverheadMs(e2eMs: number | null, compute: { stt?: number; llm?: number; tts?: number } | undefined): number | null {
  if (e2eMs === null || !compute || compute.stt === undefined || compute.llm === undefined || compute.tts === undefined) return null
  return e2eMs - compute.stt - compute.llm - compute.tts
}

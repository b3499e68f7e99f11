import { latencyStages, type LatencyStageId } from '../latencyBudget'
import type { ClockName, TurnMark, TurnMarkName } from './trace'

/**
 * From a turn's marks to what the overlay shows: the marks on one clock, the stage segments of the waterfall
 * (they tile the turn, so they add up to e2e_latency exactly), and the metrics by the names voice-agent users
 * know (LiveKit's): end_of_utterance_delay, transcription_delay, llm ttft, tts ttfb, e2e_latency.
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

/** The mark that ends each stage; a stage starts where the previous present boundary is. */
export const stageEndMark: Record<LatencyStageId, TurnMarkName> = {
  mic: 'uplink_sent',
  uplink: 'uplink_arrival',
  eou: 'end_of_utterance',
  stt: 'transcript',
  llm: 'first_sentence',
  tts: 'tts_first_audio',
  downlink: 'playout'
}
export const TURN_START_MARK: TurnMarkName = 'speech_end_mic'

/** The metric name each stage is reported under (LiveKit naming where one exists). */
export const stageMetricName: Record<LatencyStageId, string> = {
  mic: 'mic_capture',
  uplink: 'uplink',
  eou: 'end_of_utterance_delay',
  stt: 'transcription_delay',
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
  end_of_utterance_delay: number | null
  transcription_delay: number | null
  llm_ttft: number | null
  tts_ttfb: number | null
  e2e_latency: number | null
}

export const metricNames = ['end_of_utterance_delay', 'transcription_delay', 'llm_ttft', 'tts_ttfb', 'e2e_latency'] as const satisfies ReadonlyArray<keyof TurnMetrics>

function diff(at: AlignedMarks['at'], from: TurnMarkName, to: TurnMarkName): number | null {
  const a = at[from]
  const b = at[to]
  return a === undefined || b === undefined ? null : b - a
}

export function turnMetrics(at: AlignedMarks['at']): TurnMetrics {
  return {
    end_of_utterance_delay: diff(at, 'speech_end_mic', 'end_of_utterance'),
    transcription_delay: diff(at, 'end_of_utterance', 'transcript'),
    llm_ttft: diff(at, 'transcript', 'llm_first_token'),
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
export function turnBreakdown(at: AlignedMarks['at'], opts: { now?: number } = {}): TurnBreakdown {
  const metrics = turnMetrics(at)
  const boundaries: Array<{ stage: LatencyStageId; at: number }> = []
  for (const stage of latencyStages) {
    const t = at[stageEndMark[stage.id]]
    if (t !== undefined) boundaries.push({ stage: stage.id, at: t })
  }
  const start = at[TURN_START_MARK] ?? null
  if (start === null && boundaries.length === 0) return { startAt: null, segments: [], totalMs: 0, e2eMs: null, metrics, marksMs: {} }

  const stageIds = latencyStages.map((s) => s.id)
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
  const budget = (id: LatencyStageId): number => latencyStages.find((s) => s.id === id)!.budgetMs
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
 * Pipeline overhead: e2e minus the measured STT, LLM and TTS compute (what the issue's ≤60 ms goal is about).
 * null when e2e or any compute figure is missing.
 */
export function pipelineOverheadMs(e2eMs: number | null, compute: { stt?: number; llm?: number; tts?: number } | undefined): number | null {
  if (e2eMs === null || !compute || compute.stt === undefined || compute.llm === undefined || compute.tts === undefined) return null
  return e2eMs - compute.stt - compute.llm - compute.tts
}

import { create } from 'zustand'
import type { VoiceApi } from '../../../shared/contract/api'
import { alignMarks, turnBreakdown, type ClockOffsets, type TurnBreakdown } from '../../../shared/latency/breakdown'
import { ClockOffsetEstimator, type OffsetEstimate } from '../../../shared/latency/clockOffset'
import { turnTraceSchema, type TurnMarkName, type TurnTrace } from '../../../shared/latency/trace'

/**
 * The session's voice turns as the latency overlay shows them. Traces arrive as `turnTrace` api events (the
 * latest per turnId wins); marks the renderer itself takes (speech end at the mic, first sample played) are added
 * here. All marks are moved onto the renderer clock: main's offset comes from pinging the services (min-RTT
 * filter), the backend's from the trace (backend → main, measured by whoever emitted it).
 */

export const MAX_TURNS = 200

export interface TurnState {
  turns: TurnTrace[]
  /** main − renderer clock, from api.ping. */
  mainOffset: OffsetEstimate | null
  init(api: VoiceApi): void
  ingest(trace: TurnTrace): void
  /** A mark taken in the renderer (renderer clock, Date.now()-based). `replace`: a later estimate supersedes it. */
  addClientMark(turnId: string, name: TurnMarkName, at: number, opts?: { replace?: boolean }): void
  /** Forget renderer marks of a turn (its early reply was revoked: playout is measured again for the real one). */
  removeClientMarks(turnId: string, names: TurnMarkName[]): void
  clear(): void
}

export const useTurnStore = create<TurnState>((set, get) => {
  const estimator = new ClockOffsetEstimator(16)
  let initialized = false
  return {
    turns: [],
    mainOffset: null,

    init(api) {
      if (initialized) return
      initialized = true
      api.on('turnTrace', (trace) => get().ingest(trace))
      const ping = async (): Promise<void> => {
        const t0 = Date.now()
        try {
          const { serviceTime } = await api.ping({ clientTime: t0 })
          const t3 = Date.now()
          set({ mainOffset: estimator.add({ t0, t1: serviceTime, t2: serviceTime, t3 }) })
        } catch {
          // Not connected yet; the next ping tries again.
        }
      }
      // A burst first (the min-RTT filter needs a few samples), then a slow refresh that follows drift.
      let burst = 0
      const fast = setInterval(() => {
        void ping()
        if (++burst >= 5) clearInterval(fast)
      }, 200)
      setInterval(() => void ping(), 5000)
    },

    ingest(raw) {
      // Events are data from another process: a malformed trace is dropped, never rendered.
      const parsed = turnTraceSchema.safeParse(raw)
      if (!parsed.success) {
        console.warn('turnTrace dropped:', parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`).join('; '))
        return
      }
      const trace = parsed.data
      const turns = get().turns
      const index = turns.findIndex((t) => t.turnId === trace.turnId)
      if (index >= 0) {
        // Keep renderer-side marks the new snapshot does not carry.
        const clientMarks = turns[index]!.marks.filter((m) => m.clock === 'renderer' && !trace.marks.some((n) => n.name === m.name))
        const merged = { ...trace, marks: [...trace.marks, ...clientMarks] }
        set({ turns: turns.map((t, i) => (i === index ? merged : t)) })
      } else {
        set({ turns: [...turns, trace].slice(-MAX_TURNS) })
      }
    },

    addClientMark(turnId, name, at, opts) {
      const turns = get().turns
      const existing = turns.find((t) => t.turnId === turnId)
      const mark = { name, at, clock: 'renderer' as const }
      if (!existing) {
        set({ turns: [...turns, { turnId, status: 'running' as const, marks: [mark] }].slice(-MAX_TURNS) })
        return
      }
      if (existing.marks.some((m) => m.name === name)) {
        if (!opts?.replace) return
        set({ turns: turns.map((t) => (t === existing ? { ...t, marks: [...t.marks.filter((m) => m.name !== name), mark] } : t)) })
        return
      }
      set({ turns: turns.map((t) => (t === existing ? { ...t, marks: [...t.marks, mark] } : t)) })
    },

    removeClientMarks(turnId, names) {
      set({ turns: get().turns.map((t) => (t.turnId === turnId ? { ...t, marks: t.marks.filter((m) => m.clock !== 'renderer' || !names.includes(m.name)) } : t)) })
    },

    clear() {
      set({ turns: [] })
    }
  }
})

/** Offsets that move each clock's marks onto the renderer clock. */
export function offsetsFor(trace: TurnTrace, mainOffset: OffsetEstimate | null): ClockOffsets {
  const offsets: ClockOffsets = { renderer: 0 }
  if (mainOffset) {
    offsets.main = -mainOffset.offsetMs
    if (trace.clockOffsets?.backend !== undefined) offsets.backend = trace.clockOffsets.backend - mainOffset.offsetMs
  }
  return offsets
}

export function breakdownOf(trace: TurnTrace, mainOffset: OffsetEstimate | null, now?: number): TurnBreakdown {
  return turnBreakdown(alignMarks(trace.marks, offsetsFor(trace, mainOffset)).at, { ...(trace.status === 'running' ? { now } : {}), compute: trace.compute })
}

/** The session's turns as a JSON document (export). */
export function turnsExport(turns: TurnTrace[], mainOffset: OffsetEstimate | null): string {
  return JSON.stringify(
    {
      exportedAt: new Date().toISOString(),
      clock: 'renderer (ms since epoch)',
      mainClockOffset: mainOffset,
      turns: turns.map((trace) => {
        const b = breakdownOf(trace, mainOffset)
        return { ...trace, breakdown: { e2eMs: b.e2eMs, metrics: b.metrics, marksMs: b.marksMs, stages: b.segments.map((s) => ({ stage: s.stage, startMs: s.startMs, durationMs: s.durationMs, budgetMs: s.budgetMs, includes: s.includes, clamped: s.clamped })) } }
      })
    },
    null,
    2
  )
}

import { z } from 'zod'
import { create, type StoreApi, type UseBoundStore } from 'zustand'
import { TYPED_TURN_NOTE } from '../../../shared/contract/signaling'
import type { OffsetEstimate } from '../../../shared/latency/clockOffset'
import { turnTraceSchema, type TurnTrace } from '../../../shared/latency/trace'
import { budgetVerdict, TOTAL_BUDGET_MS, type BudgetVerdict } from '../../../shared/latencyBudget'
import { breakdownOf } from './turnStore'

/**
 * The session's conversation as the window shows it: one entry per turn, what the user said (or typed) and what the
 * assistant answered, as they arrive (the turn traces the voice loop sends as it goes), with the notes worth seeing
 * (a provider failover) and the trace for that turn's latency waterfall. It survives a reload of the window within
 * the session (sessionStorage: the tab's, gone with it) and can be cleared; it is never sent anywhere.
 */

export const MAX_HISTORY = 200
export const HISTORY_STORAGE_KEY = 'voice-assistant.history.v1'

export type EntryStatus = 'sending' | 'running' | 'done' | 'cancelled' | 'failed'

export interface HistoryEntry {
  turnId: string
  /** Typed in the window (no speech recognition). */
  typed: boolean
  /** What the user said (the final transcript) or typed; null while it is being transcribed. */
  user: string | null
  /** What the assistant said; null until it is known. */
  assistant: string | null
  status: EntryStatus
  /** Failovers and other things worth seeing next to this turn (the routine notes are left out). */
  notes: string[]
  /** When the window first saw the turn (ms since epoch, renderer clock). */
  at: number
  /** The turn's trace and the clock offset to read it with: its latency waterfall. null for a typed turn not yet sent. */
  trace: TurnTrace | null
  mainOffset: OffsetEstimate | null
  /** Why a typed turn was not sent. */
  error: string | null
}

/** Notes every turn of a kind carries (how it was committed, that it was typed): not news to the user. */
const ROUTINE_NOTES = [/^turn committed by /, /^reply started after a pause/, /^transcript from speculative STT/]
export function visibleNotes(notes: readonly string[] | undefined): string[] {
  return (notes ?? []).filter((n) => n !== TYPED_TURN_NOTE && !ROUTINE_NOTES.some((r) => r.test(n)))
}

export function isTypedTrace(trace: Pick<TurnTrace, 'notes'>): boolean {
  return trace.notes?.includes(TYPED_TURN_NOTE) ?? false
}

/** A trace the backend has spoken for: the renderer's own early marks of a turn (speech end at the mic) are not yet one. */
function fromBackend(trace: TurnTrace): boolean {
  return trace.transcript !== undefined || trace.marks.some((m) => m.clock !== 'renderer')
}

/** The entries after a trace (new or updated turn); unchanged when the trace is not one to show yet. Pure. */
export function historyAfterTrace(entries: readonly HistoryEntry[], trace: TurnTrace, mainOffset: OffsetEstimate | null, at: number): readonly HistoryEntry[] {
  const index = entries.findIndex((e) => e.turnId === trace.turnId)
  const prev = index >= 0 ? entries[index]! : undefined
  if (!prev && !fromBackend(trace)) return entries
  const transcript = trace.transcript?.trim()
  const next: HistoryEntry = {
    turnId: trace.turnId,
    typed: (prev?.typed ?? false) || isTypedTrace(trace),
    // A typed turn shows what was typed from the start; a spoken one its transcript once there is one.
    user: transcript || prev?.user || null,
    assistant: trace.reply?.trim() || prev?.assistant || null,
    status: trace.status,
    notes: visibleNotes(trace.notes),
    at: prev?.at ?? at,
    trace,
    mainOffset,
    error: null
  }
  if (index >= 0) return entries.map((e, i) => (i === index ? next : e))
  return [...entries, next].slice(-MAX_HISTORY)
}

/** A typed turn as soon as it is sent (the trace follows). Pure. */
export function historyAfterTyped(entries: readonly HistoryEntry[], turnId: string, text: string, at: number): readonly HistoryEntry[] {
  const entry: HistoryEntry = { turnId, typed: true, user: text, assistant: null, status: 'sending', notes: [], at, trace: null, mainOffset: null, error: null }
  return [...entries.filter((e) => e.turnId !== turnId), entry].slice(-MAX_HISTORY)
}

/**
 * The latency chip of an entry: voice-to-voice (e2e_latency) when the turn has the client's marks, else what the
 * backend measured (for a typed turn: from the send to the first sound). null until the turn has a reply.
 */
export function entryLatency(entry: Pick<HistoryEntry, 'trace' | 'mainOffset'>): { ms: number; verdict: BudgetVerdict; label: string } | null {
  const trace = entry.trace
  if (!trace || !trace.marks.some((m) => m.name === 'playout' || m.name === 'reply_sent')) return null
  const b = breakdownOf(trace, entry.mainOffset)
  const ms = Math.round(b.e2eMs ?? b.totalMs)
  const what = b.e2eMs !== null ? 'voice to voice' : isTypedTrace(trace) ? 'from send to first sound' : 'measured by the backend'
  return { ms, verdict: budgetVerdict(ms, TOTAL_BUDGET_MS), label: `${ms} ms ${what} (budget ${TOTAL_BUDGET_MS} ms): open the waterfall` }
}

/** What sending a typed turn uses: the history (shown at once) and the conversation (sent on its session). */
export interface TypedTurnDeps {
  history: Pick<HistoryState, 'addTyped' | 'typedFailed'>
  conversation: { sendTyped(text: string, turnId: string): Promise<boolean>; getError(): string | null }
  newTurnId(): string
}

/**
 * The text box's send: the turn shows in the history at once as sending, then follows its trace; when it cannot be
 * sent, the entry says why. Blank text sends nothing. Resolves whether it was sent.
 */
export async function sendTypedTurn(text: string, deps: TypedTurnDeps): Promise<boolean> {
  const clean = text.trim()
  if (!clean) return false
  const turnId = deps.newTurnId()
  deps.history.addTyped(turnId, clean)
  const sent = await deps.conversation.sendTyped(clean, turnId)
  if (!sent) deps.history.typedFailed(turnId, deps.conversation.getError() ?? 'not sent')
  return sent
}

const offsetSchema = z.object({ offsetMs: z.number(), rttMs: z.number(), errorBoundMs: z.number(), samples: z.number() })
const entrySchema = z.object({
  turnId: z.string().max(128),
  typed: z.boolean(),
  user: z.string().max(4000).nullable(),
  assistant: z.string().max(8000).nullable(),
  status: z.enum(['sending', 'running', 'done', 'cancelled', 'failed']),
  notes: z.array(z.string().max(500)).max(20),
  at: z.number(),
  trace: turnTraceSchema.nullable(),
  mainOffset: offsetSchema.nullable(),
  error: z.string().max(1000).nullable()
})

export type HistoryStorage = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>

/**
 * The entries kept for this session, or none. What storage holds is data another page version may have written: an
 * entry that does not parse is dropped, never shown. A turn that was still running when the window reloaded will
 * not be finished by anyone: it is shown as interrupted.
 */
export function loadHistory(storage: HistoryStorage | null): HistoryEntry[] {
  let raw: unknown
  try {
    raw = JSON.parse(storage?.getItem(HISTORY_STORAGE_KEY) ?? '[]')
  } catch {
    return []
  }
  if (!Array.isArray(raw)) return []
  const out: HistoryEntry[] = []
  for (const item of raw.slice(-MAX_HISTORY)) {
    const parsed = entrySchema.safeParse(item)
    if (!parsed.success) continue
    const entry = parsed.data as HistoryEntry
    out.push(entry.status === 'running' || entry.status === 'sending' ? { ...entry, status: entry.status === 'sending' ? 'failed' : 'cancelled', error: entry.status === 'sending' ? 'The window reloaded before it was sent.' : null } : entry)
  }
  return out
}

export interface HistoryState {
  entries: readonly HistoryEntry[]
  /** The turn whose latency waterfall is open (the chip next to it), or null. */
  openTurnId: string | null
  ingest(trace: TurnTrace, mainOffset: OffsetEstimate | null): void
  addTyped(turnId: string, text: string): void
  typedFailed(turnId: string, error: string): void
  clear(): void
  openLatency(turnId: string | null): void
}

export function createHistoryStore(deps: { storage: HistoryStorage | null; now: () => number }): UseBoundStore<StoreApi<HistoryState>> {
  const store = create<HistoryState>((set, get) => ({
    entries: loadHistory(deps.storage),
    openTurnId: null,
    ingest(trace, mainOffset) {
      const entries = historyAfterTrace(get().entries, trace, mainOffset, deps.now())
      if (entries !== get().entries) set({ entries })
    },
    addTyped(turnId, text) {
      set({ entries: historyAfterTyped(get().entries, turnId, text, deps.now()) })
    },
    typedFailed(turnId, error) {
      set({ entries: get().entries.map((e) => (e.turnId === turnId && e.status === 'sending' ? { ...e, status: 'failed', error } : e)) })
    },
    clear() {
      set({ entries: [], openTurnId: null })
    },
    openLatency(turnId) {
      set({ openTurnId: turnId })
    }
  }))
  store.subscribe((s, prev) => {
    if (s.entries === prev.entries) return
    try {
      if (s.entries.length === 0) deps.storage?.removeItem(HISTORY_STORAGE_KEY)
      else deps.storage?.setItem(HISTORY_STORAGE_KEY, JSON.stringify(s.entries))
    } catch {
      // Storage full or disabled: the history still works for this page, it just does not survive a reload.
    }
  })
  return store
}

/** Every turn trace the turn store gets (new or updated) goes into the history; returns the unsubscribe. */
export function followTurns(
  history: Pick<HistoryState, 'ingest'>,
  turns: { getState(): { turns: TurnTrace[]; mainOffset: OffsetEstimate | null }; subscribe(l: (s: { turns: TurnTrace[]; mainOffset: OffsetEstimate | null }, prev: { turns: TurnTrace[] }) => void): () => void }
): () => void {
  return turns.subscribe((s, prev) => {
    if (s.turns === prev.turns) return
    const before = new Set(prev.turns)
    for (const trace of s.turns) if (!before.has(trace)) history.ingest(trace, s.mainOffset)
  })
}

/** The window's history, kept in this tab's sessionStorage. */
export const useHistoryStore = createHistoryStore({ storage: typeof sessionStorage === 'undefined' ? null : sessionStorage, now: Date.now })

import { describe, expect, it } from 'vitest'
import { createStore } from 'zustand/vanilla'
import { TYPED_TURN_NOTE } from '../../../../../src/shared/contract/signaling'
import type { OffsetEstimate } from '../../../../../src/shared/latency/clockOffset'
import type { TurnTrace } from '../../../../../src/shared/latency/trace'
import {
  createHistoryStore,
  entryLatency,
  sendTypedTurn,
  followTurns,
  HISTORY_STORAGE_KEY,
  historyAfterTrace,
  loadHistory,
  MAX_HISTORY,
  visibleNotes,
  type HistoryStorage
} from '../../../../../src/renderer/src/stores/historyStore'

const offset: OffsetEstimate = { offsetMs: 3, rttMs: 1, errorBoundMs: 0.5, samples: 5 }
const trace = (turnId: string, patch: Partial<TurnTrace> = {}): TurnTrace => ({ turnId, status: 'running', marks: [{ name: 'end_of_utterance', at: 100, clock: 'backend' }], ...patch })

/** sessionStorage as a Map, as the tab keeps it across a reload. */
function memoryStorage(): HistoryStorage & { data: Map<string, string> } {
  const data = new Map<string, string>()
  return { data, getItem: (k) => data.get(k) ?? null, setItem: (k, v) => void data.set(k, v), removeItem: (k) => void data.delete(k) }
}

describe('history entries from turn traces (pure)', () => {
  it('a spoken turn streams in: transcript first, then the reply and its status; failover notes shown, routine ones not', () => {
    let h = historyAfterTrace([], trace('t1', { transcript: 'what time is it', notes: ['turn committed by the app\'s VAD'] }), offset, 50)
    expect(h).toEqual([expect.objectContaining({ turnId: 't1', typed: false, user: 'what time is it', assistant: null, status: 'running', notes: [], at: 50, mainOffset: offset })])
    h = historyAfterTrace(h, trace('t1', { status: 'done', transcript: 'what time is it', reply: 'It is noon.', notes: ['LLM: api.openai.com failed: HTTP 401 — using Embedded skills'] }), offset, 90)
    expect(h).toHaveLength(1)
    expect(h[0]).toMatchObject({ assistant: 'It is noon.', status: 'done', notes: ['LLM: api.openai.com failed: HTTP 401 — using Embedded skills'], at: 50 })
  })

  it('the renderer\'s own early marks of a turn are not an entry yet; a typed trace is marked typed', () => {
    const early = trace('r-u1', { marks: [{ name: 'speech_end_mic', at: 1, clock: 'renderer' }] })
    expect(historyAfterTrace([], early, null, 0)).toEqual([])
    const typed = historyAfterTrace([], trace('x1', { transcript: 'hello', notes: [TYPED_TURN_NOTE] }), null, 0)
    expect(typed[0]).toMatchObject({ typed: true, notes: [] })
    expect(visibleNotes([TYPED_TURN_NOTE, 'reply started after a pause, before end_of_utterance', 'TTS failed over'])).toEqual(['TTS failed over'])
  })

  it('keeps the last MAX_HISTORY turns', () => {
    let h: ReturnType<typeof historyAfterTrace> = []
    for (let i = 0; i < MAX_HISTORY + 5; i++) h = historyAfterTrace(h, trace(`t${i}`, { transcript: `q${i}` }), null, i)
    expect(h).toHaveLength(MAX_HISTORY)
    expect(h[0]!.turnId).toBe('t5')
  })
})

describe('history store', () => {
  it('a typed turn shows at once as sending, then follows its trace; a failed send says why', () => {
    const h = createHistoryStore({ storage: null, now: () => 7 })
    h.getState().addTyped('x1', 'what is 12 times 7')
    expect(h.getState().entries[0]).toMatchObject({ turnId: 'x1', typed: true, user: 'what is 12 times 7', status: 'sending', trace: null })
    h.getState().ingest(trace('x1', { transcript: 'what is 12 times 7', notes: [TYPED_TURN_NOTE] }), offset)
    expect(h.getState().entries[0]).toMatchObject({ typed: true, status: 'running', trace: expect.objectContaining({ turnId: 'x1' }) })
    h.getState().addTyped('x2', 'hello')
    h.getState().typedFailed('x2', 'Not connected to the assistant yet')
    expect(h.getState().entries[1]).toMatchObject({ status: 'failed', error: 'Not connected to the assistant yet' })
  })

  it('survives a reload of the window within the session (storage), and clearing empties it there too', () => {
    const storage = memoryStorage()
    const first = createHistoryStore({ storage, now: () => 1 })
    first.getState().ingest(trace('t1', { status: 'done', transcript: 'hi', reply: 'Hello!' }), offset)
    first.getState().ingest(trace('t2', { transcript: 'and then' }), offset)
    first.getState().addTyped('x3', 'never sent')
    const reloaded = createHistoryStore({ storage, now: () => 2 })
    expect(reloaded.getState().entries.map((e) => [e.turnId, e.status, e.user, e.assistant])).toEqual([
      ['t1', 'done', 'hi', 'Hello!'],
      ['t2', 'cancelled', 'and then', null], // nobody will finish it now
      ['x3', 'failed', 'never sent', null]
    ])
    expect(reloaded.getState().entries[0]!.trace?.marks).toHaveLength(1)
    reloaded.getState().clear()
    expect(storage.data.has(HISTORY_STORAGE_KEY)).toBe(false)
    expect(createHistoryStore({ storage, now: () => 3 }).getState().entries).toEqual([])
  })

  it('stored data that does not parse is dropped entry by entry, never shown; unreadable JSON is an empty history', () => {
    const storage = memoryStorage()
    storage.setItem(HISTORY_STORAGE_KEY, JSON.stringify([{ turnId: 'ok', typed: false, user: 'a', assistant: 'b', status: 'done', notes: [], at: 1, trace: null, mainOffset: null, error: null }, { turnId: 5 }, 'junk']))
    expect(loadHistory(storage).map((e) => e.turnId)).toEqual(['ok'])
    storage.setItem(HISTORY_STORAGE_KEY, '{not json')
    expect(loadHistory(storage)).toEqual([])
    expect(loadHistory(null)).toEqual([])
  })

  it('follows the turn store: new and updated traces go in, unchanged ones are not ingested again', () => {
    const h = createHistoryStore({ storage: null, now: () => 0 })
    const turns = createStore<{ turns: TurnTrace[]; mainOffset: OffsetEstimate | null }>(() => ({ turns: [], mainOffset: offset }))
    const ingested: string[] = []
    const off = followTurns({ ingest: (t, o) => (ingested.push(t.turnId), h.getState().ingest(t, o)) }, turns)
    const a = trace('a', { transcript: 'one' })
    turns.setState({ turns: [a] })
    turns.setState({ turns: [a, trace('b', { transcript: 'two' })] })
    expect(ingested).toEqual(['a', 'b'])
    expect(h.getState().entries.map((e) => e.user)).toEqual(['one', 'two'])
    off()
  })
})

describe('latency chip and typed send', () => {
  it('the chip shows e2e_latency with the client marks, the backend\'s figure for a typed turn, nothing before a reply', () => {
    const marks = (names: Array<[TurnTrace['marks'][number]['name'], number, TurnTrace['marks'][number]['clock']]>) => names.map(([name, at, clock]) => ({ name, at, clock }))
    const spoken = trace('t', { status: 'done', marks: marks([['speech_end_mic', 1000, 'renderer'], ['end_of_utterance', 1200, 'renderer'], ['reply_sent', 1500, 'renderer'], ['playout', 1600, 'renderer']]) })
    expect(entryLatency({ trace: spoken, mainOffset: null })).toEqual({ ms: 600, verdict: 'ok', label: '600 ms voice to voice (budget 800 ms): open the waterfall' })
    const typed = trace('x', { status: 'done', notes: [TYPED_TURN_NOTE], marks: marks([['end_of_utterance', 1000, 'renderer'], ['transcript', 1000, 'renderer'], ['first_sentence', 1300, 'renderer'], ['tts_first_audio', 1500, 'renderer'], ['playout', 1900, 'renderer']]) })
    expect(entryLatency({ trace: typed, mainOffset: null })).toMatchObject({ ms: 900, verdict: 'over', label: expect.stringMatching(/from send to first sound/) })
    expect(entryLatency({ trace: trace('r', { transcript: 'x' }), mainOffset: null })).toBeNull()
    expect(entryLatency({ trace: null, mainOffset: null })).toBeNull()
  })

  it('sends the trimmed text with a new turn id, shown at once; a failure marks the entry with the reason; blank sends nothing', async () => {
    const h = createHistoryStore({ storage: null, now: () => 0 })
    const sent: Array<[string, string]> = []
    let ok = true
    const deps = {
      history: h.getState(),
      conversation: { sendTyped: async (text: string, id: string) => (sent.push([text, id]), ok), getError: () => 'Not connected to the assistant yet' },
      newTurnId: () => `typed-${sent.length + 1}`
    }
    expect(await sendTypedTurn('   ', deps)).toBe(false)
    expect(await sendTypedTurn('  what is 12 times 7 ', deps)).toBe(true)
    expect(sent).toEqual([['what is 12 times 7', 'typed-1']])
    expect(h.getState().entries[0]).toMatchObject({ turnId: 'typed-1', status: 'sending', user: 'what is 12 times 7' })
    ok = false
    expect(await sendTypedTurn('again', deps)).toBe(false)
    expect(h.getState().entries[1]).toMatchObject({ status: 'failed', error: 'Not connected to the assistant yet' })
  })
})

import type React from 'react'
import { useEffect, useRef } from 'react'
import { entryLatency, useHistoryStore, type HistoryEntry } from '../stores/historyStore'
import { useAssistantStore } from '../stores/assistantStore'

const STATUS_WORDS: Partial<Record<HistoryEntry['status'], string>> = { cancelled: 'interrupted', failed: 'failed', sending: 'sending…' }

/** The session's conversation: your turns and the assistant's, as they arrive, each answer with its latency chip. */
export function HistoryList(): React.JSX.Element {
  const entries = useHistoryStore((s) => s.entries)
  const activity = useAssistantStore((s) => s.status.activity)
  const { clear, openLatency } = useHistoryStore.getState()
  const box = useRef<HTMLElement>(null)
  const last = entries.at(-1)
  // Follow the conversation as it grows (new turns, a reply arriving), as a chat does; only the list scrolls.
  useEffect(() => {
    if (box.current) box.current.scrollTop = box.current.scrollHeight
  }, [entries.length, last?.assistant, last?.user])
  return (
    <section ref={box} className="history" aria-labelledby="history-title" data-testid="history">
      <div className="history-head">
        <h2 id="history-title">Conversation</h2>
        <button type="button" className="quiet" onClick={clear} disabled={entries.length === 0} data-testid="history-clear">
          Clear
        </button>
      </div>
      {entries.length === 0 ? (
        <p className="history-empty" data-testid="history-empty">
          What you say and what the assistant answers shows here. It stays on this computer and is forgotten when the window closes.
        </p>
      ) : (
        <ol className="history-list" aria-live="polite">
          {entries.map((e, i) => (
            <Turn key={e.turnId} entry={e} current={i === entries.length - 1} activity={activity} onLatency={() => openLatency(e.turnId)} />
          ))}
        </ol>
      )}
    </section>
  )
}

function Turn({ entry, current, activity, onLatency }: { entry: HistoryEntry; current: boolean; activity: string; onLatency: () => void }): React.JSX.Element {
  const latency = entryLatency(entry)
  const waiting = entry.status === 'running' && !entry.assistant
  const status = STATUS_WORDS[entry.status]
  return (
    <li className="turn" data-testid="history-turn" data-turn={entry.turnId} data-status={entry.status} data-typed={entry.typed ? 'true' : 'false'}>
      <div className="bubble user">
        <span className="who">
          You
          {entry.typed && (
            <span className="typed-badge" title="Typed: no speech recognition">
              typed
            </span>
          )}
        </span>
        <p className="said">{entry.user ?? <span className="pending">transcribing…</span>}</p>
        {entry.error && (
          <p className="turn-error" role="alert">
            Not sent: {entry.error}
          </p>
        )}
      </div>
      {(entry.assistant || waiting || entry.status !== 'sending') && !entry.error && (
        <div className="bubble assistant">
          <span className="who">
            Assistant
            {status && <span className={`turn-status s-${entry.status}`}>{status}</span>}
          </span>
          <p className="said">
            {entry.assistant ?? (waiting ? <span className="pending">{current && activity === 'speaking' ? 'speaking…' : 'thinking…'}</span> : <span className="pending">no reply</span>)}
          </p>
          {entry.notes.map((note, i) => (
            <p key={i} className="turn-note" role="note">
              {note}
            </p>
          ))}
          {latency && (
            <button type="button" className={`latency-chip v-${latency.verdict}`} onClick={onLatency} aria-label={latency.label} title={latency.label} data-testid="latency-chip">
              {latency.ms} ms
            </button>
          )}
        </div>
      )}
    </li>
  )
}

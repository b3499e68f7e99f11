import type React from 'react'
import { useEffect, useRef } from 'react'
import { useDiagnosticsStore } from '../stores/diagnosticsStore'

/**
 * "Copy diagnostics": one text block for a bug report (versions, settings without secrets, backend state, the
 * recent turns' latency, the log's last lines), made on this computer and put on the clipboard; "Copied" says it
 * worked. If the browser refuses the clipboard, the text is shown selected so Ctrl+C copies it.
 */
export function CopyDiagnostics(): React.JSX.Element {
  const phase = useDiagnosticsStore((s) => s.phase)
  const text = useDiagnosticsStore((s) => s.text)
  const error = useDiagnosticsStore((s) => s.error)
  const { copy, dismiss } = useDiagnosticsStore.getState()
  const area = useRef<HTMLTextAreaElement>(null)
  useEffect(() => {
    if (phase !== 'manual' || !area.current) return
    area.current.focus()
    area.current.select()
  }, [phase])
  return (
    <section className="copy-diagnostics" data-testid="copy-diagnostics" aria-label="Diagnostics for a bug report">
      <div className="copy-diagnostics-row">
        <button type="button" className="primary" onClick={() => void copy()} disabled={phase === 'copying'} data-testid="copy-diagnostics-button">
          {phase === 'copying' ? 'Copying…' : 'Copy diagnostics'}
        </button>
        <span className="copy-diagnostics-status" role="status" aria-live="polite" data-testid="copy-diagnostics-status" data-phase={phase}>
          {phase === 'copied' ? '✓ Copied: paste it into your bug report.' : phase === 'idle' || phase === 'copying' ? 'Versions, settings without keys or tokens, backend state, the last turns\u2019 timings and log lines. Nothing is sent anywhere.' : ''}
        </span>
      </div>
      {phase === 'error' && (
        <p className="copy-diagnostics-error" role="alert" data-testid="copy-diagnostics-error">
          {error}{' '}
          <button type="button" className="quiet" onClick={dismiss}>
            Dismiss
          </button>
        </p>
      )}
      {phase === 'manual' && text !== null && (
        <div className="copy-diagnostics-manual">
          <label htmlFor="diagnostics-text">The clipboard was refused here: the text is selected below, press Ctrl+C (⌘C) to copy it.</label>
          <textarea id="diagnostics-text" ref={area} readOnly value={text} rows={12} spellCheck={false} onFocus={(e) => e.currentTarget.select()} data-testid="copy-diagnostics-text" />
          <button type="button" className="quiet" onClick={dismiss}>
            Close
          </button>
        </div>
      )}
    </section>
  )
}

import type React from 'react'
import type { VadEvent } from '../../../shared/contract/voice'
import { useAppStore } from '../stores/appStore'
import { useLocalVoiceStore } from '../stores/localVoiceStore'

function describe(e: VadEvent): string {
  switch (e.type) {
    case 'speech_start':
      return `speech started at ${(e.startMs / 1000).toFixed(2)} s`
    case 'speech_end':
      return `speech ended at ${(e.endMs / 1000).toFixed(2)} s (speculative)`
    case 'speech_resume':
      return 'speech resumed (same utterance)'
    case 'end_of_utterance':
      return `end of utterance ${(e.startMs / 1000).toFixed(2)}–${(e.endMs / 1000).toFixed(2)} s, end_of_utterance_delay ${Math.round(e.endOfUtteranceDelayMs)} ms`
  }
}

/**
 * Local voice: hands-free listening through the capture tap into the main process's Silero VAD, with the
 * endpointing events it sends back (the window attaches the store at start: it follows the talk key while this
 * panel is not shown). Minimal on purpose; the full listening settings live in the settings dialog.
 */
export function LocalVoicePanel(): React.JSX.Element {
  const ready = useAppStore((s) => s.settings !== null)
  const { listening, error, status, events, speaking, start, stop } = useLocalVoiceStore()


  return (
    <section className="card" aria-labelledby="local-voice-title" data-testid="local-voice-panel">
      <div className="card-head">
        <h2 id="local-voice-title">Local voice detection</h2>
        <span className={`pill ${speaking ? 'pill-ok' : ''}`} data-testid="vad-state">
          {!listening ? 'off' : speaking ? 'speech' : status?.state === 'loading' ? 'loading' : 'listening'}
        </span>
      </div>
      <p className="subtle small" data-testid="vad-status">
        {status?.state === 'error' ? status.detail : `Silero VAD in the app · ${status?.frames ?? 0} frames`}
      </p>
      <div className="row spread">
        {listening ? (
          <button type="button" onClick={() => stop()} data-testid="vad-stop">
            Stop listening
          </button>
        ) : (
          <button type="button" className="primary" disabled={!ready} onClick={() => void start()} data-testid="vad-start">
            Start listening (hands-free)
          </button>
        )}
      </div>
      {error && (
        <p className="detail detail-error" data-testid="vad-error">
          {error}
        </p>
      )}
      <ol className="small" data-testid="vad-events">
        {events.map((e, i) => (
          <li key={`${e.utteranceId}-${e.type}-${i}`} data-event={e.type} data-utterance={e.utteranceId}>
            #{e.utteranceId} {describe(e)}
          </li>
        ))}
      </ol>
    </section>
  )
}

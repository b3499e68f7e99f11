import type React from 'react'
import type { SessionPipelineName } from '../../../shared/contract/signaling'
import type { ConversationState } from '../media/conversationConnection'
import { useAppStore } from '../stores/appStore'
import { useConversationStore } from '../stores/conversationStore'
import { StatusDot, type Tone } from './StatusDot'

const tone: Record<ConversationState['phase'], Tone> = { connecting: 'busy', connected: 'ok', reconnecting: 'busy', closed: 'off', failed: 'error' }

/**
 * Diagnostics: the conversation's media connection (it connects by itself; this shows it), the pipeline it runs
 * (development pipelines echo and click beside the voice assistant) and a way to stop and start it.
 */
export function ConnectionPanel(): React.JSX.Element {
  const backend = useAppStore((s) => s.backend)
  const { status: state, live, error, pipeline, pushToTalk, wanted, connecting, setPipeline, connect, disconnect } = useConversationStore()
  return (
    <section className="card" aria-labelledby="connection-title" data-testid="conversation-panel">
      <div className="card-head">
        <h2 id="connection-title">Conversation connection</h2>
        <StatusDot tone={state ? tone[state.phase] : connecting ? 'busy' : 'off'} label={state?.phase ?? (connecting ? 'connecting' : 'not connected')} />
      </div>
      <dl className="facts">
        <dt>Media</dt>
        <dd data-testid="conversation-media">{state ? `send ${state.sendState}, receive ${state.recvState}` : '—'}</dd>
        <dt>Mode</dt>
        <dd>{pushToTalk ? 'push to talk (the mic is paused until you talk)' : 'hands-free (local voice detection leads)'}</dd>
        <dt>Recovered</dt>
        <dd>{state ? `${state.signalingReconnects} reconnect(s), ${state.iceRestarts} ICE restart(s), ${state.sessionRebuilds} rebuild(s)` : '—'}</dd>
        <dt>Backfill</dt>
        <dd>{state ? (state.backfillAvailable ? `${state.backfilledFrames} frame(s) re-sent after outages` : 'not available in this browser') : '—'}</dd>
      </dl>
      {state?.detail && <p className="detail">{state.detail}</p>}
      {error && (
        <p className="detail detail-error" data-testid="conversation-panel-error">
          {error}
        </p>
      )}
      <div className="row">
        <label className="field">
          <span>Pipeline</span>
          <select value={pipeline} onChange={(e) => setPipeline(e.target.value as SessionPipelineName)} data-testid="conversation-pipeline">
            <option value="voice">Voice assistant (STT → LLM → TTS)</option>
            <option value="echo">Echo (plays your utterance back)</option>
            <option value="click">Click (latency probe)</option>
          </select>
        </label>
        {live || connecting ? (
          <button type="button" onClick={disconnect} data-testid="conversation-disconnect">
            Disconnect
          </button>
        ) : (
          <button type="button" className="primary" disabled={!backend?.signalingUrl || backend.state !== 'ready'} onClick={() => void connect()} data-testid="conversation-connect">
            {wanted ? 'Connect now' : 'Connect'}
          </button>
        )}
      </div>
      <p className="small subtle">The conversation connects by itself at launch, after a failure and after the computer wakes; Disconnect keeps it off until Connect.</p>
    </section>
  )
}

import type React from 'react'
import { useEffect } from 'react'
import type { SessionPipelineName } from '../../../shared/contract/signaling'
import type { ConversationState } from '../media/conversationConnection'
import { useAppStore } from '../stores/appStore'
import { useConversationStore } from '../stores/conversationStore'
import { StatusDot, type Tone } from './StatusDot'

const tone: Record<ConversationState['phase'], Tone> = { connecting: 'busy', connected: 'ok', reconnecting: 'busy', closed: 'off', failed: 'error' }

/**
 * The conversation's media connection: connect the mic to the backend over WebRTC, hear the reply, hold to talk.
 * Development pipelines (echo, click) are selectable beside the voice assistant. The connection and the mic belong
 * to the conversation store; this panel shows them and plays the reply.
 */
export function ConversationPanel(): React.JSX.Element {
  const backend = useAppStore((s) => s.backend)
  const hasAudioSettings = useAppStore((s) => !!s.settings?.audio)
  const { status: state, live, error, pipeline, pushToTalk, setPipeline, setPushToTalk, connect, disconnect, talk, setReplyElement } = useConversationStore()
  useEffect(() => () => useConversationStore.getState().disconnect(), [])

  return (
    <section className="card" aria-labelledby="conversation-title" data-testid="conversation-panel">
      <div className="card-head">
        <h2 id="conversation-title">Conversation</h2>
        <StatusDot tone={state ? tone[state.phase] : 'off'} label={state?.phase ?? 'not connected'} />
      </div>
      <audio ref={setReplyElement} autoPlay data-testid="conversation-reply" />
      <dl className="facts">
        <dt>Media</dt>
        <dd data-testid="conversation-media">{state ? `send ${state.sendState}, receive ${state.recvState}` : '—'}</dd>
        <dt>Recovered</dt>
        <dd>{state ? `${state.signalingReconnects} reconnect(s), ${state.iceRestarts} ICE restart(s)` : '—'}</dd>
      </dl>
      {state?.detail && <p className="detail">{state.detail}</p>}
      {error && (
        <p className="detail detail-error" data-testid="conversation-error">
          {error}
        </p>
      )}
      <div className="row">
        <label className="field">
          <span>Pipeline</span>
          <select value={pipeline} disabled={live} onChange={(e) => setPipeline(e.target.value as SessionPipelineName)} data-testid="conversation-pipeline">
            <option value="voice">Voice assistant (STT → LLM → TTS)</option>
            <option value="echo">Echo (plays your utterance back)</option>
            <option value="click">Click (latency probe)</option>
          </select>
        </label>
        <label className="toggle">
          <input type="checkbox" checked={pushToTalk} disabled={live} onChange={(e) => setPushToTalk(e.target.checked)} />
          Push to talk
        </label>
      </div>
      <div className="row">
        {live ? (
          <button type="button" onClick={disconnect} data-testid="conversation-disconnect">
            Disconnect
          </button>
        ) : (
          <button type="button" className="primary" disabled={!backend?.signalingUrl || backend.state !== 'ready' || !hasAudioSettings} onClick={() => void connect()} data-testid="conversation-connect">
            Connect
          </button>
        )}
        {live && pushToTalk && (
          <button type="button" onPointerDown={() => talk(true)} onPointerUp={() => talk(false)} onPointerLeave={() => state?.talking && talk(false)} data-testid="conversation-talk">
            {state?.talking ? 'Talking…' : 'Hold to talk'}
          </button>
        )}
      </div>
    </section>
  )
}

import type React from 'react'
import { useEffect, useRef, useState } from 'react'
import type { SessionPipelineName } from '../../../shared/contract/signaling'
import { micConstraints } from '../media/micMeter'
import { ConversationConnection, type ConversationState } from '../media/webrtcSession'
import { startVoiceTurns, type VoiceTurns } from '../media/voiceTurns'
import { useLocalVoiceStore } from './LocalVoicePanel'
import { useAppStore } from '../stores/appStore'
import { useAssistantStore } from '../stores/assistantStore'
import { StatusDot, type Tone } from './StatusDot'

const tone: Record<ConversationState['phase'], Tone> = { connecting: 'busy', connected: 'ok', reconnecting: 'busy', closed: 'off', failed: 'error' }

/**
 * The conversation's media connection: connect the mic to the backend over WebRTC, hear the reply, hold to talk.
 * Development pipelines (echo, click) are selectable until the voice loop exists.
 */
export function ConversationPanel(): React.JSX.Element {
  const backend = useAppStore((s) => s.backend)
  const audio = useAppStore((s) => s.settings?.audio)
  const [state, setState] = useState<ConversationState | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [pipeline, setPipeline] = useState<SessionPipelineName>('voice')
  const [pushToTalk, setPushToTalk] = useState(false)
  const conn = useRef<ConversationConnection | null>(null)
  /** The backend the live connection joined; a session lives on one backend only. */
  const joinedUrl = useRef<string | null>(null)
  const stream = useRef<MediaStream | null>(null)
  const audioEl = useRef<HTMLAudioElement>(null)

  const stopMic = (): void => {
    for (const t of stream.current?.getTracks() ?? []) t.stop()
    stream.current = null
  }
  const voice = useRef<VoiceTurns | null>(null)
  const disconnect = (): void => {
    voice.current?.stop()
    voice.current = null
    conn.current?.close()
    conn.current = null
    joinedUrl.current = null
    stopMic()
  }
  useEffect(() => disconnect, [])

  // Device hot-swap and processing changes: reopen the mic and swap the track on the live producer.
  useEffect(() => {
    if (!conn.current || !audio) return
    let cancelled = false
    void navigator.mediaDevices.getUserMedia(micConstraints(audio)).then(
      async (next) => {
        if (cancelled || !conn.current) return next.getTracks().forEach((t) => t.stop())
        await conn.current.replaceTrack(next.getAudioTracks()[0]!)
        stopMic()
        stream.current = next
      },
      (e: unknown) => setError(`Could not switch microphone: ${(e as Error).message}`)
    )
    return () => {
      cancelled = true
    }
  }, [audio?.inputDeviceId, audio?.echoCancellation, audio?.noiseSuppression, audio?.autoGainControl])

  const connect = async (): Promise<void> => {
    if (!backend?.signalingUrl || !audio) return
    setError(null)
    disconnect()
    try {
      stream.current = await navigator.mediaDevices.getUserMedia(micConstraints(audio))
      const api = useAppStore.getState().api
      // Voice: the app's local VAD (main process) leads turn detection; start it if the user has not.
      if (pipeline === 'voice' && api && !useLocalVoiceStore.getState().listening) await useLocalVoiceStore.getState().start()
      conn.current = await ConversationConnection.open({
        signalingUrl: backend.signalingUrl,
        track: stream.current.getAudioTracks()[0]!,
        pipeline,
        startPaused: pushToTalk,
        audioElement: audioEl.current ?? undefined,
        onState: setState,
        onJoined: ({ sessionId, token }) => {
          if (pipeline === 'voice' && api) void api.observeConversation({ sessionId, token }).catch((e: unknown) => setError(`Voice loop not observed: ${(e as Error).message}`))
        },
        onNotification: (note) => {
          voice.current?.onNotification(note)
          useAssistantStore.getState().onSessionNotification(note)
        }
      })
      joinedUrl.current = backend.signalingUrl
      if (pipeline === 'voice' && api) {
        voice.current = startVoiceTurns({ api, conn: conn.current, micTrack: stream.current.getAudioTracks()[0] ?? null })
        ;(window as unknown as { voiceTurnsDebug?: unknown }).voiceTurnsDebug = voice.current.debug
      }
      setState(conn.current.state)
    } catch (e) {
      disconnect()
      setError(`Could not connect: ${(e as Error).message}`)
    }
  }

  // The app moved to another backend (failover to the next-nearest server, or a settings change): the session stayed
  // on the old one, so join the new backend instead of retrying the old URL.
  useEffect(() => {
    if (conn.current && joinedUrl.current && backend?.state === 'ready' && backend.signalingUrl && backend.signalingUrl !== joinedUrl.current) void connect()
  }, [backend?.state, backend?.signalingUrl])

  const live = state && state.phase !== 'closed' && state.phase !== 'failed' && conn.current
  // Tray, hotkeys and the status pill follow this connection through the assistant store.
  useEffect(() => useAssistantStore.getState().attachConversation(live ? conn.current : null, state), [state, live])
  const talk = (on: boolean): void => {
    if (conn.current && pushToTalk) void conn.current.setTalking(on).catch((e: unknown) => setError((e as Error).message))
  }

  return (
    <section className="card" aria-labelledby="conversation-title" data-testid="conversation-panel">
      <div className="card-head">
        <h2 id="conversation-title">Conversation</h2>
        <StatusDot tone={state ? tone[state.phase] : 'off'} label={state?.phase ?? 'not connected'} />
      </div>
      <audio ref={audioEl} autoPlay data-testid="conversation-reply" />
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
          <select value={pipeline} disabled={!!live} onChange={(e) => setPipeline(e.target.value as SessionPipelineName)} data-testid="conversation-pipeline">
            <option value="voice">Voice assistant (STT → LLM → TTS)</option>
            <option value="echo">Echo (plays your utterance back)</option>
            <option value="click">Click (latency probe)</option>
          </select>
        </label>
        <label className="toggle">
          <input type="checkbox" checked={pushToTalk} disabled={!!live} onChange={(e) => setPushToTalk(e.target.checked)} />
          Push to talk
        </label>
      </div>
      <div className="row">
        {live ? (
          <button type="button" onClick={() => { disconnect(); setState(null) }} data-testid="conversation-disconnect">
            Disconnect
          </button>
        ) : (
          <button type="button" className="primary" disabled={!backend?.signalingUrl || backend.state !== 'ready' || !audio} onClick={() => void connect()} data-testid="conversation-connect">
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

import type { HandlersFor } from '../../shared/contract/dispatch'
import { ContractError } from '../../shared/contract/errors'
import { TURN_TRACE_NOTIFICATION, VOICE_NOTICE_NOTIFICATION, type signalingMethods } from '../../shared/contract/signaling'
import type { SignalingConnection } from '../signalingServer'
import type { SessionManager } from '../sessions/sessionManager'
import type { ProviderAuthority } from '../auth/providerAuthority'
import type { VoiceRuntime } from './voiceRuntime'

type ObserveHandler = HandlersFor<typeof signalingMethods, SignalingConnection>['observeSession']
type TypedTurnHandler = HandlersFor<typeof signalingMethods, SignalingConnection>['typedTurn']

/**
 * `observeSession`: a connection holding a session's token (the app's main process, told by its renderer) receives
 * the session's turn traces and voice notices, and may set the voice pipeline's providers — as far as the backend's
 * provider authority allows (auth/providerAuthority.ts): a refused provider refuses the call before anything is
 * configured or contacted. The token check is the same as resume's, so an unknown session and a wrong token look
 * alike. Observing ends when the connection closes.
 */
export function createObserveSessionHandler(manager: SessionManager, voiceRuntime: VoiceRuntime, authority: ProviderAuthority): ObserveHandler {
  const watching = new Map<string, () => void>() // `${connId}:${sessionId}` → unsubscribe
  return async ({ sessionId, token, voice: requested }, conn) => {
    const session = manager.resumable(sessionId, token)
    const handle = voiceRuntime.session(sessionId)
    if (!handle) {
      if (requested) throw new ContractError('conflict', `session ${sessionId} runs the ${session.pipelineName} pipeline, not voice`)
      return { pipeline: session.pipelineName, providers: null }
    }
    const voice = requested ? await authority.resolve(requested) : undefined
    const key = `${conn.id}:${sessionId}`
    if (!watching.has(key)) {
      const stops = [handle.on('turnTrace', (trace) => conn.notify(TURN_TRACE_NOTIFICATION, trace)), handle.on('notice', (notice) => conn.notify(VOICE_NOTICE_NOTIFICATION, notice))]
      const unsubscribe = (): void => {
        for (const stop of stops) stop()
        watching.delete(key)
      }
      watching.set(key, unsubscribe)
      conn.onClose(unsubscribe)
      session.onClose(unsubscribe)
    }
    const providers = voice ? handle.configure(voice) : handle.labels
    return { pipeline: session.pipelineName, providers }
  }
}

/**
 * `typedTurn`: text typed in the window becomes a turn of the session's voice loop (LLM → TTS, no STT). Any
 * connection holding the session's token may send it, as for observeSession; a session of another pipeline is a
 * conflict.
 */
export function createTypedTurnHandler(manager: SessionManager, voiceRuntime: VoiceRuntime): TypedTurnHandler {
  return ({ sessionId, token, text, turnId }) => {
    const session = manager.resumable(sessionId, token)
    const handle = voiceRuntime.session(sessionId)
    if (!handle) throw new ContractError('conflict', `session ${sessionId} runs the ${session.pipelineName} pipeline, not voice: typed turns need the voice pipeline`)
    return { turnId: handle.typedTurn(text, turnId) }
  }
}

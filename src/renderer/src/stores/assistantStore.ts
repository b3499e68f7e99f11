import { useEffect } from 'react'
import { create } from 'zustand'
import type { AssistantStatus, UserCommand, VoiceApi } from '../../../shared/contract/api'
import type { SessionNotification } from '../../../shared/contract/signaling'
import { useLocalVoiceStore } from './localVoiceStore'
import type { ConversationConnection, ConversationState } from '../media/conversationConnection'
import { blockRms } from '../../../shared/voice/audioLevel'
import {
  deriveAssistantActivity,
  INITIAL_TURN,
  nextActivityDeadline,
  turnAfter,
  turnEventFromNotification,
  turnEventFromReplyLevel,
  REPLY_AUDIBLE_RMS,
  type AssistantInputs,
  type TurnEvent,
  type TurnState
} from './assistantActivity'

/**
 * "What the assistant is doing" for the WebRTC conversation, owned by the window (it has the mic and the speaker):
 * carries out userCommand from the tray and the global hotkeys (start/stop listening = resume/pause the mic
 * producer, mute), follows the conversation (conversationStore attaches it), the backend's turn
 * notifications and the level of the reply being played, and reports activity + mute through reportAssistantStatus so the tray icon and
 * the status pill follow. The decisions are in assistantActivity.ts (pure).
 */
export interface AssistantState {
  status: AssistantStatus
  conversationLive: boolean
  /** The producer is sending (from the connection's state). */
  micOpen: boolean
  /** The user wants the mic open (kept while muted, so unmuting reopens it). */
  listenRequested: boolean
  micMuted: boolean
  turn: TurnState
  /** The last command that could not be carried out, and why. */
  error: string | null
  /** From conversationStore: the live connection and its state (null when disconnected). */
  attachConversation(conn: ConversationConnection | null, state: ConversationState | null): void
  onSessionNotification(note: SessionNotification): void
  handleCommand(command: UserCommand['command']): Promise<void>
}

const inputs = (s: AssistantState): AssistantInputs => ({
  conversationLive: s.conversationLive,
  micOpen: s.micOpen,
  localCapture: useLocalVoiceStore.getState().listening,
  micMuted: s.micMuted,
  turn: s.turn,
  now: Date.now()
})

export const useAssistantStore = create<AssistantState>((set, get) => {
  let connection: ConversationConnection | null = null
  let stopReplyMeter: (() => void) | null = null
  /** The local capture was running when the user muted: unmuting restarts it. */
  let localWasListening = false
  const setTalking = async (talking: boolean): Promise<void> => {
    if (!connection || connection.state.talking === talking) return
    try {
      await connection.setTalking(talking)
      set({ error: null })
    } catch (error) {
      set({ error: `Could not ${talking ? 'open' : 'close'} the microphone: ${(error as Error).message}` })
    }
  }
  return {
    status: { activity: 'idle', micMuted: false },
    conversationLive: false,
    micOpen: false,
    listenRequested: false,
    micMuted: false,
    turn: INITIAL_TURN,
    error: null,

    attachConversation(conn, state) {
      const live = !!conn && !!state && (state.phase === 'connected' || state.phase === 'reconnecting')
      if (conn !== connection) {
        connection = conn
        stopReplyMeter?.()
        stopReplyMeter = conn ? startReplyMeter(conn) : null
        set({ turn: turnAfter(get().turn, { type: 'reset', at: Date.now() }) })
        // A new connection while muted starts closed, whatever it was opened with.
        if (conn && get().micMuted && state?.talking) void setTalking(false)
      }
      const talking = live && !!state?.talking
      set({ conversationLive: live, micOpen: talking, ...(get().micMuted ? {} : { listenRequested: talking }) })
    },

    onSessionNotification(note) {
      const event = turnEventFromNotification(note, Date.now())
      if (event) applyTurnEvent(event)
    },

    async handleCommand(command) {
      switch (command) {
        case 'startListening':
          set({ listenRequested: true })
          if (!get().micMuted) await setTalking(true)
          return
        case 'stopListening':
          set({ listenRequested: false })
          await setTalking(false)
          return
        case 'toggleMute': {
          const micMuted = !get().micMuted
          set({ micMuted })
          if (micMuted) {
            // Nothing is heard while muted: the conversation's producer pauses and the local capture stops.
            localWasListening = useLocalVoiceStore.getState().listening
            if (localWasListening) useLocalVoiceStore.getState().stop()
            await setTalking(false)
          } else {
            if (localWasListening) void useLocalVoiceStore.getState().start()
            localWasListening = false
            if (get().listenRequested) await setTalking(true)
          }
          return
        }
        case 'toggleLatencyOverlay':
        case 'openSettings':
          return // App.tsx flips the overlay setting; the settings page opens itself (SettingsPanel)
      }
    }
  }
})

const REPLY_METER_POLL_MS = 50

/** Polls the level of the reply stream being played: "speaking" is while the user hears the reply. */
function startReplyMeter(conn: ConversationConnection): () => void {
  let ctx: AudioContext
  let analyser: AnalyserNode
  try {
    ctx = new AudioContext()
    analyser = ctx.createAnalyser()
    analyser.fftSize = 512
    ctx.createMediaStreamSource(conn.replyStream).connect(analyser)
  } catch (error) {
    useAssistantStore.setState({ error: `Reply level meter unavailable: ${(error as Error).message}` })
    return () => undefined
  }
  const samples = new Float32Array(analyser.fftSize)
  let lastAudibleAt: number | null = null
  const timer = setInterval(() => {
    analyser.getFloatTimeDomainData(samples)
    const rms = blockRms(samples)
    const now = Date.now()
    const event = turnEventFromReplyLevel(useAssistantStore.getState().turn, { rms, lastAudibleAt }, now)
    if (rms >= REPLY_AUDIBLE_RMS) lastAudibleAt = now
    if (event) applyTurnEvent(event)
  }, REPLY_METER_POLL_MS)
  return () => {
    clearInterval(timer)
    void ctx.close().catch(() => undefined)
  }
}

function applyTurnEvent(event: TurnEvent): void {
  const s = useAssistantStore.getState()
  const turn = turnAfter(s.turn, event)
  if (turn !== s.turn) useAssistantStore.setState({ turn })
}

/**
 * Wire the store to the services while `api` exists: userCommand events in, status reports out.
 * Only the main window does this (not the status pill window, which shows the status).
 */
export function useAssistantBridge(api: VoiceApi | null, enabled: boolean): void {
  useEffect(() => {
    if (!api || !enabled) return
    let deadlineTimer: ReturnType<typeof setTimeout> | null = null
    /** Recompute the status; on change, keep it and report it to the services (tray, status pill). */
    const refresh = (): void => {
      const s = useAssistantStore.getState()
      const input = inputs(s)
      const status: AssistantStatus = { activity: deriveAssistantActivity(input), micMuted: s.micMuted }
      if (deadlineTimer) clearTimeout(deadlineTimer)
      const deadline = nextActivityDeadline(input)
      deadlineTimer = deadline === null ? null : setTimeout(refresh, Math.max(0, deadline - Date.now()) + 1)
      if (status.activity === s.status.activity && status.micMuted === s.status.micMuted) return
      useAssistantStore.setState({ status })
      void api.reportAssistantStatus(status).catch((error: unknown) => useAssistantStore.setState({ error: `Could not report status: ${(error as Error).message}` }))
    }
    const offs = [
      api.on('userCommand', ({ command }) => void useAssistantStore.getState().handleCommand(command)),
      useAssistantStore.subscribe(refresh),
      useLocalVoiceStore.subscribe((s, prev) => {
        if (s.listening !== prev.listening) refresh()
      })
    ]
    // The services may hold a status from before this page loaded (a reload): bring them in line.
    const s = useAssistantStore.getState()
    const status: AssistantStatus = { activity: deriveAssistantActivity(inputs(s)), micMuted: s.micMuted }
    useAssistantStore.setState({ status })
    void api.reportAssistantStatus(status).catch(() => undefined)
    return () => {
      offs.forEach((off) => off())
      if (deadlineTimer) clearTimeout(deadlineTimer)
    }
  }, [api, enabled])
}

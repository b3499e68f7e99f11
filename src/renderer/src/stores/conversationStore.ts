import { create, type StoreApi, type UseBoundStore } from 'zustand'
import type { BackendStatus, VoiceApi } from '../../../shared/contract/api'
import type { Settings } from '../../../shared/contract/settings'
import type { SessionNotification, SessionPipelineName } from '../../../shared/contract/signaling'
import { ConversationConnection, type ConversationOptions, type ConversationState } from '../media/conversationConnection'
import { micConstraints } from '../media/micMeter'
import { startVoiceTurns, type VoiceTurns } from '../media/voiceTurns'
import { useAppStore } from './appStore'
import { useAssistantStore } from './assistantStore'
import { useLocalVoiceStore } from './localVoiceStore'

/**
 * The conversation: the mic, its WebRTC connection to the backend and, for the voice pipeline, the renderer's part of
 * the voice loop (voiceTurns). One owner for their lifecycle: connect opens the mic and joins a session, disconnect
 * ends both; while connected, a changed input device or processing choice swaps the mic track on the live producer,
 * and a move to another backend (failover to the next-nearest server, or a settings change) joins the new backend,
 * since a session lives on one backend only. Tray, hotkeys and the status pill follow the live connection through
 * the assistant store. Push-to-talk follows the settings' listening mode (the producer starts paused and the talk
 * key, button or command line opens it); hands-free keeps it open with the local VAD leading. The connection is made
 * by autoConnect.ts (at launch, after a failure, after a wake from sleep); Diagnostics shows this and can stop it.
 * Typed turns (the window's text box) go to the same session: the voice loop answers them without STT.
 */
export interface ConversationStoreState {
  /** The connection's state; null when not connected (never, or after Disconnect). */
  status: ConversationState | null
  /** A connection is open and not closed or failed. */
  live: boolean
  /** The last thing that went wrong (connect, switching the mic, a typed turn). */
  error: string | null
  pipeline: SessionPipelineName
  /** The live connection's mode: push-to-talk (the producer starts paused; the talk key opens it) or hands-free. */
  pushToTalk: boolean
  /** The user wants the conversation (auto-connect keeps it up); false after Disconnect until Connect. */
  wanted: boolean
  /** A connect is under way. */
  connecting: boolean
  /** Diagnostics: another pipeline (echo, click) for the next connection; a live one is joined again with it. */
  setPipeline(pipeline: SessionPipelineName): void
  /** Open the mic and join a session on the current backend (a live connection is closed first). */
  connect(): Promise<void>
  /** End the conversation and keep it ended (no auto-connect) until connect. */
  disconnect(): void
  /**
   * Send a typed turn on the live session (voice pipeline): `turnId` names it for the history and the trace.
   * Resolves false, with `error` set, when it could not be sent.
   */
  sendTyped(text: string, turnId: string): Promise<boolean>
  /** The element that plays the reply (the panel's <audio>); used by the next connect. */
  setReplyElement(element: HTMLAudioElement | null): void
}

/** What the store uses of a connection (ConversationConnection; a fake in tests). */
export interface ConversationLink {
  readonly state: ConversationState
  setTalking(talking: boolean): Promise<void>
  replaceTrack(track: MediaStreamTrack): Promise<void>
  typedTurn(text: string, turnId: string): Promise<void>
  close(): void
}

/** The app state the conversation follows. */
export interface ConversationAppState {
  api: VoiceApi | null
  backend: BackendStatus | null
  settings: Settings | null
}

/** Everything with I/O the store drives, injected so its transitions are tested with fakes. */
export interface ConversationPorts<C extends ConversationLink> {
  app: Pick<StoreApi<ConversationAppState>, 'getState' | 'subscribe'>
  /** The mic with the user's device and processing choices. */
  openMic(audio: Settings['audio']): Promise<MediaStream>
  openConnection(opts: ConversationOptions): Promise<C>
  /** The voice pipeline's local VAD (main process) leads turn detection: start it unless it runs. */
  ensureLocalVoice(): Promise<void>
  startVoiceTurns(api: VoiceApi, conn: C, micTrack: MediaStreamTrack | null): VoiceTurns
  /** The live connection (null: none) and its state, for the tray, hotkeys and status pill. */
  followConversation(conn: C | null, status: ConversationState | null): void
  onSessionNotification(note: SessionNotification): void
}

const audioKeys = ['inputDeviceId', 'echoCancellation', 'noiseSuppression', 'autoGainControl'] as const

export function createConversationStore<C extends ConversationLink>(ports: ConversationPorts<C>): UseBoundStore<StoreApi<ConversationStoreState>> {
  // The live resources: owned here, closed by teardown().
  let conn: C | null = null
  let mic: MediaStream | null = null
  let voice: VoiceTurns | null = null
  /** The backend the live connection joined; a session lives on one backend only. */
  let joinedUrl: string | null = null
  let replyElement: HTMLAudioElement | null = null
  /**
   * Bumped by every teardown: a connect still opening when the conversation was ended (or connected again) closes
   * what it opened, and state reports of an earlier connection are ignored.
   */
  let attempt = 0
  /** Each mic switch supersedes the one before (a slow getUserMedia must not win over a later choice). */
  let micSwitch = 0

  const store = create<ConversationStoreState>((set, get) => {
    const isLive = (status: ConversationState | null): boolean => !!status && status.phase !== 'closed' && status.phase !== 'failed' && conn !== null
    const setStatus = (status: ConversationState | null): void => set({ status, live: isLive(status) })
    const stopMic = (): void => {
      if (mic) stopTracks(mic)
      mic = null
    }
    const teardown = (): void => {
      voice?.stop()
      voice = null
      conn?.close()
      conn = null
      joinedUrl = null
      stopMic()
      attempt++
      set({ live: false, connecting: false })
    }

    return {
      status: null,
      live: false,
      error: null,
      pipeline: 'voice',
      pushToTalk: true,
      wanted: true,
      connecting: false,

      setPipeline: (pipeline) => {
        if (pipeline === get().pipeline) return
        set({ pipeline })
        if (conn) void get().connect()
      },
      setReplyElement: (element) => {
        replyElement = element
      },

      async connect() {
        const { backend, settings, api } = ports.app.getState()
        const signalingUrl = backend?.signalingUrl
        set({ wanted: true })
        if (!signalingUrl || !settings) return
        const { pipeline } = get()
        const pushToTalk = settings.listening.mode === 'push-to-talk'
        set({ error: null })
        teardown()
        set({ connecting: true, pushToTalk })
        const mine = attempt
        const superseded = (): boolean => mine !== attempt
        try {
          const stream = await ports.openMic(settings.audio)
          if (superseded()) return stopTracks(stream)
          mic = stream
          const track = stream.getAudioTracks()[0]!
          // Hands-free: the local VAD hears everything and leads turn detection. Push-to-talk: the talk key starts it
          // with the producer (userCommand startListening), so nothing is heard before the key.
          if (pipeline === 'voice' && api && !pushToTalk) await ports.ensureLocalVoice()
          if (superseded()) return
          const opened = await ports.openConnection({
            signalingUrl,
            track,
            pipeline,
            startPaused: pushToTalk,
            audioElement: replyElement ?? undefined,
            onState: (status) => {
              if (mine === attempt) setStatus(status)
            },
            onJoined: ({ sessionId, token }) => {
              if (pipeline === 'voice' && api) void api.observeConversation({ sessionId, token }).catch((e: unknown) => set({ error: `Voice loop not observed: ${(e as Error).message}` }))
            },
            onNotification: (note) => {
              voice?.onNotification(note)
              ports.onSessionNotification(note)
            }
          })
          if (superseded()) return opened.close()
          conn = opened
          joinedUrl = signalingUrl
          if (pipeline === 'voice' && api) voice = ports.startVoiceTurns(api, opened, track)
          set({ connecting: false })
          setStatus(opened.state)
        } catch (e) {
          if (superseded()) return
          teardown()
          set({ error: `Could not connect: ${(e as Error).message}` })
        }
      },

      disconnect() {
        teardown()
        set({ wanted: false })
        setStatus(null)
      },

      async sendTyped(text, turnId) {
        const live = conn
        if (!live || !get().live) {
          set({ error: 'Not connected to the assistant yet: the message was not sent.' })
          return false
        }
        if (get().pipeline !== 'voice') {
          set({ error: `Typed messages need the voice pipeline (this conversation runs ${get().pipeline}).` })
          return false
        }
        try {
          await live.typedTurn(text, turnId)
          return true
        } catch (e) {
          set({ error: `Message not sent: ${(e as Error).message}` })
          return false
        }
      }
    }
  })

  // Tray, hotkeys and the status pill follow this connection through the assistant store.
  store.subscribe((s, prev) => {
    if (s.status !== prev.status || s.live !== prev.live) ports.followConversation(s.live ? conn : null, s.status)
  })

  ports.app.subscribe((app, prev) => {
    // Device hot-swap and processing changes: reopen the mic and swap the track on the live producer.
    const audio = app.settings?.audio
    const before = prev.settings?.audio
    if (audio && audioKeys.some((k) => audio[k] !== before?.[k])) {
      const mine = ++micSwitch
      if (conn) void switchMic(audio, mine)
    }
    // Push-to-talk ↔ hands-free: the producer and the local VAD start differently, so join again in the new mode.
    if (conn && app.settings && prev.settings && app.settings.listening.mode !== prev.settings.listening.mode) {
      void store.getState().connect()
      return
    }
    // The app moved to another backend: the session stayed on the old one, so join the new backend instead of
    // retrying the old URL.
    const { backend } = app
    if ((backend?.state !== prev.backend?.state || backend?.signalingUrl !== prev.backend?.signalingUrl) && conn && joinedUrl && backend?.state === 'ready' && backend.signalingUrl && backend.signalingUrl !== joinedUrl) {
      void store.getState().connect()
    }
  })

  async function switchMic(audio: Settings['audio'], mine: number): Promise<void> {
    let next: MediaStream
    try {
      next = await ports.openMic(audio)
    } catch (e) {
      store.setState({ error: `Could not switch microphone: ${(e as Error).message}` })
      return
    }
    const live = conn
    if (mine !== micSwitch || !live) return stopTracks(next)
    try {
      await live.replaceTrack(next.getAudioTracks()[0]!)
    } catch (e) {
      stopTracks(next)
      store.setState({ error: `Could not switch microphone: ${(e as Error).message}` })
      return
    }
    if (conn !== live) return stopTracks(next) // ended meanwhile
    if (mic) stopTracks(mic)
    mic = next
  }

  return store
}

function stopTracks(stream: MediaStream): void {
  for (const t of stream.getTracks()) t.stop()
}

/** The window's conversation. */
export const useConversationStore = createConversationStore<ConversationConnection>({
  app: useAppStore,
  openMic: (audio) => navigator.mediaDevices.getUserMedia(micConstraints(audio)),
  openConnection: (opts) => ConversationConnection.open(opts),
  ensureLocalVoice: async () => {
    if (!useLocalVoiceStore.getState().listening) await useLocalVoiceStore.getState().start()
  },
  startVoiceTurns: (api, conn, micTrack) => {
    const voice = startVoiceTurns({ api, conn, micTrack })
    // Read by the voice-loop e2e tests and benches (turn marks, barge-in measurements, reply stats).
    ;(window as unknown as { voiceTurnsDebug?: unknown }).voiceTurnsDebug = voice.debug
    return voice
  },
  followConversation: (conn, status) => useAssistantStore.getState().attachConversation(conn, status),
  onSessionNotification: (note) => useAssistantStore.getState().onSessionNotification(note)
})

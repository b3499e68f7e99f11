import type { AssistantActivity } from '../../../shared/contract/api'
import type { SessionNotification } from '../../../shared/contract/signaling'

/**
 * What the assistant is doing, as a pure function of what the window knows: the conversation's mic producer (open
 * while push-to-talk is held or hands-free is on), the local capture, mute, and where the current voice turn is
 * (after the end of the user's utterance until the first reply audio: thinking; while reply audio plays: speaking).
 * No I/O: the store (assistantStore.ts) feeds it and reports the result; unit-tested with plain data and a fake clock.
 */

/** Where the current turn is, after the user stops talking. */
export type TurnPhase = 'none' | 'awaitingReply' | 'replying'
export interface TurnState {
  phase: TurnPhase
  /** When the phase began (ms, renderer clock). */
  since: number
}

export const INITIAL_TURN: TurnState = Object.freeze({ phase: 'none', since: 0 })

/**
 * A reply that never starts (no STT/LLM configured, the pipeline failed) must not leave the tray saying "Thinking"
 * forever; nor a lost replyEnd "Speaking". Both well above a real turn (budget 800 ms to first audio; replies are
 * seconds long).
 */
export const THINKING_TIMEOUT_MS = 20_000
export const SPEAKING_TIMEOUT_MS = 120_000

export type TurnEvent =
  /** The user's utterance ended (the backend's utteranceEnd; it hears the local VAD's end_of_utterance too). */
  | { type: 'endOfUtterance'; at: number }
  /** The user started (or resumed) speaking. */
  | { type: 'userSpeech'; at: number }
  /** Reply audio started (or resumed after a pause). */
  | { type: 'replyAudio'; at: number }
  /** The reply finished, was cancelled, or paused because the user spoke over it. */
  | { type: 'replyStopped'; at: number }
  /** The conversation was (re)connected or closed: no turn in flight. */
  | { type: 'reset'; at: number }

export function turnAfter(state: TurnState, event: TurnEvent): TurnState {
  switch (event.type) {
    case 'endOfUtterance':
      // A repeated end of the same utterance keeps the first time. During a reply the backend decides whether the
      // user is barging in (replyPaused / replyCancelled come first); until then the reply is what is going on.
      return state.phase === 'none' ? { phase: 'awaitingReply', since: event.at } : state
    case 'userSpeech':
      // Speaking again before the reply: the turn goes on (the backend restarts it). During a reply the backend
      // decides whether it is a barge-in (replyPaused/replyCancelled follow).
      return state.phase === 'awaitingReply' ? { phase: 'none', since: event.at } : state
    case 'replyAudio':
      return state.phase === 'replying' ? state : { phase: 'replying', since: event.at }
    case 'replyStopped':
      return state.phase === 'replying' ? { phase: 'none', since: event.at } : state
    case 'reset':
      return { phase: 'none', since: event.at }
  }
}

/** The backend's session notifications as turn events (null: not about the turn). */
export function turnEventFromNotification(note: Pick<SessionNotification, 'type'>, at: number): TurnEvent | null {
  switch (note.type) {
    case 'utteranceStart':
      return { type: 'userSpeech', at }
    case 'utteranceEnd':
      return { type: 'endOfUtterance', at }
    case 'replyStart':
    case 'replyResumed':
      return { type: 'replyAudio', at }
    case 'replyEnd':
    case 'replyCancelled':
    case 'replyPaused':
      return { type: 'replyStopped', at }
    case 'replyRevoked':
      // The user went on talking after a pause: the early reply is gone and the turn is open again.
      return { type: 'reset', at }
    default:
      return null
  }
}

/** Reply audio this loud (RMS, full scale 1) is audible; the reply meter polls the played stream. */
export const REPLY_AUDIBLE_RMS = 0.004
/** Silence this long after reply audio was heard ends "speaking" (gaps between sentences are shorter). */
export const REPLY_SILENCE_MS = 700

/**
 * The played reply's level as a turn event: audible → reply audio; silent for REPLY_SILENCE_MS after audio was
 * heard in this reply → reply stopped. This is what "speaking" means to the user, and it also ends replies of
 * pipelines that send no replyEnd (echo). `lastAudibleAt` is when the reply was last audible (null: never).
 */
export function turnEventFromReplyLevel(turn: TurnState, level: { rms: number; lastAudibleAt: number | null }, now: number): TurnEvent | null {
  if (level.rms >= REPLY_AUDIBLE_RMS) return turn.phase === 'replying' ? null : { type: 'replyAudio', at: now }
  const heard = level.lastAudibleAt !== null && level.lastAudibleAt >= turn.since
  if (turn.phase === 'replying' && heard && now - level.lastAudibleAt! >= REPLY_SILENCE_MS) return { type: 'replyStopped', at: now }
  return null
}

export interface AssistantInputs {
  /** The WebRTC conversation is up (connected, or recovering with its session). */
  conversationLive: boolean
  /** The conversation's mic producer is sending (push-to-talk held, or hands-free). */
  micOpen: boolean
  /** The local capture (mic → main-process VAD) is running. */
  localCapture: boolean
  micMuted: boolean
  turn: TurnState
  now: number
}

/** Speaking outranks thinking outranks listening: the tray shows the most important thing going on. */
export function deriveAssistantActivity(input: AssistantInputs): AssistantActivity {
  if (input.conversationLive) {
    const age = input.now - input.turn.since
    if (input.turn.phase === 'replying' && age < SPEAKING_TIMEOUT_MS) return 'speaking'
    if (input.turn.phase === 'awaitingReply' && age < THINKING_TIMEOUT_MS) return 'thinking'
  }
  if (input.micMuted) return 'idle'
  if ((input.conversationLive && input.micOpen) || input.localCapture) return 'listening'
  return 'idle'
}

/** When deriveAssistantActivity's answer changes by time alone (a timeout), or null. */
export function nextActivityDeadline(input: AssistantInputs): number | null {
  if (!input.conversationLive) return null
  if (input.turn.phase === 'replying') return input.turn.since + SPEAKING_TIMEOUT_MS
  if (input.turn.phase === 'awaitingReply') return input.turn.since + THINKING_TIMEOUT_MS
  return null
}

/** What the centre of the window shows: the activity, or why there is none (offline, still connecting). */
export type AssistantDisplayState = AssistantActivity | 'offline' | 'connecting'

export interface AssistantDisplayInputs {
  activity: AssistantActivity
  micMuted: boolean
  conversationLive: boolean
  /** The live connection lost its link and is recovering (signaling reconnect, ICE restart). */
  reconnecting: boolean
  /** A connect is under way (auto-connect). */
  connecting: boolean
  /** The app services' connection (browser mode: the api WebSocket) is open. */
  servicesOpen: boolean
  backendState: 'stopped' | 'starting' | 'ready' | 'error' | null
  /** Why the backend is not ready, in its own words. */
  backendDetail: string | null
  /** The user stopped the conversation in Diagnostics. */
  stopped: boolean
  pushToTalk: boolean
}

/** The state at the centre of the window, its one-word title and one line of what to do. Pure. */
export function assistantDisplay(i: AssistantDisplayInputs): { state: AssistantDisplayState; title: string; hint: string } {
  if (!i.servicesOpen) return { state: 'offline', title: 'Offline', hint: 'Reconnecting to the app services…' }
  if (i.stopped) return { state: 'offline', title: 'Paused', hint: 'The conversation was stopped in Diagnostics. Connect it again there.' }
  if (i.backendState === 'error') return { state: 'offline', title: 'Offline', hint: i.backendDetail ?? 'The assistant\u2019s backend stopped; the app restarts it.' }
  if (i.backendState === 'starting' || i.backendState === 'stopped') {
    // The backend is (re)starting: whatever the old connection says, nothing answers until it is back.
    return i.backendState === 'starting' ? { state: 'connecting', title: 'Connecting…', hint: 'Starting the assistant…' } : { state: 'offline', title: 'Offline', hint: i.backendDetail ?? 'The assistant\u2019s backend is not running.' }
  }
  if (i.conversationLive && i.reconnecting) return { state: 'connecting', title: 'Reconnecting…', hint: 'The link dropped; what you say is kept and sent when it is back' }
  if (!i.conversationLive) {
    if (i.connecting || i.backendState === 'ready') return { state: 'connecting', title: 'Connecting…', hint: 'Joining the assistant…' }
    return { state: 'offline', title: 'Offline', hint: i.backendDetail ?? 'The assistant\u2019s backend is not running.' }
  }
  switch (i.activity) {
    case 'listening':
      return { state: 'listening', title: 'Listening…', hint: i.pushToTalk ? 'Release to send · Esc to cancel' : 'Speak; a pause ends your turn' }
    case 'thinking':
      return { state: 'thinking', title: 'Thinking…', hint: 'Working on the answer' }
    case 'speaking':
      return { state: 'speaking', title: 'Speaking…', hint: 'Talk to interrupt' }
    case 'idle':
      if (i.micMuted) return { state: 'idle', title: 'Muted', hint: 'The microphone is muted (tray or hotkey)' }
      return { state: 'idle', title: 'Ready', hint: i.pushToTalk ? 'Hold Space or the button to talk · Enter starts and stops' : 'Press Enter or the button to listen hands-free' }
  }
}

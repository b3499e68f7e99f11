import { describe, expect, it } from 'vitest'
import {
  assistantDisplay,
  deriveAssistantActivity,
  INITIAL_TURN,
  nextActivityDeadline,
  SPEAKING_TIMEOUT_MS,
  THINKING_TIMEOUT_MS,
  turnAfter,
  turnEventFromNotification,
  turnEventFromReplyLevel,
  REPLY_SILENCE_MS,
  type AssistantInputs,
  type TurnEvent,
  type TurnState
} from '../../../../../src/renderer/src/stores/assistantActivity'

const base: AssistantInputs = { conversationLive: true, micOpen: false, localCapture: false, micMuted: false, turn: INITIAL_TURN, now: 0 }
const run = (events: TurnEvent[], from: TurnState = INITIAL_TURN): TurnState => events.reduce(turnAfter, from)

describe('assistant activity (what the tray, status pill and window show)', () => {
  it('push-to-talk: idle → listening while held → thinking after end of utterance → speaking with the reply → back', () => {
    // Fake clock: ms since the key went down.
    expect(deriveAssistantActivity({ ...base, now: 0 })).toBe('idle')
    expect(deriveAssistantActivity({ ...base, micOpen: true, now: 10 })).toBe('listening')
    let turn = run([{ type: 'userSpeech', at: 100 }, { type: 'endOfUtterance', at: 1500 }])
    // Key released: the producer is paused, the turn is in flight.
    expect(deriveAssistantActivity({ ...base, turn, now: 1600 })).toBe('thinking')
    // The backend's utteranceEnd for the same utterance does not restart the thinking clock.
    turn = turnAfter(turn, { type: 'endOfUtterance', at: 1700 })
    expect(turn.since).toBe(1500)
    turn = turnAfter(turn, { type: 'replyAudio', at: 2100 })
    expect(deriveAssistantActivity({ ...base, turn, now: 2200 })).toBe('speaking')
    turn = turnAfter(turn, { type: 'replyStopped', at: 5000 })
    expect(deriveAssistantActivity({ ...base, turn, now: 5001 })).toBe('idle')
  })

  it('hands-free: listening between turns; speaking and thinking outrank listening', () => {
    const open = { ...base, micOpen: true }
    expect(deriveAssistantActivity(open)).toBe('listening')
    expect(deriveAssistantActivity({ ...open, turn: { phase: 'awaitingReply', since: 0 }, now: 300 })).toBe('thinking')
    expect(deriveAssistantActivity({ ...open, turn: { phase: 'replying', since: 0 }, now: 300 })).toBe('speaking')
    expect(deriveAssistantActivity({ ...open, turn: { phase: 'none', since: 0 }, now: 300 })).toBe('listening')
  })

  it('muted: not listening, whatever the producer or local capture say; a reply still shows as speaking', () => {
    expect(deriveAssistantActivity({ ...base, micOpen: true, micMuted: true })).toBe('idle')
    expect(deriveAssistantActivity({ ...base, localCapture: true, micMuted: true })).toBe('idle')
    expect(deriveAssistantActivity({ ...base, micMuted: true, turn: { phase: 'replying', since: 0 }, now: 1 })).toBe('speaking')
  })

  it('without a conversation: local capture counts as listening; a stale turn and a paused producer do not count', () => {
    const offline = { ...base, conversationLive: false }
    expect(deriveAssistantActivity({ ...offline, localCapture: true })).toBe('listening')
    expect(deriveAssistantActivity({ ...offline, micOpen: true })).toBe('idle')
    expect(deriveAssistantActivity({ ...offline, turn: { phase: 'awaitingReply', since: 0 }, now: 10 })).toBe('idle')
    expect(nextActivityDeadline({ ...offline, turn: { phase: 'awaitingReply', since: 0 } })).toBeNull()
  })

  it('a reply that never comes stops showing "thinking" after the timeout; a lost replyEnd stops "speaking"', () => {
    const thinking = { ...base, micOpen: true, turn: { phase: 'awaitingReply' as const, since: 1000 } }
    expect(nextActivityDeadline(thinking)).toBe(1000 + THINKING_TIMEOUT_MS)
    expect(deriveAssistantActivity({ ...thinking, now: 1000 + THINKING_TIMEOUT_MS - 1 })).toBe('thinking')
    expect(deriveAssistantActivity({ ...thinking, now: 1000 + THINKING_TIMEOUT_MS })).toBe('listening')
    const speaking = { ...base, turn: { phase: 'replying' as const, since: 0 } }
    expect(nextActivityDeadline(speaking)).toBe(SPEAKING_TIMEOUT_MS)
    expect(deriveAssistantActivity({ ...speaking, now: SPEAKING_TIMEOUT_MS })).toBe('idle')
    expect(nextActivityDeadline(base)).toBeNull()
  })

  it('turn transitions: speaking again before the reply cancels thinking; barge-in pause stops speaking; resume restarts it', () => {
    expect(run([{ type: 'endOfUtterance', at: 1 }, { type: 'userSpeech', at: 2 }])).toEqual({ phase: 'none', since: 2 })
    // User speech during a reply: the backend decides (replyPaused / replyCancelled follow).
    expect(run([{ type: 'replyAudio', at: 1 }, { type: 'userSpeech', at: 2 }])).toEqual({ phase: 'replying', since: 1 })
    expect(run([{ type: 'replyAudio', at: 1 }, { type: 'replyStopped', at: 3 }, { type: 'replyAudio', at: 4 }])).toEqual({ phase: 'replying', since: 4 })
    // A replyEnd for a reply that is not playing changes nothing (e.g. after a reset).
    expect(run([{ type: 'endOfUtterance', at: 1 }, { type: 'replyStopped', at: 2 }])).toEqual({ phase: 'awaitingReply', since: 1 })
    expect(run([{ type: 'replyAudio', at: 1 }, { type: 'reset', at: 9 }])).toEqual({ phase: 'none', since: 9 })
    // A late end of the utterance being answered (or the user's speech during the reply) does not end "speaking".
    expect(run([{ type: 'endOfUtterance', at: 1 }, { type: 'replyAudio', at: 2 }, { type: 'endOfUtterance', at: 3 }])).toEqual({ phase: 'replying', since: 2 })
  })

  it('reply level: audible audio starts speaking; silence after it was heard ends it, gaps between sentences do not', () => {
    const awaiting: TurnState = { phase: 'awaitingReply', since: 1000 }
    expect(turnEventFromReplyLevel(awaiting, { rms: 0.001, lastAudibleAt: null }, 1100)).toBeNull()
    expect(turnEventFromReplyLevel(awaiting, { rms: 0.05, lastAudibleAt: null }, 1200)).toEqual({ type: 'replyAudio', at: 1200 })
    const replying: TurnState = { phase: 'replying', since: 1200 }
    expect(turnEventFromReplyLevel(replying, { rms: 0.05, lastAudibleAt: 1200 }, 1250)).toBeNull()
    // A pause between sentences.
    expect(turnEventFromReplyLevel(replying, { rms: 0, lastAudibleAt: 2000 }, 2000 + REPLY_SILENCE_MS - 1)).toBeNull()
    expect(turnEventFromReplyLevel(replying, { rms: 0, lastAudibleAt: 2000 }, 2000 + REPLY_SILENCE_MS)).toEqual({ type: 'replyStopped', at: 2000 + REPLY_SILENCE_MS })
    // replyStart arrived before the first audio: silence from an older reply does not end this one.
    const announced: TurnState = { phase: 'replying', since: 5000 }
    expect(turnEventFromReplyLevel(announced, { rms: 0, lastAudibleAt: 2000 }, 6000)).toBeNull()
  })

  it('maps backend session notifications to turn events', () => {
    expect(turnEventFromNotification({ type: 'utteranceStart' }, 5)).toEqual({ type: 'userSpeech', at: 5 })
    expect(turnEventFromNotification({ type: 'utteranceEnd' }, 5)).toEqual({ type: 'endOfUtterance', at: 5 })
    for (const type of ['replyStart', 'replyResumed'] as const) expect(turnEventFromNotification({ type }, 5)).toEqual({ type: 'replyAudio', at: 5 })
    for (const type of ['replyEnd', 'replyCancelled', 'replyPaused'] as const) expect(turnEventFromNotification({ type }, 5)).toEqual({ type: 'replyStopped', at: 5 })
    expect(turnEventFromNotification({ type: 'onset' }, 5)).toBeNull()
  })
})

describe('assistantDisplay: the state at the centre of the window', () => {
  const base = { activity: 'idle' as const, micMuted: false, conversationLive: true, reconnecting: false, connecting: false, servicesOpen: true, backendState: 'ready' as const, backendDetail: null, stopped: false, pushToTalk: true }
  it('live: the activity with what to do next', () => {
    expect(assistantDisplay(base)).toEqual({ state: 'idle', title: 'Ready', hint: 'Hold Space or the button to talk · Enter starts and stops' })
    expect(assistantDisplay({ ...base, activity: 'listening' }).hint).toBe('Release to send · Esc to cancel')
    expect(assistantDisplay({ ...base, activity: 'listening', pushToTalk: false }).hint).toMatch(/a pause ends your turn/)
    expect(assistantDisplay({ ...base, activity: 'thinking' }).title).toBe('Thinking…')
    expect(assistantDisplay({ ...base, activity: 'speaking' }).hint).toBe('Talk to interrupt')
    expect(assistantDisplay({ ...base, micMuted: true }).title).toBe('Muted')
  })
  it('not live: connecting while the backend starts or a join runs; offline with the reason otherwise', () => {
    expect(assistantDisplay({ ...base, conversationLive: false, backendState: 'starting' })).toMatchObject({ state: 'connecting', hint: 'Starting the assistant…' })
    expect(assistantDisplay({ ...base, conversationLive: false, connecting: true })).toMatchObject({ state: 'connecting', hint: 'Joining the assistant…' })
    expect(assistantDisplay({ ...base, conversationLive: false, backendState: 'error', backendDetail: 'mediasoup worker not found' })).toEqual({ state: 'offline', title: 'Offline', hint: 'mediasoup worker not found' })
    expect(assistantDisplay({ ...base, conversationLive: false, backendState: 'stopped' })).toMatchObject({ state: 'offline' })
    expect(assistantDisplay({ ...base, servicesOpen: false })).toMatchObject({ state: 'offline', hint: 'Reconnecting to the app services…' })
    expect(assistantDisplay({ ...base, conversationLive: false, stopped: true })).toMatchObject({ state: 'offline', title: 'Paused' })
    // A live connection recovering, or a backend restarting under it: not "Ready".
    expect(assistantDisplay({ ...base, reconnecting: true })).toMatchObject({ state: 'connecting', title: 'Reconnecting…' })
    expect(assistantDisplay({ ...base, backendState: 'starting' })).toMatchObject({ state: 'connecting', hint: 'Starting the assistant…' })
    expect(assistantDisplay({ ...base, backendState: 'stopped' })).toMatchObject({ state: 'offline' })
  })
})

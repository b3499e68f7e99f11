/**
 * The listening coordinator: Idle → Listening → Processing, driven by the push-to-talk hotkey (hold or toggle),
 * hands-free VAD, and the pipeline finishing. Pure: time comes in with each input, effects come out, and the caller
 * runs a timer for `deadline`. Unit-tested with a fake clock.
 */

export type ListeningMode = 'hold' | 'toggle' | 'hands-free'
export type ListeningPhase = 'idle' | 'listening' | 'processing'

export interface PushToTalkConfig {
  mode: ListeningMode
  /**
   * Presses within this long after the last state change are ignored: key chatter, OS auto-repeat arriving as fresh
   * presses, and double-fired globalShortcut callbacks. 150 ms is below a deliberate double press (~250 ms).
   */
  debounceMs: number
  /** Hold mode: keep listening this long after key-up, so the last word's tail is not cut (people release early). */
  graceMs: number
  /** Hold mode: a press shorter than this is an accidental tap: listening is cancelled, nothing is processed. */
  minHoldMs: number
}

export const DEFAULT_PUSH_TO_TALK_CONFIG: PushToTalkConfig = Object.freeze({
  mode: 'hold',
  debounceMs: 150,
  graceMs: 300,
  minHoldMs: 200
})

export type PushToTalkInput =
  | { type: 'keyDown'; at: number }
  | { type: 'keyUp'; at: number }
  /** Toggle-mode press (globalShortcut gives presses only), or the UI's start/stop button. */
  | { type: 'toggle'; at: number }
  /** Hands-free: the VAD committed an utterance. */
  | { type: 'endOfUtterance'; at: number }
  /** The pipeline finished (or failed) with the utterance. */
  | { type: 'processingDone'; at: number }
  /** The timer for `deadline` fired. */
  | { type: 'tick'; at: number }
  | { type: 'cancel'; at: number }
  /**
   * Hands-free: whether the window's microphone is open, as its reported status says. The conversation opens the mic
   * when it connects in hands-free mode (no press started it) and the tray or mute can close it without the machine;
   * without this the machine sat idle under an open mic and the first "Stop listening" press only started it.
   */
  | { type: 'micReported'; open: boolean; at: number }

export type PushToTalkEffect =
  /** Open the capture (mic → VAD). */
  | 'startCapture'
  /** Close the capture and commit the utterance (flush the endpointer). */
  | 'commitUtterance'
  /** Close the capture and drop what was heard. */
  | 'cancelCapture'
  /** Stop the response in progress (the user spoke over it). */
  | 'interrupt'

export interface PushToTalkState {
  phase: ListeningPhase
  /** When the phase last changed (debounce reference). */
  changedAt: number
  /** Hold mode: when the key went down for this listening. */
  pressedAt: number | null
  /** Hold mode: key released, listening continues until this time (grace). */
  releaseAt: number | null
  /** Hands-free mode is armed (listening continues after each utterance is processed). */
  armed: boolean
}

export interface PushToTalkStep {
  state: PushToTalkState
  effects: PushToTalkEffect[]
  /** When to feed a `tick` (null = no timer needed). */
  deadline: number | null
}

export function initialPushToTalkState(): PushToTalkState {
  return { phase: 'idle', changedAt: Number.NEGATIVE_INFINITY, pressedAt: null, releaseAt: null, armed: false }
}

export function pushToTalkStep(state: PushToTalkState, input: PushToTalkInput, config: PushToTalkConfig = DEFAULT_PUSH_TO_TALK_CONFIG): PushToTalkStep {
  const effects: PushToTalkEffect[] = []
  const go = (next: Partial<PushToTalkState>, at: number): PushToTalkState => ({ ...state, ...next, changedAt: next.phase && next.phase !== state.phase ? at : state.changedAt })
  const debounced = (at: number): boolean => at - state.changedAt < config.debounceMs
  let next = state

  const startListening = (at: number, extra: Partial<PushToTalkState> = {}): void => {
    if (state.phase === 'processing') effects.push('interrupt')
    effects.push('startCapture')
    next = go({ phase: 'listening', pressedAt: null, releaseAt: null, ...extra }, at)
  }

  const toggle = (at: number): void => {
    if (debounced(at)) return
    if (state.phase === 'listening') {
      // Hands-free: turning listening off drops the half-heard utterance; toggle mode: the second press commits it.
      effects.push(config.mode === 'hands-free' ? 'cancelCapture' : 'commitUtterance')
      next = go({ phase: config.mode === 'hands-free' ? 'idle' : 'processing', armed: false, pressedAt: null, releaseAt: null }, at)
    } else if (state.phase === 'processing' && config.mode === 'hands-free' && state.armed) {
      // Hands-free and busy: the press disarms, so listening does not resume after this turn.
      next = { ...state, armed: false }
    } else startListening(at, { armed: config.mode === 'hands-free' })
  }

  switch (input.type) {
    case 'keyDown':
      if (config.mode === 'hold') {
        if (state.phase === 'listening') {
          // Auto-repeat while held, or pressed again during the grace period: keep listening.
          if (state.releaseAt !== null) next = { ...state, releaseAt: null }
        } else if (!debounced(input.at)) startListening(input.at, { pressedAt: input.at })
      } else toggle(input.at) // toggle and hands-free: a key press is a toggle (key-up is ignored)
      break
    case 'keyUp':
      if (config.mode !== 'hold' || state.phase !== 'listening' || state.pressedAt === null || state.releaseAt !== null) break
      if (input.at - state.pressedAt < config.minHoldMs) {
        effects.push('cancelCapture')
        next = go({ phase: 'idle', pressedAt: null, releaseAt: null }, input.at)
      } else next = { ...state, releaseAt: input.at + config.graceMs }
      break
    case 'toggle':
      toggle(input.at)
      break
    case 'endOfUtterance':
      if (config.mode === 'hands-free' && state.phase === 'listening') next = go({ phase: 'processing' }, input.at)
      break
    case 'processingDone':
      if (state.phase !== 'processing') break
      if (config.mode === 'hands-free' && state.armed) next = go({ phase: 'listening' }, input.at)
      else {
        // Hands-free, switched off during the turn: the mic stayed open for it, and closes now.
        if (config.mode === 'hands-free') effects.push('cancelCapture')
        next = go({ phase: 'idle' }, input.at)
      }
      break
    case 'tick':
      if (state.phase === 'listening' && state.releaseAt !== null && input.at >= state.releaseAt) {
        effects.push('commitUtterance')
        next = go({ phase: 'processing', pressedAt: null, releaseAt: null }, input.at)
      }
      break
    case 'micReported':
      // Follow the mic, never drive it (no effects). A close report is ignored right after a change of phase: it can
      // be the status from before the press that just opened the mic.
      if (config.mode !== 'hands-free') break
      if (input.open && state.phase === 'idle') next = go({ phase: 'listening', armed: true, pressedAt: null, releaseAt: null }, input.at)
      else if (!input.open && state.phase === 'listening' && !debounced(input.at)) next = go({ phase: 'idle', armed: false, pressedAt: null, releaseAt: null }, input.at)
      break
    case 'cancel':
      if (state.phase === 'listening') effects.push('cancelCapture')
      if (state.phase === 'processing') effects.push('interrupt')
      next = go({ phase: 'idle', pressedAt: null, releaseAt: null, armed: false }, input.at)
      break
  }
  return { state: next, effects, deadline: next.releaseAt }
}

/** A stateful wrapper for adapters: feed inputs, get effects; `deadline` says when to call tick. */
export class PushToTalkMachine {
  private current: PushToTalkState = initialPushToTalkState()
  constructor(public config: PushToTalkConfig = DEFAULT_PUSH_TO_TALK_CONFIG) {}
  get state(): PushToTalkState {
    return this.current
  }
  send(input: PushToTalkInput): PushToTalkStep {
    const step = pushToTalkStep(this.current, input, this.config)
    this.current = step.state
    return step
  }
}

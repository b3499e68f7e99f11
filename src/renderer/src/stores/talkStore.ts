import { create, type StoreApi, type UseBoundStore } from 'zustand'
import type { TalkCommand, TalkCommandResult } from '../../../shared/contract/talk'
import { useAppStore } from './appStore'
import { useConversationStore } from './conversationStore'

/**
 * The window's talk button, by pointer and by keyboard. It drives the same push-to-talk machine as the global talk
 * key and the command line (the main process's TalkController, through the `talkCommand` api), so a press here and a
 * key press there agree on what is going on, with the same rules (a tap shorter than 200 ms is no utterance, a
 * 300 ms grace keeps the last word). Held: talk-start on press, talk-stop on release. A quick click (shorter than
 * TAP_MS) latches instead: listening goes on until the next click, since a mouse user who clicks expects a toggle.
 * Enter toggles. Space held is hold-to-talk and the keyboard's auto-repeat is ignored. Hands-free (the conversation
 * listens by itself), a press of the button or Space toggles listening and its release does nothing.
 */

/** A release this soon after the press was a click, not a hold: keep listening (latched) until the next click. */
export const TAP_MS = 250

export interface TalkInputState {
  /** The button (or Space) is down. */
  held: boolean
  heldSince: number
  /** A click latched listening on; the next release ends it. */
  latched: boolean
  /** Hands-free: the press already toggled listening; its release sends nothing. */
  pressToggled: boolean
}
export const INITIAL_TALK_INPUT: TalkInputState = Object.freeze({ held: false, heldSince: 0, latched: false, pressToggled: false })

/**
 * `handsFree` on a press: the conversation listens by itself and the button reads "Stop listening" / "Start
 * listening", so a press is a toggle and its release nothing (holding means nothing there).
 */
export type TalkInput = { type: 'press'; at: number; handsFree?: boolean } | { type: 'release'; at: number } | { type: 'toggle' } | { type: 'cancel' } | { type: 'listeningEnded' }

/** Pure: the next input state and the talk commands to send. */
export function talkInputStep(state: TalkInputState, input: TalkInput): { state: TalkInputState; commands: TalkCommand[] } {
  switch (input.type) {
    case 'press':
      // A second press while held is a repeat (Space auto-repeat, a second pointer): nothing new.
      if (state.held) return { state, commands: [] }
      if (input.handsFree) return { state: { held: true, heldSince: input.at, latched: false, pressToggled: true }, commands: ['toggle'] }
      // talk-start while listening is a no-op for the machine; it is sent anyway so a latch is held on to.
      return { state: { ...state, held: true, heldSince: input.at, pressToggled: false }, commands: ['talk-start'] }
    case 'release': {
      if (!state.held) return { state, commands: [] }
      const released = { held: false, heldSince: state.heldSince, pressToggled: false }
      if (state.pressToggled) return { state: { ...released, latched: false }, commands: [] }
      if (!state.latched && input.at - state.heldSince < TAP_MS) return { state: { ...released, latched: true }, commands: [] }
      return { state: { ...released, latched: false }, commands: ['talk-stop'] }
    }
    case 'toggle':
      return { state: { ...state, latched: false }, commands: ['toggle'] }
    case 'cancel':
      // Drop what is being heard; a key still held sends nothing more when released.
      return { state: { held: false, heldSince: state.heldSince, latched: false, pressToggled: false }, commands: ['cancel'] }
    case 'listeningEnded':
      // The turn ended elsewhere (the global key, the command line, a tray menu): no latch is left behind.
      return { state: { ...state, latched: false }, commands: [] }
  }
}

/** Where a key event happened, as far as the talk keys care. */
export type KeyTarget = 'talk-button' | 'page' | 'editable' | 'control'

/** The focused element as a talk-key target: the talk button, the page (nothing focused), a text field, or another control. */
export function keyTargetOf(el: { tagName: string; isContentEditable?: boolean; dataset?: Record<string, string | undefined> } | null): KeyTarget {
  if (!el || el.tagName === 'BODY' || el.tagName === 'HTML') return 'page'
  if (el.dataset?.talkButton !== undefined) return 'talk-button'
  if (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.isContentEditable) return 'editable'
  return 'control'
}

export interface KeyLike {
  type: 'keydown' | 'keyup'
  key: string
  repeat: boolean
  altKey: boolean
  ctrlKey: boolean
  metaKey: boolean
  shiftKey: boolean
}

/**
 * What a key does to the talk button: Space down = press (repeats swallowed), Space up = release, Enter = toggle,
 * Escape = cancel (drop what is being heard; only while `listening`, so Escape stays free for everything else);
 * only on the button itself or on the page with nothing focused (never while typing in a field, never on another
 * control, never with a modifier: those are the user's shortcuts). `prevent`: keep the browser's default (scrolling
 * on Space, a click on a focused button) from happening too.
 */
export function talkKeyIntent(e: KeyLike, target: KeyTarget, listening = false): { input: 'press' | 'release' | 'toggle' | 'cancel' | null; prevent: boolean } {
  const none = { input: null, prevent: false }
  if (target === 'editable' || target === 'control') return none
  if (e.altKey || e.ctrlKey || e.metaKey) return none
  if (e.key === 'Escape') return e.type === 'keydown' && listening ? { input: 'cancel', prevent: true } : none
  if (e.key === ' ' || e.key === 'Spacebar') {
    if (e.type === 'keydown') return { input: e.repeat ? null : 'press', prevent: true }
    return { input: 'release', prevent: true }
  }
  if (e.key === 'Enter' && !e.shiftKey) {
    if (e.type === 'keydown') return { input: e.repeat ? null : 'toggle', prevent: true }
    return { input: null, prevent: true }
  }
  return none
}

export interface TalkState {
  input: TalkInputState
  /** The last command that failed, and why. */
  error: string | null
  press(): void
  release(): void
  toggle(): void
  cancel(): void
  /** The assistant stopped listening (reported by the assistant store). */
  listeningEnded(): void
}

export function createTalkStore(deps: { send(command: TalkCommand): Promise<TalkCommandResult>; now(): number; handsFree(): boolean }): UseBoundStore<StoreApi<TalkState>> {
  return create<TalkState>((set, get) => {
    const step = (input: TalkInput): void => {
      const { state, commands } = talkInputStep(get().input, input)
      set({ input: state })
      for (const command of commands) {
        void deps.send(command).then(
          () => set({ error: null }),
          (error: Error) => set({ error: `The talk button could not ${command === 'talk-stop' ? 'stop' : 'start'} listening: ${error.message}` })
        )
      }
    }
    return {
      input: INITIAL_TALK_INPUT,
      error: null,
      press: () => step({ type: 'press', at: deps.now(), handsFree: deps.handsFree() }),
      release: () => step({ type: 'release', at: deps.now() }),
      toggle: () => step({ type: 'toggle' }),
      cancel: () => step({ type: 'cancel' }),
      listeningEnded: () => step({ type: 'listeningEnded' })
    }
  })
}

/** The window's talk button: its commands go to the app services' push-to-talk machine. */
export const useTalkStore = createTalkStore({
  send: async (command) => {
    const api = useAppStore.getState().api
    if (!api) throw new Error('the app services are not connected')
    return api.talkCommand({ command })
  },
  now: () => performance.now(),
  handsFree: () => !useConversationStore.getState().pushToTalk
})

import type { StoreApi } from 'zustand'
import { backoffDelayMs, DEFAULT_BACKOFF, type BackoffPolicy } from '../../../shared/backoff'
import type { ConversationPhase } from '../media/conversationConnection'
import type { ConversationAppState, ConversationStoreState } from './conversationStore'

/**
 * The conversation connects by itself: at launch once the backend is ready, again after it failed or closed (with
 * backoff), and afresh after the machine woke from sleep (its sockets and ICE may be dead while they look open). The
 * user never presses Connect; Diagnostics → Disconnect stops it until Connect is pressed there. The decision is pure
 * (`decideAutoConnect`, tested with plain data); `startAutoConnect` only follows the stores and runs the timers.
 */

export interface AutoConnectInputs {
  /** The user has not stopped the conversation (Diagnostics → Disconnect). */
  wanted: boolean
  /** The backend is ready with a signaling URL, and the settings are loaded. */
  backendReady: boolean
  /** The connection's phase; null: there is none. */
  phase: ConversationPhase | null
  /** A connect is under way. */
  connecting: boolean
  /** Failed attempts in a row (reset once one connects). */
  failures: number
  /** When the last attempt started (ms). */
  lastAttemptAt: number | null
  now: number
}

export type AutoConnectDecision = { action: 'connect' } | { action: 'wait'; until: number } | { action: 'none' }

export function decideAutoConnect(i: AutoConnectInputs, backoff: BackoffPolicy = DEFAULT_BACKOFF, random: () => number = () => 0): AutoConnectDecision {
  if (!i.wanted || !i.backendReady || i.connecting) return { action: 'none' }
  // A live connection recovers by itself (signaling reconnect, ICE restart, session rebuild).
  if (i.phase === 'connecting' || i.phase === 'connected' || i.phase === 'reconnecting') return { action: 'none' }
  if (i.failures === 0 || i.lastAttemptAt === null) return { action: 'connect' }
  const until = i.lastAttemptAt + backoffDelayMs(i.failures - 1, backoff, random)
  return i.now >= until ? { action: 'connect' } : { action: 'wait', until }
}

/**
 * A periodic timer that fired much later than it was set for: the machine slept (or the page was frozen). 10 s of
 * slack: a busy 2-core machine delays timers by a few hundred ms, a sleep by minutes.
 */
export function wokeFromSleep(lastTickAt: number, now: number, intervalMs: number, slackMs = 10_000): boolean {
  return now - lastTickAt > intervalMs + slackMs
}

export const WAKE_CHECK_INTERVAL_MS = 5000

export interface AutoConnectDeps {
  app: Pick<StoreApi<ConversationAppState>, 'getState' | 'subscribe'>
  conversation: Pick<StoreApi<ConversationStoreState>, 'getState' | 'subscribe'>
  now(): number
  setTimer(fn: () => void, ms: number): unknown
  clearTimer(handle: unknown): void
  /** Calls `woke` when the machine comes back from sleep or the network comes back; returns the unsubscribe. */
  wakeSignals(woke: () => void): () => void
  backoff?: BackoffPolicy
}

/** Keep the conversation connected (see the module comment); returns the stop. */
export function startAutoConnect(deps: AutoConnectDeps): () => void {
  let failures = 0
  let lastAttemptAt: number | null = null
  let timer: unknown = null
  let stopped = false
  /** An attempt of ours has not settled: its outcome decides the next step (store updates meanwhile do not). */
  let inFlight = false
  const clear = (): void => {
    if (timer !== null) deps.clearTimer(timer)
    timer = null
  }
  const attempt = (): void => {
    lastAttemptAt = deps.now()
    inFlight = true
    void deps.conversation
      .getState()
      .connect()
      .then(() => {
        inFlight = false
        // Not live after the attempt: count it (the next one waits longer); live: start over.
        if (deps.conversation.getState().live) failures = 0
        else failures++
        evaluate()
      })
  }
  const evaluate = (): void => {
    if (stopped || inFlight) return
    const { backend, settings } = deps.app.getState()
    const c = deps.conversation.getState()
    if (c.live) failures = 0
    const decision = decideAutoConnect(
      {
        wanted: c.wanted,
        backendReady: backend?.state === 'ready' && !!backend.signalingUrl && settings !== null,
        // Not live (never connected, closed, failed, or torn down): there is no connection to recover.
        phase: c.live ? (c.status?.phase ?? null) : null,
        connecting: c.connecting,
        failures,
        lastAttemptAt,
        now: deps.now()
      },
      deps.backoff,
      Math.random
    )
    clear()
    if (decision.action === 'connect') attempt()
    else if (decision.action === 'wait') timer = deps.setTimer(evaluate, Math.max(0, decision.until - deps.now()))
  }
  const offs = [
    deps.app.subscribe((a, b) => {
      if (a.backend !== b.backend || a.settings !== b.settings) evaluate()
    }),
    deps.conversation.subscribe((a, b) => {
      if (a.wanted !== b.wanted || a.live !== b.live || a.connecting !== b.connecting || a.status?.phase !== b.status?.phase) evaluate()
    }),
    deps.wakeSignals(() => {
      const c = deps.conversation.getState()
      failures = 0
      lastAttemptAt = null
      // After a sleep the transports and the signaling socket may be dead while they look open: join afresh.
      if (c.wanted && c.live && !c.connecting) attempt()
      else evaluate()
    })
  ]
  evaluate()
  return () => {
    stopped = true
    clear()
    offs.forEach((off) => off())
  }
}

/** The browser's wake signals: a periodic timer that fired late (sleep), and the network coming back. */
export function browserWakeSignals(win: Window, now: () => number = Date.now): (woke: () => void) => () => void {
  return (woke) => {
    let last = now()
    const interval = win.setInterval(() => {
      const at = now()
      if (wokeFromSleep(last, at, WAKE_CHECK_INTERVAL_MS)) woke()
      last = at
    }, WAKE_CHECK_INTERVAL_MS)
    const online = (): void => woke()
    win.addEventListener('online', online)
    return () => {
      win.clearInterval(interval)
      win.removeEventListener('online', online)
    }
  }
}

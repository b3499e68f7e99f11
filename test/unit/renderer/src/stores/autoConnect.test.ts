import { describe, expect, it } from 'vitest'
import { createStore } from 'zustand/vanilla'
import type { BackendStatus } from '../../../../../src/shared/contract/api'
import { defaultSettings } from '../../../../../src/shared/contract/settings'
import { decideAutoConnect, startAutoConnect, wokeFromSleep, type AutoConnectInputs } from '../../../../../src/renderer/src/stores/autoConnect'
import type { ConversationAppState, ConversationStoreState } from '../../../../../src/renderer/src/stores/conversationStore'

const base: AutoConnectInputs = { wanted: true, backendReady: true, phase: null, connecting: false, failures: 0, lastAttemptAt: null, now: 1000 }
const noJitter = { baseMs: 250, maxMs: 10_000, jitter: 0 }

describe('decideAutoConnect (pure)', () => {
  it('connects at once when wanted, the backend is ready and there is no connection', () => {
    expect(decideAutoConnect(base)).toEqual({ action: 'connect' })
    expect(decideAutoConnect({ ...base, phase: 'failed' })).toEqual({ action: 'connect' })
    expect(decideAutoConnect({ ...base, phase: 'closed' })).toEqual({ action: 'connect' })
  })
  it('leaves it alone when not wanted, the backend is not ready, a connect runs, or a connection is up or recovering', () => {
    for (const i of [{ wanted: false }, { backendReady: false }, { connecting: true }, { phase: 'connected' as const }, { phase: 'reconnecting' as const }, { phase: 'connecting' as const }]) {
      expect(decideAutoConnect({ ...base, ...i }), JSON.stringify(i)).toEqual({ action: 'none' })
    }
  })
  it('after failures it waits with backoff: 250 ms, 500 ms, … capped at 10 s', () => {
    expect(decideAutoConnect({ ...base, failures: 1, lastAttemptAt: 1000 }, noJitter)).toEqual({ action: 'wait', until: 1250 })
    expect(decideAutoConnect({ ...base, failures: 3, lastAttemptAt: 1000, now: 1500 }, noJitter)).toEqual({ action: 'wait', until: 2000 })
    expect(decideAutoConnect({ ...base, failures: 20, lastAttemptAt: 1000, now: 1000 }, noJitter)).toEqual({ action: 'wait', until: 11_000 })
    expect(decideAutoConnect({ ...base, failures: 3, lastAttemptAt: 1000, now: 2000 }, noJitter)).toEqual({ action: 'connect' })
  })
})

describe('wokeFromSleep', () => {
  it('a 5 s timer that fires minutes late means a sleep; a busy machine\'s lateness does not', () => {
    expect(wokeFromSleep(0, 5_400, 5000)).toBe(false)
    expect(wokeFromSleep(0, 14_000, 5000)).toBe(false)
    expect(wokeFromSleep(0, 120_000, 5000)).toBe(true)
  })
})

const ready = (url = 'ws://a/signaling'): BackendStatus => ({ state: 'ready', kind: 'embedded', signalingUrl: url, detail: null, workers: 1, rttMs: 1, since: 0 })

function rig(opts: { failConnects?: number } = {}) {
  let now = 0
  const timers: Array<{ at: number; fn: () => void; id: number }> = []
  let nextId = 1
  let failLeft = opts.failConnects ?? 0
  let wake: (() => void) | null = null
  const app = createStore<ConversationAppState>(() => ({ api: null, backend: null, settings: defaultSettings() }))
  const connects: number[] = []
  const conversation = createStore<ConversationStoreState>((set) => ({
    status: null,
    live: false,
    error: null,
    pipeline: 'voice',
    pushToTalk: true,
    wanted: true,
    connecting: false,
    setPipeline: () => undefined,
    setReplyElement: () => undefined,
    disconnect: () => set({ wanted: false, live: false, status: null }),
    sendTyped: async () => true,
    connect: async () => {
      connects.push(now)
      set({ wanted: true, connecting: true })
      await Promise.resolve()
      if (failLeft > 0) {
        failLeft--
        set({ connecting: false, live: false, error: 'Could not connect: refused' })
      } else set({ connecting: false, live: true, status: { phase: 'connected' } as ConversationStoreState['status'] })
    }
  }))
  const stop = startAutoConnect({
    app,
    conversation,
    now: () => now,
    setTimer: (fn, ms) => {
      const id = nextId++
      timers.push({ at: now + ms, fn, id })
      return id
    },
    clearTimer: (id) => {
      const i = timers.findIndex((t) => t.id === id)
      if (i >= 0) timers.splice(i, 1)
    },
    wakeSignals: (woke) => {
      wake = woke
      return () => (wake = null)
    },
    backoff: noJitter
  })
  const flush = async (): Promise<void> => {
    for (let i = 0; i < 5; i++) await Promise.resolve()
  }
  return {
    app,
    conversation,
    connects,
    stop,
    flush,
    wake: () => wake?.(),
    /** Move the fake clock, running due timers. */
    async advance(ms: number): Promise<void> {
      const end = now + ms
      for (;;) {
        timers.sort((a, b) => a.at - b.at)
        const due = timers[0]
        if (!due || due.at > end) break
        timers.shift()
        now = due.at
        due.fn()
        await flush()
      }
      now = end
    }
  }
}

describe('startAutoConnect', () => {
  it('connects once the backend is ready (not before), with no Connect press', async () => {
    const t = rig()
    await t.flush()
    expect(t.connects).toEqual([])
    t.app.setState({ backend: { ...ready(), state: 'starting' } })
    await t.flush()
    expect(t.connects).toEqual([])
    t.app.setState({ backend: ready() })
    await t.flush()
    expect(t.connects).toEqual([0])
    expect(t.conversation.getState().live).toBe(true)
    t.stop()
  })

  it('a failing connect is retried with backoff until it connects; a drop later is reconnected at once', async () => {
    const t = rig({ failConnects: 3 })
    t.app.setState({ backend: ready() })
    await t.flush()
    await t.advance(5000)
    expect(t.connects).toEqual([0, 250, 750, 1750])
    expect(t.conversation.getState().live).toBe(true)
    // The connection failed for good (its own recovery gave up): a fresh connect, without waiting.
    t.conversation.setState({ live: false, status: { phase: 'failed' } as ConversationStoreState['status'] })
    await t.flush()
    expect(t.connects).toEqual([0, 250, 750, 1750, 5000])
    t.stop()
  })

  it('after Disconnect it stays off; a wake from sleep joins afresh while connected', async () => {
    const t = rig()
    t.app.setState({ backend: ready() })
    await t.flush()
    t.wake()
    await t.flush()
    expect(t.connects).toEqual([0, 0])
    t.conversation.getState().disconnect()
    await t.advance(60_000)
    t.wake()
    await t.flush()
    expect(t.connects).toHaveLength(2)
    t.stop()
    t.app.setState({ backend: ready('ws://b/signaling') })
    await t.flush()
    expect(t.connects).toHaveLength(2)
  })
})

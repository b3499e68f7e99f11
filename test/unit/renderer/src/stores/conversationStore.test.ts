import { describe, expect, it, vi } from 'vitest'
import { createStore } from 'zustand/vanilla'
import type { BackendStatus, VoiceApi } from '../../../../../src/shared/contract/api'
import { applySettingsPatch, defaultSettings, type Settings } from '../../../../../src/shared/contract/settings'
import type { SessionNotification } from '../../../../../src/shared/contract/signaling'
import { INITIAL_CONVERSATION_STATE, type ConversationOptions, type ConversationState } from '../../../../../src/renderer/src/media/conversationConnection'
import type { VoiceTurns } from '../../../../../src/renderer/src/media/voiceTurns'
import { createConversationStore, type ConversationAppState, type ConversationLink } from '../../../../../src/renderer/src/stores/conversationStore'

/** The conversation store's transitions, driven with a fake mic, fake connections and a fake app store. */

const initial: ConversationState = INITIAL_CONVERSATION_STATE

class FakeConnection implements ConversationLink {
  state: ConversationState
  closed = false
  talking: boolean[] = []
  tracks: MediaStreamTrack[] = []
  failTalking: Error | null = null
  failReplace: Error | null = null
  typed: Array<{ text: string; turnId: string }> = []
  failTyped: Error | null = null
  constructor(readonly opts: ConversationOptions) {
    this.state = { ...initial, talking: !opts.startPaused }
    this.tracks.push(opts.track)
  }
  report(patch: Partial<ConversationState>): void {
    this.state = { ...this.state, ...patch }
    this.opts.onState?.(this.state)
  }
  async setTalking(talking: boolean): Promise<void> {
    if (this.failTalking) throw this.failTalking
    this.talking.push(talking)
    this.report({ talking })
  }
  async typedTurn(text: string, turnId: string): Promise<void> {
    if (this.failTyped) throw this.failTyped
    this.typed.push({ text, turnId })
  }
  async replaceTrack(track: MediaStreamTrack): Promise<void> {
    if (this.failReplace) throw this.failReplace
    this.tracks.push(track)
  }
  close(): void {
    if (this.closed) return
    this.closed = true
    this.report({ phase: 'closed', sendState: 'none', recvState: 'none', talking: false })
  }
}

interface FakeTrack {
  id: string
  stopped: boolean
  stop(): void
}
function fakeStream(id: string): { stream: MediaStream; track: FakeTrack } {
  const track: FakeTrack = {
    id,
    stopped: false,
    stop() {
      this.stopped = true
    }
  }
  const stream = { getTracks: () => [track], getAudioTracks: () => [track] } as unknown as MediaStream
  return { stream, track }
}

/** A promise settled from outside. */
function deferred<T>(): { promise: Promise<T>; resolve(value: T): void; reject(error: Error): void } {
  let resolve!: (value: T) => void
  let reject!: (error: Error) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

const readyBackend = (signalingUrl: string, state: BackendStatus['state'] = 'ready'): BackendStatus => ({ state, kind: 'embedded', signalingUrl, detail: null, workers: 1, rttMs: 1, since: 0 })

function setup(opts: { api?: boolean; openFails?: Error } = {}) {
  const observed: Array<{ sessionId: string; token: string }> = []
  const api = opts.api
    ? ({
        observeConversation: async (p: { sessionId: string; token: string }) => {
          observed.push(p)
          return {}
        }
      } as unknown as VoiceApi)
    : null
  const app = createStore<ConversationAppState>(() => ({ api, backend: readyBackend('ws://a/signaling'), settings: defaultSettings() }))
  const mics: FakeTrack[] = []
  const micAudio: Array<Settings['audio']> = []
  let nextMic: Promise<MediaStream> | null = null
  const connections: FakeConnection[] = []
  const followed: Array<{ conn: FakeConnection | null; phase: string | null }> = []
  const notes: SessionNotification[] = []
  const voiceNotes: SessionNotification[] = []
  const voice = { started: 0, stopped: 0 }
  const ensureLocalVoice = vi.fn(async () => undefined)
  const store = createConversationStore<FakeConnection>({
    app,
    openMic: async (audio) => {
      micAudio.push(audio)
      if (nextMic) {
        const pending = nextMic
        nextMic = null
        return pending
      }
      const { stream, track } = fakeStream(`mic${mics.length + 1}`)
      mics.push(track)
      return stream
    },
    openConnection: async (o) => {
      const conn = new FakeConnection(o)
      connections.push(conn)
      o.onState?.(conn.state)
      if (opts.openFails) {
        conn.close()
        throw opts.openFails
      }
      o.onJoined?.({ sessionId: `s${connections.length}`, token: 't' })
      conn.report({ phase: 'connected', sendState: 'connected', recvState: 'connected' })
      return conn
    },
    ensureLocalVoice,
    startVoiceTurns: (_api, _conn, _track): VoiceTurns => {
      voice.started++
      return {
        debug: {} as VoiceTurns['debug'],
        onNotification: (n) => voiceNotes.push(n),
        stop: () => voice.stopped++
      }
    },
    followConversation: (conn, status) => followed.push({ conn, phase: status?.phase ?? null }),
    onSessionNotification: (n) => notes.push(n)
  })
  return {
    store,
    app,
    mics,
    micAudio,
    connections,
    followed,
    notes,
    voiceNotes,
    voice,
    ensureLocalVoice,
    observed,
    holdNextMic: () => {
      const d = deferred<MediaStream>()
      nextMic = d.promise
      return d
    }
  }
}

const flush = (): Promise<void> => new Promise((r) => setTimeout(r, 0))

describe('conversation store: one owner for the mic and the connection', () => {
  it('connect opens the mic and joins the backend with the chosen pipeline, push-to-talk from the settings; the tray follows once live', async () => {
    const t = setup()
    t.store.getState().setPipeline('echo')
    expect(t.connections).toHaveLength(0) // not connected: the pipeline is for the next connection
    await t.store.getState().connect()
    const conn = t.connections[0]!
    expect(conn.opts).toMatchObject({ signalingUrl: 'ws://a/signaling', pipeline: 'echo', startPaused: true })
    expect(conn.opts.track).toBe(t.mics[0])
    expect(t.micAudio).toEqual([defaultSettings().audio])
    expect(t.store.getState()).toMatchObject({ live: true, error: null, status: { phase: 'connected', talking: false } })
    // While opening the connection is not live yet: the tray hears about it once it is.
    expect(t.followed.at(-1)).toEqual({ conn, phase: 'connected' })
    expect(t.followed.slice(0, -1).every((f) => f.conn === null)).toBe(true)
    expect(t.voice.started).toBe(0) // echo: no voice turns, no local VAD
    expect(t.ensureLocalVoice).not.toHaveBeenCalled()
  })

  it('does nothing without a backend URL or settings', async () => {
    const t = setup()
    t.app.setState({ backend: { ...readyBackend('x'), signalingUrl: null } })
    await t.store.getState().connect()
    t.app.setState({ backend: readyBackend('ws://a/signaling'), settings: null })
    await t.store.getState().connect()
    expect(t.connections).toHaveLength(0)
    expect(t.mics).toHaveLength(0)
  })

  it('voice pipeline, hands-free: starts the local VAD first, has the app observe the session, runs voice turns and hands them notifications', async () => {
    const t = setup({ api: true })
    t.app.setState({ settings: applySettingsPatch(defaultSettings(), { listening: { mode: 'hands-free' } }) })
    await t.store.getState().connect()
    expect(t.connections[0]!.opts.startPaused).toBe(false)
    expect(t.ensureLocalVoice).toHaveBeenCalledTimes(1)
    expect(t.observed).toEqual([{ sessionId: 's1', token: 't' }])
    expect(t.voice.started).toBe(1)
    const note = { type: 'utteranceEnd' } as SessionNotification
    t.connections[0]!.opts.onNotification?.(note)
    expect(t.voiceNotes).toEqual([note])
    expect(t.notes).toEqual([note])
  })

  it('a failed connect shows why, releases the mic and is not live', async () => {
    const t = setup({ openFails: new Error('backend speaks signaling v9') })
    await t.store.getState().connect()
    expect(t.store.getState()).toMatchObject({ live: false, error: 'Could not connect: backend speaks signaling v9', status: { phase: 'closed' } })
    expect(t.mics[0]!.stopped).toBe(true)
  })

  it('disconnect closes the connection, stops voice turns and the mic, and forgets the state', async () => {
    const t = setup({ api: true })
    await t.store.getState().connect()
    t.store.getState().disconnect()
    expect(t.connections[0]!.closed).toBe(true)
    expect(t.voice.stopped).toBe(1)
    expect(t.mics[0]!.stopped).toBe(true)
    expect(t.store.getState()).toMatchObject({ live: false, status: null })
    expect(t.followed.at(-1)).toEqual({ conn: null, phase: null })
    expect(t.followed.some((f) => f.conn === null && f.phase === 'closed')).toBe(true)
  })

  it('connecting again closes the live connection first; reports from the old one are ignored after', async () => {
    const t = setup()
    await t.store.getState().connect()
    await t.store.getState().connect()
    const [old, current] = t.connections
    expect(old!.closed).toBe(true)
    expect(t.mics[0]!.stopped).toBe(true)
    expect(t.mics[1]!.stopped).toBe(false)
    old!.report({ phase: 'failed', detail: 'late' })
    expect(t.store.getState()).toMatchObject({ live: true, status: { phase: 'connected', detail: null } })
    expect(t.followed.at(-1)).toEqual({ conn: current, phase: 'connected' })
  })

  it('push-to-talk (the default) starts paused without the local VAD; a switch to hands-free joins again with both on', async () => {
    const t = setup({ api: true })
    await t.store.getState().connect()
    expect(t.connections[0]!.opts.startPaused).toBe(true)
    expect(t.store.getState().pushToTalk).toBe(true)
    expect(t.ensureLocalVoice).not.toHaveBeenCalled() // the talk key starts it with the producer
    t.app.setState({ settings: applySettingsPatch(t.app.getState().settings!, { listening: { mode: 'hands-free' } }) })
    await flush()
    expect(t.connections).toHaveLength(2)
    expect(t.connections[0]!.closed).toBe(true)
    expect(t.connections[1]!.opts.startPaused).toBe(false)
    expect(t.store.getState()).toMatchObject({ pushToTalk: false, live: true })
    expect(t.ensureLocalVoice).toHaveBeenCalledTimes(1)
  })

  it('another pipeline chosen while live joins again with it; the same one changes nothing', async () => {
    const t = setup()
    await t.store.getState().connect()
    t.store.getState().setPipeline('voice')
    await flush()
    expect(t.connections).toHaveLength(1)
    t.store.getState().setPipeline('echo')
    await flush()
    expect(t.connections).toHaveLength(2)
    expect(t.connections[1]!.opts.pipeline).toBe('echo')
  })

  it('disconnect keeps the conversation ended (not wanted) until connect; connecting is true only while opening', async () => {
    const t = setup()
    const held = t.holdNextMic()
    const opening = t.store.getState().connect()
    expect(t.store.getState()).toMatchObject({ wanted: true, connecting: true })
    held.resolve(fakeStream('m').stream)
    await opening
    expect(t.store.getState()).toMatchObject({ wanted: true, connecting: false, live: true })
    t.store.getState().disconnect()
    expect(t.store.getState()).toMatchObject({ wanted: false, connecting: false, live: false })
    await t.store.getState().connect()
    expect(t.store.getState()).toMatchObject({ wanted: true, live: true })
  })

  it('typed turns go to the live voice session with their id; not connected, another pipeline or a refusal is shown', async () => {
    const t = setup({ api: true })
    expect(await t.store.getState().sendTyped('hello', 'x1')).toBe(false)
    expect(t.store.getState().error).toMatch(/Not connected to the assistant yet/)
    await t.store.getState().connect()
    expect(await t.store.getState().sendTyped('what time is it', 'x2')).toBe(true)
    expect(t.connections[0]!.typed).toEqual([{ text: 'what time is it', turnId: 'x2' }])
    t.connections[0]!.failTyped = new Error('session gone')
    expect(await t.store.getState().sendTyped('again', 'x3')).toBe(false)
    expect(t.store.getState().error).toBe('Message not sent: session gone')
    t.store.getState().setPipeline('echo')
    await flush()
    expect(await t.store.getState().sendTyped('hi', 'x4')).toBe(false)
    expect(t.store.getState().error).toMatch(/need the voice pipeline \(this conversation runs echo\)/)
  })

  it('a changed input device swaps the track on the live producer and releases the old mic; nothing while disconnected', async () => {
    const t = setup()
    t.app.setState({ settings: applySettingsPatch(defaultSettings(), { audio: { inputDeviceId: 'usb' } }) })
    expect(t.mics).toHaveLength(0)
    await t.store.getState().connect()
    const conn = t.connections[0]!
    t.app.setState({ settings: applySettingsPatch(t.app.getState().settings!, { audio: { noiseSuppression: false } }) })
    await flush()
    expect(conn.tracks).toEqual([t.mics[0], t.mics[1]])
    expect(t.mics[0]!.stopped).toBe(true)
    expect(t.micAudio.at(-1)).toMatchObject({ inputDeviceId: 'usb', noiseSuppression: false })
    // Another setting (not about the mic) leaves it alone.
    t.app.setState({ settings: applySettingsPatch(t.app.getState().settings!, { ui: { theme: 'dark' } }) })
    await flush()
    expect(t.mics).toHaveLength(2)
    // Disconnect stops the mic in use now (the swapped-in one).
    t.store.getState().disconnect()
    expect(t.mics[1]!.stopped).toBe(true)
  })

  it('of two quick mic changes the later wins; a failed switch is shown and keeps the old track', async () => {
    const t = setup()
    await t.store.getState().connect()
    const conn = t.connections[0]!
    const slow = t.holdNextMic()
    t.app.setState({ settings: applySettingsPatch(t.app.getState().settings!, { audio: { inputDeviceId: 'a' } }) })
    t.app.setState({ settings: applySettingsPatch(t.app.getState().settings!, { audio: { inputDeviceId: 'b' } }) })
    await flush()
    const late = fakeStream('late')
    slow.resolve(late.stream)
    await flush()
    expect(late.track.stopped).toBe(true) // superseded: never put on the producer
    expect(conn.tracks.map((x) => x.id)).toEqual(['mic1', 'mic2'])
    conn.failReplace = new Error('track ended')
    t.app.setState({ settings: applySettingsPatch(t.app.getState().settings!, { audio: { inputDeviceId: 'c' } }) })
    await flush()
    expect(t.store.getState().error).toBe('Could not switch microphone: track ended')
    expect(t.mics[2]!.stopped).toBe(true)
    expect(t.mics[1]!.stopped).toBe(false)
  })

  it('follows the app to another backend: joins the new one when it is ready, not before, and not for the same URL', async () => {
    const t = setup()
    await t.store.getState().connect()
    t.app.setState({ backend: readyBackend('ws://a/signaling', 'starting') })
    t.app.setState({ backend: readyBackend('ws://a/signaling') })
    await flush()
    expect(t.connections).toHaveLength(1)
    t.app.setState({ backend: readyBackend('ws://b/signaling', 'starting') })
    await flush()
    expect(t.connections).toHaveLength(1)
    t.app.setState({ backend: readyBackend('ws://b/signaling') })
    await flush()
    expect(t.connections).toHaveLength(2)
    expect(t.connections[0]!.closed).toBe(true)
    expect(t.connections[1]!.opts.signalingUrl).toBe('ws://b/signaling')
    expect(t.store.getState().live).toBe(true)
  })

  it('does not follow a backend move while disconnected', async () => {
    const t = setup()
    t.app.setState({ backend: readyBackend('ws://b/signaling') })
    await flush()
    expect(t.connections).toHaveLength(0)
  })

  it('a connect still opening the mic when the conversation ends leaves nothing behind', async () => {
    const t = setup()
    const held = t.holdNextMic()
    const connecting = t.store.getState().connect()
    t.store.getState().disconnect()
    const { stream, track } = fakeStream('held')
    held.resolve(stream)
    await connecting
    expect(track.stopped).toBe(true)
    expect(t.connections).toHaveLength(0)
    expect(t.store.getState()).toMatchObject({ live: false, status: null, error: null })
  })
})

import { describe, expect, it } from 'vitest'
import { ContractError } from '../../../../src/shared/contract/errors'
import { defaultSettings, type Settings } from '../../../../src/shared/contract/settings'
import { VOICE_NOTICE_NOTIFICATION, voiceConfigSchema } from '../../../../src/shared/contract/signaling'
import type { SignalingClient } from '../../../../src/shared/signalingClient'
import { ConversationObserver, turnTaking, voiceConfigFromSettings } from '../../../../src/main/services/conversationObserver'
import { TURN_TRACE_NOTIFICATION } from '../../../../src/shared/contract/signaling'
import { MemoryLogger } from '../../../helpers/memoryLogger'

/** A signaling client whose observeSession answers as the test says; ping answers with the server time. */
function fakeSignaling(observe: (params: Record<string, unknown>) => unknown) {
  const calls: Array<{ method: string; params: Record<string, unknown> }> = []
  const listeners = new Set<(name: string, data: unknown) => void>()
  const client = {
    closed: new Promise(() => undefined),
    async request(method: string, params: Record<string, unknown>) {
      calls.push({ method, params })
      if (method === 'ping') return { serverTime: Date.now() }
      if (method === 'observeSession') return observe(params)
      throw new Error(`unexpected ${method}`)
    },
    onNotification(listener: (name: string, data: unknown) => void) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    close() {}
  } as unknown as SignalingClient
  return { client, calls, notify: (name: string, data: unknown) => listeners.forEach((l) => l(name, data)) }
}

function withOpenAiStt(): Settings {
  const s = defaultSettings()
  return { ...s, providers: { ...s.providers, stt: { ...s.providers.stt, provider: 'openai', baseUrl: 'https://stt.example.com/v1' } } }
}

function observer(client: SignalingClient, settings: Settings) {
  const events: Array<{ event: string; payload: unknown }> = []
  const o = new ConversationObserver({ signaling: () => client, settings: () => settings, secret: () => null, emit: (event, payload) => events.push({ event, payload }) })
  return { o, events }
}

const SESSION = { id: 'session-0001', token: 't'.repeat(32) }

describe('turn taking from settings', () => {
  it("the listening settings' waits and barge-in words go to the session, in the signaling contract's shape", () => {
    const s = defaultSettings()
    const settings = { ...s, listening: { ...s.listening, replyAfterPauseMs: 400, replyAfterCompleteMs: 90, unfinishedPauseMs: 1500, bargeInMinWords: 3 } }
    const { config } = voiceConfigFromSettings(settings, () => null, null)
    expect(config.turn).toEqual({ replyAfterPauseMs: 400, replyAfterCompleteMs: 90, unfinishedPauseMs: 1500, bargeInMinWords: 3 })
    expect(turnTaking(settings.listening)).toEqual(config.turn)
    expect(voiceConfigSchema.safeParse(config).success).toBe(true)
  })

  it('an app from before the turn policy settings (only replyAfterPauseMs) is still a valid session config', () => {
    expect(voiceConfigSchema.safeParse({ stt: [], llm: [], tts: [], turn: { replyAfterPauseMs: 320 } }).success).toBe(true)
    expect(voiceConfigSchema.safeParse({ stt: [], llm: [], tts: [], turn: { replyAfterPauseMs: 320, bargeInMinWords: 0 } }).success).toBe(false)
    expect(voiceConfigSchema.safeParse({ stt: [], llm: [], tts: [], turn: { replyAfterPauseMs: 320, surprise: 1 } }).success).toBe(false)
  })
})

describe('ConversationObserver', () => {
  it('sends the providers from settings (no key to a ws:// backend) and forwards voice notices', async () => {
    const sig = fakeSignaling(() => ({ pipeline: 'voice', providers: { stt: ['openai'], llm: ['embedded'], tts: ['espeak-ng'] } }))
    const { o, events } = observer(sig.client, withOpenAiStt())
    const result = await o.observe(SESSION.id, SESSION.token, 'ws://127.0.0.1:4000/signaling')
    expect(result.pipeline).toBe('voice')
    const observe = sig.calls.find((c) => c.method === 'observeSession')!
    expect(observe.params.voice).toEqual(voiceConfigFromSettings(withOpenAiStt(), () => null, 'ws://127.0.0.1:4000/signaling').config)
    sig.notify(VOICE_NOTICE_NOTIFICATION, { level: 'warning', message: 'STT failed over' })
    expect(events).toContainEqual({ event: 'notice', payload: { level: 'warning', message: 'STT failed over' } })
    o.stop()
  })

  it("a backend that refuses client providers (standalone, --client-providers none) is observed with its operator's, and the user is told", async () => {
    const sig = fakeSignaling((params) => {
      if (params.voice) throw new ContractError('forbidden', 'this backend takes no provider URLs from clients')
      return { pipeline: 'voice', providers: { stt: ['operator-stt'], llm: ['embedded'], tts: ['espeak-ng'] } }
    })
    const { o, events } = observer(sig.client, withOpenAiStt())
    const result = await o.observe(SESSION.id, SESSION.token, 'wss://voice.example.com/signaling')
    expect(result.providers?.stt).toEqual(['operator-stt'])
    const observes = sig.calls.filter((c) => c.method === 'observeSession')
    expect(observes.map((c) => 'voice' in c.params && c.params.voice !== undefined)).toEqual([true, false])
    expect(events).toContainEqual({ event: 'notice', payload: { level: 'info', message: expect.stringMatching(/operator's voice providers.*no provider URLs from clients/) } })
    o.stop()
  })

  it('other refusals are not retried', async () => {
    const sig = fakeSignaling(() => {
      throw new ContractError('unauthorized', 'unknown session')
    })
    const { o } = observer(sig.client, withOpenAiStt())
    await expect(o.observe(SESSION.id, SESSION.token, 'ws://127.0.0.1:4000/signaling')).rejects.toMatchObject({ code: 'unauthorized' })
    expect(sig.calls.filter((c) => c.method === 'observeSession')).toHaveLength(1)
    o.stop()
  })

  it('logs the observed session, finished turns and notices with their fields, never the key it sends or the session token', async () => {
    const sig = fakeSignaling(() => ({ pipeline: 'voice', providers: { stt: ['openai'], llm: ['embedded'], tts: ['espeak-ng'] } }))
    const logger = new MemoryLogger()
    const key = 'sk-unit-test-key-0123456789'
    const o = new ConversationObserver({ signaling: () => sig.client, settings: () => withOpenAiStt(), secret: (name) => (name === 'stt.apiKey' ? key : null), emit: () => undefined, logger })
    await o.observe(SESSION.id, SESSION.token, 'ws://127.0.0.1:4000/signaling?token=signaling-secret-0001')
    const sent = sig.calls.find((c) => c.method === 'observeSession')!.params.voice as { stt: Array<{ apiKey: string | null }> }
    expect(sent.stt[0]!.apiKey).toBe(key) // loopback: the key does go to the backend…
    sig.notify(TURN_TRACE_NOTIFICATION, { turnId: 't1', status: 'running', marks: [] })
    sig.notify(TURN_TRACE_NOTIFICATION, { turnId: 't1', status: 'done', marks: [], providers: { stt: 'openai' }, compute: { stt: 66.4 } })
    sig.notify(VOICE_NOTICE_NOTIFICATION, { level: 'warning', message: 'STT failed over' })
    expect(logger.lines).toEqual([
      { level: 'info', message: 'observing the conversation', fields: { sessionId: SESSION.id, configured: { stt: 1, llm: 0, tts: 0 }, problems: [] } },
      { level: 'info', message: 'turn trace', fields: { turnId: 't1', status: 'done', providers: { stt: 'openai' }, computeMs: { stt: 66 }, marks: 0, notes: 0 } },
      { level: 'info', message: 'voice notice from the backend', fields: { level: 'warning', notice: 'STT failed over' } }
    ])
    // …but never into the log, nor does the session's resume token or the signaling secret.
    for (const secret of [key, SESSION.token, 'signaling-secret-0001']) expect(logger.text()).not.toContain(secret)
    o.stop()
  })
})

import { beforeEach, describe, expect, it, vi } from 'vitest'
import type { VadEvent, VadStatus } from '../../../../../src/shared/contract/voice'
import { useAppStore } from '../../../../../src/renderer/src/stores/appStore'
import { MAX_VAD_EVENTS, useLocalVoiceStore } from '../../../../../src/renderer/src/stores/localVoiceStore'
import { fakeVoiceApi } from '../../../../helpers/fakeVoiceApi'

const status: VadStatus = { state: 'ready', detail: null, frames: 10, probability: 0.1 }
const base = { utteranceId: 1, atMs: 0, wallTime: 0 }
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 0))
const initial = useLocalVoiceStore.getState()

beforeEach(() => {
  useLocalVoiceStore.setState({ ...initial, listening: false, error: null, status: null, events: [], speaking: false })
  useAppStore.setState({ api: null, settings: null })
})

describe('local voice store: the local VAD as the window sees it', () => {
  it('follows VAD status and events: speaking from speech start (or resume) to the end of the utterance', async () => {
    const fake = fakeVoiceApi({ getVadStatus: async () => status })
    const off = useLocalVoiceStore.getState().attach(fake.api)
    await settle()
    expect(useLocalVoiceStore.getState().status).toEqual(status)
    const events: VadEvent[] = [
      { type: 'speech_start', ...base, startMs: 100, audioStartMs: 0 },
      { type: 'speech_end', ...base, endMs: 900 },
      { type: 'speech_resume', ...base },
      { type: 'end_of_utterance', ...base, startMs: 100, endMs: 1500, audioStartMs: 0, endOfUtteranceDelayMs: 640, reason: 'silence' }
    ]
    const speaking = events.map((e) => {
      fake.emit('vadEvent', e)
      return useLocalVoiceStore.getState().speaking
    })
    expect(speaking).toEqual([true, true, true, false])
    for (let i = 0; i < MAX_VAD_EVENTS; i++) fake.emit('vadEvent', { type: 'speech_resume', ...base, utteranceId: 2 + i })
    expect(useLocalVoiceStore.getState().events).toHaveLength(MAX_VAD_EVENTS)
    expect(useLocalVoiceStore.getState().events[0]!.utteranceId).toBe(2)
    fake.emit('vadStatus', { ...status, frames: 99 })
    expect(useLocalVoiceStore.getState().status?.frames).toBe(99)
    off()
    expect(fake.listeners('vadEvent') + fake.listeners('vadStatus') + fake.listeners('userCommand')).toBe(0)
  })

  it('the tray and hotkeys start and stop listening through userCommand', async () => {
    const fake = fakeVoiceApi({ getVadStatus: async () => status })
    const start = vi.fn(async () => undefined)
    const stop = vi.fn()
    useLocalVoiceStore.setState({ start, stop })
    const off = useLocalVoiceStore.getState().attach(fake.api)
    fake.emit('userCommand', { command: 'startListening' })
    fake.emit('userCommand', { command: 'toggleMute' })
    fake.emit('userCommand', { command: 'stopListening' })
    expect(start).toHaveBeenCalledTimes(1)
    expect(stop).toHaveBeenCalledTimes(1)
    off()
  })

  it('start does nothing before the settings and the api are there; stop flushes the VAD only if it was listening', async () => {
    const fake = fakeVoiceApi({ vadControl: async () => ({}) })
    useAppStore.setState({ api: fake.api })
    await initial.start()
    expect(useLocalVoiceStore.getState().listening).toBe(false)
    initial.stop()
    expect(fake.calls).toEqual([])
    useLocalVoiceStore.setState({ listening: true })
    initial.stop()
    expect(fake.calls).toEqual([{ method: 'vadControl', params: { action: 'flush' } }])
    expect(useLocalVoiceStore.getState().listening).toBe(false)
  })
})

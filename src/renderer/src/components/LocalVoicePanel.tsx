import type React from 'react'
import { useEffect } from 'react'
import { create } from 'zustand'
import type { VadEvent, VadStatus } from '../../../shared/contract/voice'
import { apiSocketUrlFromLocation } from '../api/wsRawApi'
import { messagePortAudioSink, openCaptureTap, webSocketAudioSink, type CaptureTap } from '../media/captureTap'
import { micConstraints } from '../media/micMeter'
import { useAppStore } from '../stores/appStore'

/**
 * Local voice: hands-free listening through the capture tap into the main process's Silero VAD, with the
 * endpointing events it sends back. Minimal on purpose; the full listening settings live in the settings page.
 */
interface LocalVoiceState {
  listening: boolean
  error: string | null
  status: VadStatus | null
  events: VadEvent[]
  /** Open utterance: between speech_start and end_of_utterance. */
  speaking: boolean
  start(): Promise<void>
  stop(): void
}

let tap: CaptureTap | null = null
let stream: MediaStream | null = null
const MAX_EVENTS = 12

export const useLocalVoiceStore = create<LocalVoiceState>((set, get) => ({
  listening: false,
  error: null,
  status: null,
  events: [],
  speaking: false,
  async start() {
    const { settings, api } = useAppStore.getState()
    if (!settings || !api || get().listening) return
    try {
      stream = await navigator.mediaDevices.getUserMedia(micConstraints(settings.audio))
      const socketUrl = apiSocketUrlFromLocation(window.location)
      const sink = window.voiceApi ? messagePortAudioSink(window) : socketUrl ? webSocketAudioSink(socketUrl) : null
      if (!sink) throw new Error('no connection to the app services')
      await api.vadControl({ action: 'reset' })
      tap = await openCaptureTap(stream, sink)
      set({ listening: true, error: null })
    } catch (error) {
      get().stop()
      set({ error: `Could not start listening: ${(error as Error).message}` })
    }
  },
  stop() {
    tap?.stop()
    tap = null
    for (const track of stream?.getTracks() ?? []) track.stop()
    stream = null
    if (get().listening) void useAppStore.getState().api?.vadControl({ action: 'flush' }).catch(() => undefined)
    set({ listening: false })
  }
}))

function describe(e: VadEvent): string {
  switch (e.type) {
    case 'speech_start':
      return `speech started at ${(e.startMs / 1000).toFixed(2)} s`
    case 'speech_end':
      return `speech ended at ${(e.endMs / 1000).toFixed(2)} s (speculative)`
    case 'speech_resume':
      return 'speech resumed (same utterance)'
    case 'end_of_utterance':
      return `end of utterance ${(e.startMs / 1000).toFixed(2)}–${(e.endMs / 1000).toFixed(2)} s, end_of_utterance_delay ${Math.round(e.endOfUtteranceDelayMs)} ms`
  }
}

export function LocalVoicePanel(): React.JSX.Element {
  const api = useAppStore((s) => s.api)
  const ready = useAppStore((s) => s.settings !== null)
  const { listening, error, status, events, speaking, start, stop } = useLocalVoiceStore()

  useEffect(() => {
    if (!api) return
    const offs = [
      api.on('vadEvent', (event) =>
        useLocalVoiceStore.setState((s) => ({
          events: [...s.events, event].slice(-MAX_EVENTS),
          speaking: event.type === 'speech_start' || event.type === 'speech_resume' ? true : event.type === 'end_of_utterance' ? false : s.speaking
        }))
      ),
      api.on('vadStatus', (status) => useLocalVoiceStore.setState({ status })),
      // Push-to-talk hotkey and tray (main process) drive the capture through userCommand.
      api.on('userCommand', ({ command }) => {
        if (command === 'startListening') void useLocalVoiceStore.getState().start()
        else if (command === 'stopListening') useLocalVoiceStore.getState().stop()
      })
    ]
    void api.getVadStatus({}).then((status) => useLocalVoiceStore.setState({ status })).catch(() => undefined)
    return () => offs.forEach((off) => off())
  }, [api])
  useEffect(() => () => useLocalVoiceStore.getState().stop(), [])

  return (
    <section className="card" aria-labelledby="local-voice-title" data-testid="local-voice-panel">
      <div className="card-head">
        <h2 id="local-voice-title">Local voice detection</h2>
        <span className={`pill ${speaking ? 'pill-ok' : ''}`} data-testid="vad-state">
          {!listening ? 'off' : speaking ? 'speech' : status?.state === 'loading' ? 'loading' : 'listening'}
        </span>
      </div>
      <p className="subtle small" data-testid="vad-status">
        {status?.state === 'error' ? status.detail : `Silero VAD in the app · ${status?.frames ?? 0} frames`}
      </p>
      <div className="row spread">
        {listening ? (
          <button type="button" onClick={() => stop()} data-testid="vad-stop">
            Stop listening
          </button>
        ) : (
          <button type="button" className="primary" disabled={!ready} onClick={() => void start()} data-testid="vad-start">
            Start listening (hands-free)
          </button>
        )}
      </div>
      {error && (
        <p className="detail detail-error" data-testid="vad-error">
          {error}
        </p>
      )}
      <ol className="small" data-testid="vad-events">
        {events.map((e, i) => (
          <li key={`${e.utteranceId}-${e.type}-${i}`} data-event={e.type} data-utterance={e.utteranceId}>
            #{e.utteranceId} {describe(e)}
          </li>
        ))}
      </ol>
    </section>
  )
}

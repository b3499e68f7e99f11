import { create } from 'zustand'
import type { VoiceApi } from '../../../shared/contract/api'
import type { VadEvent, VadStatus } from '../../../shared/contract/voice'
import { apiSocketUrlFromLocation } from '../api/wsRawApi'
import { messagePortAudioSink, openCaptureTap, webSocketAudioSink, type CaptureTap } from '../media/captureTap'
import { micConstraints } from '../media/micMeter'
import { useAppStore } from './appStore'

/**
 * Local voice: hands-free listening through the capture tap into the main process's Silero VAD, and the endpointing
 * events it sends back. The conversation starts it for the voice pipeline (its events lead turn detection there).
 */
export interface LocalVoiceState {
  listening: boolean
  error: string | null
  status: VadStatus | null
  events: VadEvent[]
  /** Open utterance: between speech_start and end_of_utterance. */
  speaking: boolean
  start(): Promise<void>
  stop(): void
  /** Follow the services' VAD events and status, and the tray/hotkey listening commands; returns the unsubscribe. */
  attach(api: VoiceApi): () => void
}

/** Events the panel lists. */
export const MAX_VAD_EVENTS = 12

export const useLocalVoiceStore = create<LocalVoiceState>((set, get) => {
  let tap: CaptureTap | null = null
  let stream: MediaStream | null = null
  return {
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
    },
    attach(api) {
      const offs = [
        api.on('vadEvent', (event) =>
          set((s) => ({
            events: [...s.events, event].slice(-MAX_VAD_EVENTS),
            speaking: event.type === 'speech_start' || event.type === 'speech_resume' ? true : event.type === 'end_of_utterance' ? false : s.speaking
          }))
        ),
        api.on('vadStatus', (status) => set({ status })),
        // Push-to-talk hotkey and tray (main process) drive the capture through userCommand.
        api.on('userCommand', ({ command }) => {
          if (command === 'startListening') void get().start()
          else if (command === 'stopListening') get().stop()
        })
      ]
      void api.getVadStatus({}).then((status) => set({ status })).catch(() => undefined)
      return () => offs.forEach((off) => off())
    }
  }
})

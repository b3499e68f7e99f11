import { create } from 'zustand'
import { openMic, type MicHandle, type MicOptions } from '../media/micMeter'

export type MicPermission = 'unknown' | 'granted' | 'denied' | 'unavailable'

export interface InputDevice {
  deviceId: string
  label: string
}

export interface MicState {
  permission: MicPermission
  devices: InputDevice[]
  /** Label of the track actually open, once the mic is live. */
  activeLabel: string | null
  levelDbfs: number
  /** Loudest level seen since the mic opened: proves the device hears something. */
  peakDbfs: number
  error: string | null
  live: boolean
  refreshDevices(): Promise<void>
  start(opts: MicOptions): Promise<void>
  stop(): void
}

function explain(error: unknown): { permission: MicPermission; message: string } {
  const name = (error as { name?: string })?.name
  if (name === 'NotAllowedError' || name === 'SecurityError') {
    return { permission: 'denied', message: 'Microphone access was denied. Allow it for this app in your system or browser settings, then try again.' }
  }
  if (name === 'NotFoundError' || name === 'OverconstrainedError') {
    return { permission: 'unavailable', message: 'The selected microphone is not connected. Pick another input device.' }
  }
  if (name === 'NotReadableError') {
    return { permission: 'unavailable', message: 'The microphone is busy or failed to start (another app may hold it exclusively).' }
  }
  return { permission: 'unavailable', message: `Could not open the microphone: ${(error as Error)?.message ?? String(error)}` }
}

export const useMicStore = create<MicState>((set, get) => {
  let handle: MicHandle | null = null
  return {
    permission: 'unknown',
    devices: [],
    activeLabel: null,
    levelDbfs: -100,
    peakDbfs: -100,
    error: null,
    live: false,

    async refreshDevices() {
      if (!navigator.mediaDevices?.enumerateDevices) {
        set({ permission: 'unavailable', error: 'This browser cannot capture audio (no mediaDevices).' })
        return
      }
      const all = await navigator.mediaDevices.enumerateDevices()
      const devices = all
        .filter((d) => d.kind === 'audioinput')
        .map((d, i) => ({ deviceId: d.deviceId, label: d.label || `Microphone ${i + 1}` }))
      set({ devices })
    },

    async start(opts) {
      get().stop()
      try {
        handle = await openMic(opts, (levelDbfs) => set({ levelDbfs, peakDbfs: Math.max(get().peakDbfs, levelDbfs) }))
        set({ permission: 'granted', live: true, activeLabel: handle.trackLabel, error: null, peakDbfs: -100 })
        // Labels are only visible after permission is granted.
        await get().refreshDevices()
      } catch (error) {
        const { permission, message } = explain(error)
        set({ permission, error: message, live: false, activeLabel: null })
      }
    },

    stop() {
      handle?.stop()
      handle = null
      set({ live: false, levelDbfs: -100 })
    }
  }
})

if (typeof navigator !== 'undefined' && navigator.mediaDevices) {
  // Hot-plug: keep the list current when headsets come and go.
  navigator.mediaDevices.addEventListener?.('devicechange', () => void useMicStore.getState().refreshDevices())
}

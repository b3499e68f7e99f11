import { contextBridge, ipcRenderer } from 'electron'
import { apiMethodNames, IPC_EVENT_CHANNEL, ipcChannel, isApiEventName } from '../shared/contract/api'
import type { RawVoiceApi } from '../shared/rawApi'
import { CAPTURE_AUDIO_PORT_CHANNEL } from '../shared/contract/voice'

/**
 * The only bridge between the sandboxed renderer and the main process: one function per api method (each its own
 * IPC channel) and an event subscription. Calls return outcomes ({ok,result}|{ok:false,error}) so error codes
 * survive the context bridge; the renderer unwraps them.
 */
const methods = Object.fromEntries(
  apiMethodNames.map((method) => [method, (params: unknown) => ipcRenderer.invoke(ipcChannel(method), params)])
)

const api = {
  ...methods,
  on(event: string, listener: (payload: unknown) => void): () => void {
    if (!isApiEventName(event)) throw new Error(`unknown api event ${event}`)
    const handler = (_e: unknown, message: { event: string; payload: unknown }): void => {
      if (message.event === event) listener(message.payload)
    }
    ipcRenderer.on(IPC_EVENT_CHANNEL, handler)
    return () => ipcRenderer.removeListener(IPC_EVENT_CHANNEL, handler)
  }
} as unknown as RawVoiceApi

contextBridge.exposeInMainWorld('voiceApi', api)

// Capture tap audio (Electron): the page posts one end of a MessageChannel; hand it to the main process, where the
// local VAD reads 16 kHz frames from it (transferable buffers, no per-frame IPC invoke).
window.addEventListener('message', (event: MessageEvent) => {
  if (event.source !== window || (event.data as { type?: unknown } | null)?.type !== 'voice-capture-port') return
  const port = event.ports[0]
  if (port) ipcRenderer.postMessage(CAPTURE_AUDIO_PORT_CHANNEL, null, [port])
})

import type { IpcMain, IpcMainEvent } from 'electron'
import { CAPTURE_AUDIO_PORT_CHANNEL, decodeCaptureAudio } from '../../shared/contract/voice'
import { isTrustedIpcSender } from '../securityPolicy'
import type { AppCore } from '../services/appCore'

/**
 * Electron adapter for capture-tap audio: the window hands over a MessagePort (via the preload) and its frames go to
 * the local VAD. Only the app's own main frame may hand one over; malformed frames are logged and dropped.
 */
export function registerCaptureAudioPort(ipcMain: IpcMain, core: AppCore, rendererBase: string, log: (line: string) => void): () => void {
  let reported = false
  const onPort = (event: IpcMainEvent): void => {
    const frame = event.senderFrame
    const trusted = isTrustedIpcSender({ frameUrl: frame?.url, isMainFrame: frame !== null && frame === event.sender.mainFrame }, rendererBase)
    const port = event.ports[0]
    if (!trusted || !port) {
      log(`capture audio: refused a port from ${frame?.url ?? 'an unknown frame'}`)
      port?.close()
      return
    }
    port.on('message', ({ data }) => {
      const bytes = data instanceof Float32Array ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : data instanceof ArrayBuffer ? new Uint8Array(data) : null
      const audio = bytes ? decodeCaptureAudio(bytes) : { ok: false as const, reason: 'not a Float32Array' }
      if (audio.ok) core.vad.pushAudio(audio.samples)
      else if (!reported) {
        reported = true
        log(`capture audio: dropped a frame (${audio.reason})`)
      }
    })
    port.start()
  }
  ipcMain.on(CAPTURE_AUDIO_PORT_CHANNEL, onPort)
  return () => ipcMain.removeListener(CAPTURE_AUDIO_PORT_CHANNEL, onPort)
}

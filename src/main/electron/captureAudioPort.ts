import type { IpcMain, IpcMainEvent } from 'electron'
import { CAPTURE_AUDIO_PORT_CHANNEL, decodeCaptureAudio } from '../../shared/contract/voice'
import { isTrustedIpcSender } from '../securityPolicy'
import type { AppCore } from '../services/appCore'
import type { Logger } from '../../shared/logging/logger'

/**
 * Electron adapter for capture-tap audio: the window hands over a MessagePort (via the preload) and its frames go to
 * the local VAD. Only the app's own main frame may hand one over; malformed frames are logged and dropped.
 */
export function registerCaptureAudioPort(ipcMain: IpcMain, core: AppCore, rendererBase: string, logger: Logger): () => void {
  let reported = false
  const onPort = (event: IpcMainEvent): void => {
    const frame = event.senderFrame
    const trusted = isTrustedIpcSender({ frameUrl: frame?.url, isMainFrame: frame !== null && frame === event.sender.mainFrame }, rendererBase)
    const port = event.ports[0]
    if (!trusted || !port) {
      logger.warn('capture audio port refused: not the app window', { frame: frame?.url ?? null })
      port?.close()
      return
    }
    port.on('message', ({ data }) => {
      const bytes = data instanceof Float32Array ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : data instanceof ArrayBuffer ? new Uint8Array(data) : null
      const audio = bytes ? decodeCaptureAudio(bytes) : { ok: false as const, reason: 'not a Float32Array' }
      if (audio.ok) core.vad.pushAudio(audio.samples)
      else if (!reported) {
        reported = true
        logger.warn('capture audio frame dropped (reported once)', { reason: audio.reason })
      }
    })
    port.start()
  }
  ipcMain.on(CAPTURE_AUDIO_PORT_CHANNEL, onPort)
  return () => ipcMain.removeListener(CAPTURE_AUDIO_PORT_CHANNEL, onPort)
}

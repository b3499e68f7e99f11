import type { IpcMain, WebContents } from 'electron'
import { apiEventNames, apiMethodNames, IPC_EVENT_CHANNEL, ipcChannel } from '../../shared/contract/api'
import { isTrustedIpcSender } from '../securityPolicy'
import type { AppCore } from '../services/appCore'
import type { Logger } from '../../shared/logging/logger'

/**
 * Electron IPC adapter: one channel per api method. Every call's sender must be the app's own main frame; its
 * payload is validated by the dispatcher. Events are pushed to the window's webContents.
 */
export function registerIpc(ipcMain: IpcMain, core: AppCore, rendererBase: string, logger: Logger): () => void {
  for (const method of apiMethodNames) {
    ipcMain.handle(ipcChannel(method), (event, params: unknown) => {
      const frame = event.senderFrame
      const trusted = isTrustedIpcSender({ frameUrl: frame?.url, isMainFrame: frame !== null && frame === event.sender.mainFrame }, rendererBase)
      if (!trusted) {
        logger.warn('ipc call refused: not the app window', { method, frame: frame?.url ?? null })
        return { ok: false, error: { code: 'unauthorized', message: `${method} is only available to the app's own window` } }
      }
      return core.dispatch(method, params)
    })
  }
  return () => {
    for (const method of apiMethodNames) ipcMain.removeHandler(ipcChannel(method))
  }
}

/** Forward service events to a window; returns the unsubscribe function. */
export function forwardEvents(core: AppCore, contents: WebContents): () => void {
  const unsubscribers = apiEventNames.map((event) =>
    core.events.on(event, (payload) => {
      if (!contents.isDestroyed()) contents.send(IPC_EVENT_CHANNEL, { event, payload })
    })
  )
  return () => unsubscribers.forEach((u) => u())
}

import type { IpcMain } from 'electron'
import { beforeEach, describe, expect, it } from 'vitest'
import { registerIpc } from '../../../../src/main/electron/ipc'
import type { AppCore } from '../../../../src/main/services/appCore'
import { startOfflineCore } from '../../../helpers/offlineCore'
import { apiMethodNames, ipcChannel } from '../../../../src/shared/contract/api'
import { MemoryLogger } from '../../../helpers/memoryLogger'

type Handler = (event: unknown, params: unknown) => Promise<unknown> | unknown

class FakeIpcMain {
  handlers = new Map<string, Handler>()
  handle(channel: string, fn: Handler): void {
    if (this.handlers.has(channel)) throw new Error(`second handler for ${channel}`)
    this.handlers.set(channel, fn)
  }
  removeHandler(channel: string): void {
    this.handlers.delete(channel)
  }
}

const base = 'file:///app/out/renderer/'

function eventFrom(url: string, mainFrame = true): unknown {
  const frame = { url }
  return { senderFrame: frame, sender: { mainFrame: mainFrame ? frame : { url } } }
}

describe('Electron IPC adapter', () => {
  let ipc: FakeIpcMain
  let core: AppCore
  let logs: MemoryLogger
  beforeEach(async () => {
    ipc = new FakeIpcMain()
    logs = new MemoryLogger()
    core = await startOfflineCore({ appInfo: { mode: 'electron' } })
    registerIpc(ipc as unknown as IpcMain, core, base, logs)
  })

  it('registers exactly one channel per api method', () => {
    expect([...ipc.handlers.keys()].sort()).toEqual(apiMethodNames.map(ipcChannel).sort())
  })

  it('serves the app’s own main frame', async () => {
    const outcome = await ipc.handlers.get(ipcChannel('ping'))!(eventFrom(`${base}index.html`), { clientTime: 3 })
    expect(outcome).toMatchObject({ ok: true, result: { clientTime: 3 } })
  })

  it('refuses other origins and subframes, logging them', async () => {
    for (const event of [eventFrom('https://evil.example/'), eventFrom(`${base}index.html`, false), { senderFrame: null, sender: { mainFrame: null } }]) {
      const outcome = await ipc.handlers.get(ipcChannel('updateSettings'))!(event, { ui: { theme: 'dark' } })
      expect(outcome).toMatchObject({ ok: false, error: { code: 'unauthorized' } })
    }
    expect(core.settings.get().ui.theme).toBe('system')
    expect(logs.find('ipc call refused').filter((l) => l.level === 'warn' && l.fields.method === 'updateSettings')).toHaveLength(3)
  })

  it('validates payloads from the trusted frame too', async () => {
    const outcome = await ipc.handlers.get(ipcChannel('updateSettings'))!(eventFrom(`${base}index.html`), { ui: { theme: 'neon' } })
    expect(outcome).toMatchObject({ ok: false, error: { code: 'invalid_params' } })
    expect(core.settings.get().ui.theme).toBe('system')
  })
})

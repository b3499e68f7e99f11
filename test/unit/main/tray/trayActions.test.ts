import { describe, expect, it } from 'vitest'
import { defaultSettings } from '../../../../src/shared/contract/settings'
import { runTrayAction, toMenuTemplate, type TrayActionPorts } from '../../../../src/main/tray/trayActions'
import { buildTrayMenu, type TrayAction } from '../../../../src/main/tray/trayModel'

function recorder(opts: { failSettings?: boolean; failCopy?: boolean } = {}) {
  const calls: string[] = []
  const ports: TrayActionPorts = {
    toggleWindow: () => calls.push('toggleWindow'),
    showWindow: () => calls.push('showWindow'),
    sendCommand: (c) => calls.push(`command:${c}`),
    updateSettings: async (p) => {
      calls.push(`settings:${JSON.stringify(p)}`)
      if (opts.failSettings) throw new Error('disk full')
    },
    quit: () => calls.push('quit'),
    copyDiagnostics: async () => {
      calls.push('copyDiagnostics')
      if (opts.failCopy) throw new Error('no clipboard')
    },
    reportError: (m) => calls.push(`error:${m}`),
    reportInfo: (m) => calls.push(`info:${m}`)
  }
  return { calls, ports }
}

describe('tray actions', () => {
  it('routes each action to its port; Settings… shows the window then asks the renderer to open the page', () => {
    const { calls, ports } = recorder()
    const actions: TrayAction[] = [
      { type: 'toggleWindow' },
      { type: 'command', command: 'toggleMute' },
      { type: 'openSettings' },
      { type: 'updateSettings', patch: { ui: { showLatencyOverlay: false } } },
      { type: 'quit' }
    ]
    for (const a of actions) runTrayAction(a, ports)
    expect(calls).toEqual(['toggleWindow', 'command:toggleMute', 'showWindow', 'command:openSettings', 'settings:{"ui":{"showLatencyOverlay":false}}', 'quit'])
  })

  it('Copy diagnostics copies and says so; a failure is reported, not thrown', async () => {
    const ok = recorder()
    runTrayAction({ type: 'copyDiagnostics' }, ok.ports)
    await new Promise((r) => setTimeout(r, 0))
    expect(ok.calls).toEqual(['copyDiagnostics', 'info:Diagnostics copied to the clipboard: paste them into your bug report (nothing was sent anywhere).'])
    const failing = recorder({ failCopy: true })
    runTrayAction({ type: 'copyDiagnostics' }, failing.ports)
    await new Promise((r) => setTimeout(r, 0))
    expect(failing.calls.at(-1)).toBe('error:Tray: could not copy diagnostics: no clipboard')
  })

  it('a refused settings change is reported, not thrown', async () => {
    const { calls, ports } = recorder({ failSettings: true })
    runTrayAction({ type: 'updateSettings', patch: { listening: { mode: 'hands-free' } } }, ports)
    await new Promise((r) => setTimeout(r, 0))
    expect(calls.at(-1)).toBe('error:Tray: could not change settings: disk full')
  })

  it('the Electron template mirrors the model and clicking an item runs its action', () => {
    const model = buildTrayMenu({ assistant: { activity: 'idle', micMuted: false }, backend: null, settings: defaultSettings(), windowVisible: false })
    const clicked: TrayAction[] = []
    const template = toMenuTemplate(model, (a) => clicked.push(a))
    expect(template.map((i) => i.type)).toEqual(model.map((i) => i.type))
    expect(template.find((i) => i.id === 'sep-status')).toEqual({ id: 'sep-status', type: 'separator' })
    expect(template.find((i) => i.id === 'status')!.click).toBeUndefined()
    template.find((i) => i.id === 'toggleWindow')!.click!()
    template.find((i) => i.id === 'mode')!.submenu!.find((i) => i.id === 'mode-handsfree')!.click!()
    expect(clicked).toEqual([{ type: 'toggleWindow' }, { type: 'updateSettings', patch: { listening: { mode: 'hands-free' } } }])
    expect(template.find((i) => i.id === 'toggleListening')).toMatchObject({ label: 'Start listening', enabled: false })
  })
})

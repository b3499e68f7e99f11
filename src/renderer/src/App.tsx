import type React from 'react'
import { useEffect } from 'react'
import { BackendPanel } from './components/BackendPanel'
import { ConversationPanel } from './components/ConversationPanel'
import { Header } from './components/Header'
import { LatencyOverlay } from './components/LatencyOverlay'
import { LocalVoicePanel } from './components/LocalVoicePanel'
import { LocalSttPanel } from './components/LocalSttPanel'
import { MicPanel } from './components/MicPanel'
import { Notices } from './components/Notices'
import { SettingsPanel } from './components/SettingsPanel'
import { StatusPill } from './components/StatusPill'
import { useAppStore } from './stores/appStore'
import { useAssistantBridge } from './stores/assistantStore'

export function App(): React.JSX.Element {
  const theme = useAppStore((s) => s.settings?.ui.theme ?? 'system')
  const connection = useAppStore((s) => s.connection)
  const connectionDetail = useAppStore((s) => s.connectionDetail)
  useEffect(() => {
    document.documentElement.dataset.theme = theme
  }, [theme])
  const api = useAppStore((s) => s.api)
  // The desktop app's always-on-top status pill window loads this page at #status-pill (src/main/tray/electronStatusPill.ts).
  const isStatusPill = window.location.hash === '#status-pill'
  // The hotkey / tray command that shows or hides the latency overlay (the setting is the source of truth). Only the
  // main window acts on it: the pill flipping the same setting would cancel it out.
  useEffect(
    () =>
      isStatusPill
        ? undefined
        : api?.on('userCommand', ({ command }) => {
        const shown = useAppStore.getState().settings?.ui.showLatencyOverlay
        if (command === 'toggleLatencyOverlay' && shown !== undefined) void api.updateSettings({ ui: { showLatencyOverlay: !shown } }).catch(() => undefined)
      }),
    [api, isStatusPill]
  )
  // Tray and hotkey commands for the conversation, and the status they report (main window only, not the pill).
  useAssistantBridge(api, !isStatusPill)
  if (isStatusPill) return <StatusPill />
  return (
    <div className="app" data-ready={connection === 'open' ? 'true' : 'false'}>
      <Header />
      {connection !== 'open' && (
        <div className={`banner ${connection === 'unavailable' ? 'banner-error' : ''}`} role="status" data-testid="connection-banner">
          {connection === 'unavailable' ? connectionDetail : connection === 'connecting' ? 'Connecting to the app services…' : (connectionDetail ?? 'Reconnecting to the app services…')}
        </div>
      )}
      <main className="grid">
        <MicPanel />
        <BackendPanel />
        <ConversationPanel />
        <LatencyOverlay />
        <LocalVoicePanel />
        <LocalSttPanel />
      </main>
      <SettingsPanel />
      <Notices />
    </div>
  )
}

import type React from 'react'
import { useEffect } from 'react'
import { ConversationView } from './components/ConversationView'
import { DiagnosticsView } from './components/DiagnosticsView'
import { Header } from './components/Header'
import { Notices } from './components/Notices'
import { SettingsPanel } from './components/SettingsPanel'
import { StatusPill } from './components/StatusPill'
import { useAppStore } from './stores/appStore'
import { useAssistantBridge } from './stores/assistantStore'
import { browserWakeSignals, startAutoConnect } from './stores/autoConnect'
import { useConversationStore } from './stores/conversationStore'
import { followTurns, useHistoryStore } from './stores/historyStore'
import { useLocalSttStore } from './stores/localSttStore'
import { useLocalVoiceStore } from './stores/localVoiceStore'
import { useMicStore } from './stores/micStore'
import { useTurnStore } from './stores/turnStore'
import { useViewStore } from './stores/viewStore'

export function App(): React.JSX.Element {
  const theme = useAppStore((s) => s.settings?.ui.theme ?? 'system')
  const connection = useAppStore((s) => s.connection)
  const connectionDetail = useAppStore((s) => s.connectionDetail)
  const view = useViewStore((s) => s.view)
  const setReplyElement = useConversationStore((s) => s.setReplyElement)
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
  // What the window follows whichever view is shown: the talk key's capture, models and transcripts, turn traces into
  // the history, and the conversation, connected by itself.
  useEffect(() => {
    if (!api || isStatusPill) return
    useTurnStore.getState().init(api)
    void useMicStore.getState().refreshDevices()
    const offs = [
      useLocalVoiceStore.getState().attach(api),
      useLocalSttStore.getState().attach(api),
      followTurns(useHistoryStore.getState(), useTurnStore),
      startAutoConnect({
        app: useAppStore,
        conversation: useConversationStore,
        now: Date.now,
        setTimer: (fn, ms) => window.setTimeout(fn, ms),
        clearTimer: (handle) => window.clearTimeout(handle as number),
        wakeSignals: browserWakeSignals(window)
      })
    ]
    // Only the subscriptions end here: the conversation and the capture end with the page (a development remount,
    // StrictMode's, must not leave the conversation stopped as a Disconnect would).
    return () => offs.forEach((off) => off())
  }, [api, isStatusPill])
  if (isStatusPill) return <StatusPill />
  return (
    <div className="app" data-ready={connection === 'open' ? 'true' : 'false'}>
      <Header />
      {connection !== 'open' && (
        <div className={`banner ${connection === 'unavailable' ? 'banner-error' : ''}`} role="status" data-testid="connection-banner">
          {connection === 'unavailable' ? connectionDetail : connection === 'connecting' ? 'Connecting to the app services…' : (connectionDetail ?? 'Reconnecting to the app services…')}
        </div>
      )}
      {view === 'diagnostics' ? <DiagnosticsView /> : <ConversationView />}
      {/* The reply plays here, whichever view is shown. */}
      <audio ref={setReplyElement} autoPlay data-testid="conversation-reply" />
      <SettingsPanel />
      <Notices />
    </div>
  )
}

import type React from 'react'
import { useEffect } from 'react'
import { BackendPanel } from './components/BackendPanel'
import { Header } from './components/Header'
import { LatencyBudgetPanel } from './components/LatencyBudgetPanel'
import { MicPanel } from './components/MicPanel'
import { Notices } from './components/Notices'
import { useAppStore } from './stores/appStore'

export function App(): React.JSX.Element {
  const theme = useAppStore((s) => s.settings?.ui.theme ?? 'system')
  const connection = useAppStore((s) => s.connection)
  const connectionDetail = useAppStore((s) => s.connectionDetail)
  useEffect(() => {
    document.documentElement.dataset.theme = theme
  }, [theme])
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
        <LatencyBudgetPanel />
      </main>
      <Notices />
    </div>
  )
}

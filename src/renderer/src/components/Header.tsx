import type React from 'react'
import { useAppStore } from '../stores/appStore'
import { useConversationStore } from '../stores/conversationStore'
import { useViewStore, type View } from '../stores/viewStore'
import { SettingsButton } from './SettingsPanel'

const views: Array<{ id: View; label: string }> = [
  { id: 'conversation', label: 'Conversation' },
  { id: 'diagnostics', label: 'Diagnostics' }
]

/** The window's bar: the app, whether the assistant is reachable, the two views and Settings. */
export function Header(): React.JSX.Element {
  const appInfo = useAppStore((s) => s.appInfo)
  const backend = useAppStore((s) => s.backend)
  const live = useConversationStore((s) => s.live)
  const view = useViewStore((s) => s.view)
  const setView = useViewStore((s) => s.setView)
  const reach = live ? 'ok' : backend?.state === 'error' ? 'error' : 'busy'
  const reachLabel = live ? 'Connected' : backend?.state === 'error' ? 'Backend stopped' : 'Connecting'
  return (
    <header className="header">
      <div className="brand">
        <svg className="logo" viewBox="0 0 24 24" aria-hidden="true">
          <rect x="9" y="3" width="6" height="11" rx="3" />
          <path d="M5 11a7 7 0 0 0 14 0M12 18v3" fill="none" strokeWidth="2" strokeLinecap="round" />
        </svg>
        <div>
          <h1>{appInfo?.name ?? 'Voice Assistant'}</h1>
          <span className="subtle small" data-testid="app-mode">
            {appInfo ? (appInfo.mode === 'electron' ? 'desktop' : 'browser mode') : 'loading…'}
          </span>
        </div>
      </div>
      <nav className="views" aria-label="Views">
        {views.map((v) => (
          <button key={v.id} type="button" className={view === v.id ? 'active' : ''} aria-current={view === v.id ? 'page' : undefined} onClick={() => setView(v.id)} data-testid={`view-${v.id}`}>
            {v.label}
          </button>
        ))}
      </nav>
      <div className="header-status">
        <span className={`reach reach-${reach}`} data-testid="connection-state">
          <span className="dot" aria-hidden="true" />
          {reachLabel}
        </span>
        <SettingsButton />
      </div>
    </header>
  )
}

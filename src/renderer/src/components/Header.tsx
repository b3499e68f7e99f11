import type React from 'react'
import { useAppStore } from '../stores/appStore'
import { useMicStore } from '../stores/micStore'
import { SettingsButton } from './SettingsPanel'
import { backendStateTone, StatusDot } from './StatusDot'


export function Header(): React.JSX.Element {
  const appInfo = useAppStore((s) => s.appInfo)
  const backend = useAppStore((s) => s.backend)
  const micLive = useMicStore((s) => s.live)
  const micPermission = useMicStore((s) => s.permission)
  return (
    <header className="header">
      <div className="brand">
        <svg className="logo" viewBox="0 0 24 24" aria-hidden="true">
          <rect x="9" y="3" width="6" height="11" rx="3" />
          <path d="M5 11a7 7 0 0 0 14 0M12 18v3" fill="none" strokeWidth="2" strokeLinecap="round" />
        </svg>
        <div>
          <h1>{appInfo?.name ?? 'Voice Assistant'}</h1>
          <span className="subtle" data-testid="app-mode">
            {appInfo ? `v${appInfo.version} · ${appInfo.mode === 'electron' ? 'desktop' : 'browser mode'} · ${appInfo.platform}` : 'loading…'}
          </span>
        </div>
      </div>
      <div className="header-status">
        <StatusDot tone={backend ? backendStateTone[backend.state] : 'off'} label={`Backend: ${backend?.state ?? '—'}`} />
        <StatusDot
          tone={micLive ? 'ok' : micPermission === 'denied' || micPermission === 'unavailable' ? 'error' : 'off'}
          label={micLive ? 'Mic live' : micPermission === 'denied' ? 'Mic blocked' : 'Mic off'}
        />
        <SettingsButton />
      </div>
    </header>
  )
}

import type React from 'react'
import { useAppStore } from '../stores/appStore'
import { noticeCoveredBySetup, sttSetupNeeded, useLocalSttStore } from '../stores/localSttStore'

export function Notices(): React.JSX.Element | null {
  const all = useAppStore((s) => s.notices)
  const settings = useAppStore((s) => s.settings)
  const dismiss = useAppStore((s) => s.dismissNotice)
  const setupShown = useLocalSttStore((s) => sttSetupNeeded({ settings, cloudKey: s.cloudKey, models: s.models }))
  const notices = all.filter((n) => !noticeCoveredBySetup(n, setupShown))
  if (notices.length === 0) return null
  return (
    <div className="notices" role="log" aria-live="polite" data-testid="notices">
      {notices.map((n) => (
        <div key={n.id} className={`notice notice-${n.level}`}>
          <span>{n.message}</span>
          <button type="button" className="ghost" aria-label="Dismiss" onClick={() => dismiss(n.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  )
}

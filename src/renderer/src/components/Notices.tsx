import type React from 'react'
import { useAppStore } from '../stores/appStore'

export function Notices(): React.JSX.Element | null {
  const notices = useAppStore((s) => s.notices)
  const dismiss = useAppStore((s) => s.dismissNotice)
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

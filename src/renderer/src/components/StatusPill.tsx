import type React from 'react'
import { useEffect, useState } from 'react'
import type { AssistantStatus } from '../../../shared/contract/api'
import { useAppStore } from '../stores/appStore'

const LABEL: Record<AssistantStatus['activity'], string> = { idle: 'Ready', listening: 'Listening…', thinking: 'Thinking…', speaking: 'Speaking…' }

/** The always-on-top status pill window's content (index.html#status-pill, see src/main/tray/electronStatusPill.ts). */
export function StatusPill(): React.JSX.Element {
  const api = useAppStore((s) => s.api)
  const [status, setStatus] = useState<AssistantStatus>({ activity: 'idle', micMuted: false })
  useEffect(() => {
    if (!api) return
    void api.getAssistantStatus({}).then(setStatus, () => undefined)
    return api.on('assistantStatus', setStatus)
  }, [api])
  return (
    <div className={`status-pill status-pill-${status.activity}`} role="status" data-testid="status-pill">
      <span className="status-pill-dot" />
      {LABEL[status.activity]}
      {status.micMuted && <span className="status-pill-muted"> · mic muted</span>}
    </div>
  )
}

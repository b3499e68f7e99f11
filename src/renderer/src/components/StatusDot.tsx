import type React from 'react'
export type Tone = 'ok' | 'busy' | 'warn' | 'error' | 'off'

export function StatusDot({ tone, label }: { tone: Tone; label: string }): React.JSX.Element {
  return (
    <span className={`status status-${tone}`}>
      <span className="dot" aria-hidden="true" />
      {label}
    </span>
  )
}

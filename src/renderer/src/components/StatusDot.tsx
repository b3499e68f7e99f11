import type React from 'react'
import type { BackendState } from '../../../shared/contract/api'

export type Tone = 'ok' | 'busy' | 'warn' | 'error' | 'off'

/** How each backend state is shown, everywhere it is shown. */
export const backendStateTone: Record<BackendState, Tone> = { ready: 'ok', starting: 'busy', stopped: 'off', error: 'error' }

export function StatusDot({ tone, label }: { tone: Tone; label: string }): React.JSX.Element {
  return (
    <span className={`status status-${tone}`}>
      <span className="dot" aria-hidden="true" />
      {label}
    </span>
  )
}

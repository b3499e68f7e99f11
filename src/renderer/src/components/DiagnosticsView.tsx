import type React from 'react'
import { BackendPanel } from './BackendPanel'
import { ConnectionPanel } from './ConnectionPanel'
import { CopyDiagnostics } from './CopyDiagnostics'
import { LocalSttPanel } from './LocalSttPanel'
import { LocalVoicePanel } from './LocalVoicePanel'
import { MicPanel } from './MicPanel'

/** The engineering panels, one click from the conversation: Copy diagnostics, backend, connection and pipeline, microphone, local VAD, local STT. */
export function DiagnosticsView(): React.JSX.Element {
  return (
    <main className="diagnostics" data-testid="diagnostics-view" aria-labelledby="diagnostics-title">
      <h1 id="diagnostics-title" className="view-title">
        Diagnostics
      </h1>
      <CopyDiagnostics />
      <div className="grid">
        <BackendPanel />
        <ConnectionPanel />
        <MicPanel />
        <LocalVoicePanel />
        <LocalSttPanel />
      </div>
    </main>
  )
}

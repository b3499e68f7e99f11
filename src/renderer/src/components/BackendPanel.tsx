import type React from 'react'
import { useState } from 'react'
import { useAppStore } from '../stores/appStore'
import { backendStateTone, StatusDot } from './StatusDot'


export function BackendPanel(): React.JSX.Element {
  const backend = useAppStore((s) => s.backend)
  const settings = useAppStore((s) => s.settings)
  const appInfo = useAppStore((s) => s.appInfo)
  const updateSettings = useAppStore((s) => s.updateSettings)
  const restartBackend = useAppStore((s) => s.restartBackend)
  const [url, setUrl] = useState<string>('')
  const mode = settings?.backend.mode ?? 'embedded'

  return (
    <section className="card" aria-labelledby="backend-title" data-testid="backend-panel">
      <div className="card-head">
        <h2 id="backend-title">Backend</h2>
        <StatusDot tone={backend ? backendStateTone[backend.state] : 'off'} label={backend?.state ?? 'unknown'} />
      </div>
      <dl className="facts">
        <dt>Kind</dt>
        <dd>{backend?.kind === 'remote' ? 'Remote server' : 'Embedded (this computer)'}</dd>
        <dt>Signaling</dt>
        <dd className="mono" data-testid="backend-url">{backend?.signalingUrl ?? '—'}</dd>
        <dt>Workers</dt>
        <dd>{backend?.workers ?? '—'}</dd>
        <dt>Round trip</dt>
        <dd data-testid="backend-rtt">{backend?.rttMs != null ? `${backend.rttMs.toFixed(0)} ms` : '—'}</dd>
      </dl>
      {backend?.detail && (
        <p className={`detail ${backend.state === 'error' ? 'detail-error' : ''}`} data-testid="backend-detail">
          {backend.detail}
        </p>
      )}
      <div className="row">
        <label className="field">
          <span>Backend</span>
          <select
            value={mode}
            onChange={(e) => void updateSettings({ backend: { mode: e.target.value as 'embedded' | 'remote' } })}
            data-testid="backend-mode"
          >
            <option value="embedded">Embedded</option>
            <option value="remote">Remote</option>
          </select>
        </label>
        <button type="button" onClick={() => void restartBackend()} data-testid="backend-restart">
          Restart backend
        </button>
      </div>
      {mode === 'remote' && (
        <form
          className="row"
          onSubmit={(e) => {
            e.preventDefault()
            void updateSettings({ backend: { remoteUrl: url.trim() || null } })
          }}
        >
          <label className="field grow">
            <span>Server URL</span>
            <input value={url || settings?.backend.remoteUrl || ''} onChange={(e) => setUrl(e.target.value)} placeholder="wss://voice.example.com/signaling" data-testid="backend-remote-url" />
          </label>
          <button type="submit">Save</button>
        </form>
      )}
      {appInfo?.modeReason && <p className="subtle small">Browser mode: {appInfo.modeReason}</p>}
    </section>
  )
}

import type React from 'react'
import { useEffect, useState } from 'react'
import { redactText } from '../../../shared/logging/redact'
import { useAppStore } from '../stores/appStore'
import { useBackendRankingStore } from '../stores/backendRankingStore'
import { backendStateTone, StatusDot } from './StatusDot'


export function BackendPanel(): React.JSX.Element {
  const backend = useAppStore((s) => s.backend)
  const settings = useAppStore((s) => s.settings)
  const appInfo = useAppStore((s) => s.appInfo)
  const updateSettings = useAppStore((s) => s.updateSettings)
  const restartBackend = useAppStore((s) => s.restartBackend)
  const [url, setUrl] = useState<string>('')
  const mode = settings?.backend.mode ?? 'embedded'
  const api = useAppStore((s) => s.api)
  const ranking = useBackendRankingStore((s) => s.ranking)
  const attachRanking = useBackendRankingStore((s) => s.attach)
  useEffect(() => (api ? attachRanking(api) : undefined), [api, attachRanking])
  const savedUrls = settings ? [...new Set([settings.backend.remoteUrl, ...settings.backend.remoteUrls].filter((u): u is string => !!u))].join('\n') : ''

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
        {/* Without its per-run token: this view ends up in screenshots of bug reports. */}
        <dd className="mono" data-testid="backend-url">{backend?.signalingUrl ? redactText(backend.signalingUrl) : '—'}</dd>
        <dt>Workers</dt>
        <dd>{backend?.workers ?? '—'}</dd>
        <dt>App</dt>
        <dd>{appInfo ? `v${appInfo.version} · ${appInfo.mode === 'electron' ? 'desktop' : 'browser mode'} · ${appInfo.platform}` : '—'}</dd>
        <dt>Round trip</dt>
        <dd data-testid="backend-rtt">{backend?.rttMs != null ? `${backend.rttMs.toFixed(0)} ms` : '—'}</dd>
      </dl>
      {ranking && ranking.backends.length > 0 && (
        <ol className="small" data-testid="backend-ranking" aria-label="Backends by round trip">
          {ranking.backends.map((b) => (
            <li key={b.url} data-testid="backend-ranking-item" data-url={b.url} data-in-use={b.url === ranking.inUse ? 'true' : 'false'} data-reachable={b.reachable ? 'true' : 'false'}>
              <span className="mono">{b.url}</span> — {b.reachable && b.rttMs !== null ? `${b.rttMs.toFixed(0)} ms` : 'unreachable'}
              {b.url === ranking.inUse && <strong> (in use)</strong>}
            </li>
          ))}
        </ol>
      )}
      {ranking?.lastFailover && (
        <p className="detail" role="status" data-testid="backend-failover">
          Failed over at {new Date(ranking.lastFailover.at).toLocaleTimeString()}: {ranking.lastFailover.from} ({ranking.lastFailover.reason}) →{' '}
          {ranking.lastFailover.to ?? 'no other backend answered'}
        </p>
      )}
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
            // One URL per line: the first is also kept as remoteUrl; with several, the nearest (by RTT) is joined.
            const urls = [...new Set((url || savedUrls).split(/[\s,]+/).filter(Boolean))]
            void updateSettings({ backend: { remoteUrl: urls[0] ?? null, remoteUrls: urls } })
          }}
        >
          <label className="field grow">
            <span>Server URLs (one per line; the nearest is used)</span>
            <textarea rows={2} value={url || savedUrls} onChange={(e) => setUrl(e.target.value)} placeholder="wss://voice.example.com/signaling" data-testid="backend-remote-url" />
          </label>
          <button type="submit">Save</button>
        </form>
      )}
      {appInfo?.modeReason && <p className="subtle small">Browser mode: {appInfo.modeReason}</p>}
    </section>
  )
}

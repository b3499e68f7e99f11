import type React from 'react'
import { useAppStore } from '../stores/appStore'
import { downloadStatus, useLocalSttStore } from '../stores/localSttStore'

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`
}

/**
 * On-device speech recognition: the model catalog (download with progress, cancel, delete) and the transcripts the
 * local engine produced while the backend was unavailable (or the user chose local). When an utterance could not be
 * transcribed because no model is installed, the panel says so next to the download button.
 */
export function LocalSttPanel(): React.JSX.Element {
  const api = useAppStore((s) => s.api)
  const transcription = useAppStore((s) => s.settings?.listening.transcription ?? 'auto')
  const updateSettings = useAppStore((s) => s.updateSettings)
  const { models, progress, transcripts, error, download, cancelDownload, deleteModel } = useLocalSttStore()

  const noModel = !models.some((m) => m.state === 'installed')
  const lastMissing = transcripts.length > 0 && transcripts[transcripts.length - 1]!.engine === 'none'

  return (
    <section className="card" aria-labelledby="local-stt-title" data-testid="local-stt-panel">
      <div className="card-head">
        <h2 id="local-stt-title">Local speech recognition</h2>
        <span className={`pill ${noModel ? '' : 'pill-ok'}`} data-testid="local-stt-state">
          {noModel ? 'no model' : 'ready'}
        </span>
      </div>
      <label className="toggle">
        <input type="checkbox" checked={transcription === 'local'} onChange={(e) => void updateSettings({ listening: { transcription: e.target.checked ? 'local' : 'auto' } })} data-testid="stt-local-only" />
        Always transcribe on this device (otherwise only when the backend is unreachable)
      </label>
      {noModel && (
        <p className={`detail ${lastMissing ? 'detail-error' : ''}`} data-testid="stt-no-model">
          {lastMissing ? 'Speech could not be transcribed: no on-device model is installed. ' : 'No on-device model is installed yet. '}
          Download one below (or import it from the conversation view&apos;s setup) to keep working when the backend is unavailable.
        </p>
      )}
      <ul className="small model-list" data-testid="stt-models">
        {models.map((m) => {
          const p = progress[m.id]
          const downloading = m.state === 'downloading' || p?.state === 'downloading'
          const status = downloadStatus(m, p)
          return (
            <li key={m.id} data-model={m.id} data-state={m.state}>
              <strong>{m.name}</strong> · {mb(m.sizeBytes)} · {m.license}
              {m.recommended && <span className="subtle"> · recommended</span>}
              {downloading && (
                <>
                  <progress max={100} value={status.percent} aria-label={`Downloading ${m.name}`} data-testid={`model-progress-${m.id}`} />
                  <span className="subtle">
                    {status.amount}
                    {status.rate && ` · ${status.rate}`}
                    {status.message && ` · ${status.message}`}
                  </span>
                </>
              )}
              {downloading ? (
                <button type="button" onClick={() => cancelDownload(m.id)} data-testid={`model-cancel-${m.id}`}>
                  Cancel
                </button>
              ) : m.state === 'installed' ? (
                <button type="button" onClick={() => deleteModel(m.id)} data-testid={`model-delete-${m.id}`}>
                  Delete
                </button>
              ) : (
                <button type="button" className="primary" disabled={!api} onClick={() => download(m.id)} data-testid={`model-download-${m.id}`}>
                  {m.receivedBytes > 0 ? `Resume download (${mb(m.receivedBytes)} of ${mb(m.sizeBytes)})` : 'Download'}
                </button>
              )}
              {(p?.error ?? m.error) && <span className="detail detail-error"> {p?.error ?? m.error}</span>}
            </li>
          )
        })}
      </ul>
      {error && <p className="detail detail-error">{error}</p>}
      <ol className="small" data-testid="stt-transcripts">
        {transcripts.map((t, i) => (
          <li key={`${t.utteranceId}-${i}`} data-error={t.error ? 'true' : 'false'}>
            {t.error ? <span className="subtle">#{t.utteranceId}: {t.error}</span> : <>#{t.utteranceId} “{t.text}” <span className="subtle">({t.engine}, {t.transcriptionMs} ms for {(t.audioMs / 1000).toFixed(1)} s)</span></>}
          </li>
        ))}
      </ol>
    </section>
  )
}

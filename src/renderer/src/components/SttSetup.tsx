import type React from 'react'
import { useState } from 'react'
import { formatBytes } from '../../../shared/models/transferFormat'
import { useAppStore } from '../stores/appStore'
import { downloadStatus, offeredModel, sttSetupNeeded, useLocalSttStore } from '../stores/localSttStore'

/**
 * First-run speech recognition: when nothing can transcribe (no cloud STT, no on-device model), the main view says so
 * in one sentence and offers the download (size and licence, a real progress bar with speed and time left, cancel,
 * the automatic resume said out loud), a mirror for networks where the model host is blocked, and an import from a
 * folder or archive for offline machines. After the install it says the next turn uses it.
 */
export function SttSetup(): React.JSX.Element | null {
  const settings = useAppStore((s) => s.settings)
  const desktop = useAppStore((s) => s.appInfo?.mode === 'electron')
  const { models, progress, cloudKey, justInstalled, importing, importResult } = useLocalSttStore()
  const [panel, setPanel] = useState<'none' | 'import' | 'mirror'>('none')
  const needed = sttSetupNeeded({ settings, cloudKey, models })
  const model = offeredModel(models)
  const installed = justInstalled ? models.find((m) => m.id === justInstalled) : null
  if (installed && installed.state === 'installed') {
    return (
      <section className="setup setup-done" role="status" data-testid="stt-setup" data-phase="installed">
        <p>
          <strong>{installed.name}</strong> is installed: what you say next is transcribed on this computer.
        </p>
        <button type="button" className="quiet" onClick={() => useLocalSttStore.getState().dismissInstalled()}>
          OK
        </button>
      </section>
    )
  }
  if (!needed || !model) return null
  const status = downloadStatus(model, progress[model.id])
  const busy = status.state === 'downloading' || status.state === 'resuming'
  const { download, cancelDownload } = useLocalSttStore.getState()
  return (
    <section className="setup" aria-labelledby="stt-setup-title" data-testid="stt-setup" data-phase={status.state}>
      <h2 id="stt-setup-title" className="setup-title">
        Speech recognition is not set up yet: download the on-device model once, or add a speech-to-text key in Settings.
      </h2>
      <p className="setup-model">
        {model.name} · {formatBytes(model.sizeBytes)} ·{' '}
        <a href={model.licenseUrl} target="_blank" rel="noreferrer">
          {model.license} licence
        </a>
        {settings?.models.mirrorBaseUrl && <span> · from {new URL(settings.models.mirrorBaseUrl).host}</span>}
      </p>
      {status.state !== 'idle' && (
        <div className="setup-progress">
          <progress max={100} value={status.percent} aria-label={`Downloading ${model.name}`} data-testid="stt-setup-progress" />
          <p className="small" data-testid="stt-setup-progress-text">
            {Math.floor(status.percent)}% · {status.amount}
            {status.rate && ` · ${status.rate}`}
          </p>
          {status.message && (
            <p className={status.state === 'error' ? 'setup-error' : 'setup-resuming'} role={status.state === 'error' ? 'alert' : 'status'} data-testid="stt-setup-message">
              {status.message}
            </p>
          )}
        </div>
      )}
      <div className="setup-actions">
        {busy ? (
          <button type="button" onClick={() => cancelDownload(model.id)} data-testid="stt-setup-cancel">
            Cancel
          </button>
        ) : (
          <button type="button" className="primary" onClick={() => download(model.id)} data-testid="stt-setup-download">
            {status.state === 'partial' || status.state === 'error' ? `Resume download (${status.amount})` : `Download ${formatBytes(model.sizeBytes)}`}
          </button>
        )}
        <button type="button" className="quiet" aria-expanded={panel === 'import'} onClick={() => setPanel(panel === 'import' ? 'none' : 'import')} data-testid="stt-setup-import-open">
          Import from a folder or archive…
        </button>
        <button type="button" className="quiet" aria-expanded={panel === 'mirror'} onClick={() => setPanel(panel === 'mirror' ? 'none' : 'mirror')} data-testid="stt-setup-mirror-open">
          Use a mirror…
        </button>
      </div>
      {panel === 'import' && <ImportForm desktop={desktop} importing={importing} />}
      {panel === 'mirror' && <MirrorForm current={settings?.models.mirrorBaseUrl ?? null} />}
      {importResult && (
        <p className={importResult.ok ? 'small' : 'setup-error'} role={importResult.ok ? 'status' : 'alert'} data-testid="stt-setup-import-result">
          {importResult.message}
        </p>
      )}
    </section>
  )
}

function ImportForm({ desktop, importing }: { desktop: boolean; importing: boolean }): React.JSX.Element {
  const [path, setPath] = useState('')
  const { importFrom, chooseSource } = useLocalSttStore.getState()
  const choose = async (kind: 'folder' | 'archive'): Promise<void> => {
    const chosen = await chooseSource(kind)
    if (chosen) setPath(chosen)
  }
  return (
    <form
      className="setup-form"
      onSubmit={(e) => {
        e.preventDefault()
        void importFrom(path.trim())
      }}
    >
      <label className="field grow">
        <span>A folder holding the model&apos;s files, or a .tar / .tar.gz of it (checked against the catalog&apos;s SHA-256 before anything is installed)</span>
        <input value={path} onChange={(e) => setPath(e.target.value)} placeholder="/media/usb/moonshine-tiny" data-testid="stt-setup-import-path" />
      </label>
      <div className="row">
        {desktop && (
          <>
            <button type="button" onClick={() => void choose('folder')}>
              Choose folder…
            </button>
            <button type="button" onClick={() => void choose('archive')}>
              Choose archive…
            </button>
          </>
        )}
        <button type="submit" className="primary" disabled={importing || path.trim() === ''} data-testid="stt-setup-import">
          {importing ? 'Checking…' : 'Import'}
        </button>
      </div>
    </form>
  )
}

function MirrorForm({ current }: { current: string | null }): React.JSX.Element {
  const [url, setUrl] = useState(current ?? '')
  const [saved, setSaved] = useState<string | null>(null)
  return (
    <form
      className="setup-form"
      onSubmit={(e) => {
        e.preventDefault()
        void useAppStore
          .getState()
          .updateSettings({ models: { mirrorBaseUrl: url.trim() || null } })
          .then((ok) => setSaved(ok ? (url.trim() ? 'Saved: downloads come from this mirror.' : 'Saved: downloads come from the model host.') : null))
      }}
    >
      <label className="field grow">
        <span>Mirror base URL, for networks where the model host is blocked (the same paths under another address; the files are still checked)</span>
        <input value={url} onChange={(e) => setUrl(e.target.value)} placeholder="https://hf-mirror.com" data-testid="stt-setup-mirror" />
      </label>
      <div className="row">
        <button type="submit" className="primary" data-testid="stt-setup-mirror-save">
          Save
        </button>
        {saved && (
          <span className="small" role="status" data-testid="stt-setup-mirror-saved">
            {saved}
          </span>
        )}
      </div>
    </form>
  )
}

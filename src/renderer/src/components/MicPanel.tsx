import type React from 'react'
import { useEffect } from 'react'
import type { Settings } from '../../../shared/contract/settings'
import { useAppStore } from '../stores/appStore'
import { useMicStore } from '../stores/micStore'
import { InputDeviceSelect } from './InputDeviceSelect'

function levelPercent(dbfs: number): number {
  // Map -60..0 dBFS onto the bar; quieter is empty.
  return Math.max(0, Math.min(100, ((dbfs + 60) / 60) * 100))
}

export function MicPanel(): React.JSX.Element {
  const settings = useAppStore((s) => s.settings)
  const updateSettings = useAppStore((s) => s.updateSettings)
  const mic = useMicStore()
  const audio = settings?.audio

  // Once per mount: the store's actions are read from the store itself, so the effect depends on nothing.
  useEffect(() => {
    void useMicStore.getState().refreshDevices()
    return () => useMicStore.getState().stop()
  }, [])

  const restartIfLive = (next: Settings['audio']): void => {
    if (useMicStore.getState().live) void mic.start(next)
  }
  const setAudio = async (patch: Partial<Settings['audio']>): Promise<void> => {
    if (!audio) return
    if (await updateSettings({ audio: patch })) restartIfLive({ ...audio, ...patch })
  }

  return (
    <section className="card" aria-labelledby="mic-title" data-testid="mic-panel">
      <div className="card-head">
        <h2 id="mic-title">Microphone</h2>
        <span className={`pill ${mic.live ? 'pill-ok' : ''}`} data-testid="mic-state">
          {mic.live ? 'live' : mic.permission === 'denied' ? 'blocked' : 'off'}
        </span>
      </div>
      <label className="field">
        <span>Input device</span>
        <InputDeviceSelect value={audio?.inputDeviceId ?? null} disabled={!audio} onChange={(inputDeviceId) => void setAudio({ inputDeviceId })} testId="mic-device" />
      </label>
      <div className="meter" role="meter" aria-label="Input level" aria-valuemin={-100} aria-valuemax={0} aria-valuenow={Math.round(mic.levelDbfs)}>
        <div className="meter-fill" style={{ width: `${levelPercent(mic.levelDbfs)}%` }} />
      </div>
      <div className="row spread">
        <span className="subtle small" data-testid="mic-level">
          {mic.live ? `${mic.activeLabel ?? 'mic'} · ${mic.levelDbfs.toFixed(0)} dBFS (peak ${mic.peakDbfs.toFixed(0)})` : 'Test your microphone before you talk.'}
        </span>
        {mic.live ? (
          <button type="button" onClick={() => mic.stop()} data-testid="mic-stop">
            Stop test
          </button>
        ) : (
          <button type="button" className="primary" disabled={!audio} onClick={() => audio && void mic.start(audio)} data-testid="mic-start">
            Test microphone
          </button>
        )}
      </div>
      {mic.error && (
        <p className="detail detail-error" data-testid="mic-error">
          {mic.error}
        </p>
      )}
      <fieldset className="toggles" disabled={!audio}>
        <legend>Processing</legend>
        {(
          [
            ['echoCancellation', 'Echo cancellation'],
            ['noiseSuppression', 'Noise suppression'],
            ['autoGainControl', 'Automatic gain']
          ] as const
        ).map(([key, label]) => (
          <label key={key} className="toggle">
            <input type="checkbox" checked={audio?.[key] ?? false} onChange={(e) => void setAudio({ [key]: e.target.checked })} data-testid={`audio-${key}`} />
            {label}
          </label>
        ))}
      </fieldset>
    </section>
  )
}

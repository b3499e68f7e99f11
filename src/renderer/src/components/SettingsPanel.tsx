import type React from 'react'
import { useCallback, useEffect, useState } from 'react'
import { secretNames, type SecretName } from '../../../shared/contract/secrets'
import { hotkeyActionLabels, type HotkeyAction, type Settings } from '../../../shared/contract/settings'
import { acceleratorFromKeyChord, findHotkeyProblems, findHotkeyWarnings, toHotkeyPlatform } from '../../../shared/hotkeys/accelerator'
import type { TalkKeyStatus } from '../../../shared/contract/talk'
import { useAppStore } from '../stores/appStore'
import { useSettingsPageStore, type SettingsSection } from '../stores/settingsPageStore'
import { Dialog } from './Dialog'
import { InputDeviceSelect } from './InputDeviceSelect'
import './Settings.css'

/** Opens the settings dialog; also opened by the tray menu ("Settings…") through the userCommand event. */
export function SettingsButton(): React.JSX.Element {
  const setOpen = useSettingsPageStore((s) => s.setOpen)
  return (
    <button type="button" className="settings-button" onClick={() => setOpen(true)} data-testid="settings-open">
      <svg viewBox="0 0 24 24" aria-hidden="true">
        <path d="M12 15.5a3.5 3.5 0 1 0 0-7 3.5 3.5 0 0 0 0 7Z" fill="none" strokeWidth="1.8" />
        <path
          d="M19.4 15a1.7 1.7 0 0 0 .3 1.8l.1.1a2 2 0 1 1-2.8 2.8l-.1-.1a1.7 1.7 0 0 0-1.8-.3 1.7 1.7 0 0 0-1 1.5V21a2 2 0 1 1-4 0v-.1a1.7 1.7 0 0 0-1.1-1.5 1.7 1.7 0 0 0-1.8.3l-.1.1a2 2 0 1 1-2.8-2.8l.1-.1a1.7 1.7 0 0 0 .3-1.8 1.7 1.7 0 0 0-1.5-1H3a2 2 0 1 1 0-4h.1a1.7 1.7 0 0 0 1.5-1.1 1.7 1.7 0 0 0-.3-1.8l-.1-.1a2 2 0 1 1 2.8-2.8l.1.1a1.7 1.7 0 0 0 1.8.3H9a1.7 1.7 0 0 0 1-1.5V3a2 2 0 1 1 4 0v.1a1.7 1.7 0 0 0 1 1.5 1.7 1.7 0 0 0 1.8-.3l.1-.1a2 2 0 1 1 2.8 2.8l-.1.1a1.7 1.7 0 0 0-.3 1.8V9a1.7 1.7 0 0 0 1.5 1H21a2 2 0 1 1 0 4h-.1a1.7 1.7 0 0 0-1.5 1Z"
          fill="none"
          strokeWidth="1.8"
        />
      </svg>
      Settings
    </button>
  )
}

function SaveResult({ section }: { section: SettingsSection | 'secrets' }): React.JSX.Element | null {
  const result = useSettingsPageStore((s) => s.results[section])
  if (!result) return null
  return (
    <p className={result.ok ? 'small subtle' : 'detail detail-error'} role={result.ok ? 'status' : 'alert'} data-testid={`settings-result-${section}`}>
      {result.message}
    </p>
  )
}

function Section(props: { id: SettingsSection; title: string; children: React.ReactNode; onSave: () => void }): React.JSX.Element {
  return (
    <form
      className="card"
      aria-labelledby={`settings-${props.id}-title`}
      data-testid={`settings-${props.id}`}
      onSubmit={(e) => {
        e.preventDefault()
        props.onSave()
      }}
    >
      <div className="card-head">
        <h2 id={`settings-${props.id}-title`}>{props.title}</h2>
        <button type="submit" className="primary" data-testid={`settings-save-${props.id}`}>
          Save
        </button>
      </div>
      {props.children}
      <SaveResult section={props.id} />
    </form>
  )
}

function Toggle(props: { label: string; checked: boolean; onChange: (v: boolean) => void; testId: string }): React.JSX.Element {
  return (
    <label className="toggle">
      <input type="checkbox" checked={props.checked} onChange={(e) => props.onChange(e.target.checked)} data-testid={props.testId} />
      {props.label}
    </label>
  )
}

function AudioSection({ settings }: { settings: Settings }): React.JSX.Element {
  const save = useSettingsPageStore((s) => s.save)
  const [draft, setDraft] = useState(settings.audio)
  return (
    <Section id="audio" title="Microphone" onSave={() => void save('audio', { audio: draft })}>
      <label className="field">
        <span>Input device</span>
        <InputDeviceSelect value={draft.inputDeviceId} onChange={(inputDeviceId) => setDraft({ ...draft, inputDeviceId })} testId="settings-input-device" />
      </label>
      <fieldset className="toggles">
        <Toggle label="Echo cancellation" checked={draft.echoCancellation} onChange={(v) => setDraft({ ...draft, echoCancellation: v })} testId="settings-echo" />
        <Toggle label="Noise suppression" checked={draft.noiseSuppression} onChange={(v) => setDraft({ ...draft, noiseSuppression: v })} testId="settings-noise" />
        <Toggle label="Auto gain" checked={draft.autoGainControl} onChange={(v) => setDraft({ ...draft, autoGainControl: v })} testId="settings-agc" />
      </fieldset>
    </Section>
  )
}

function ListeningSection({ settings }: { settings: Settings }): React.JSX.Element {
  const save = useSettingsPageStore((s) => s.save)
  const [draft, setDraft] = useState(settings.listening)
  // Number fields keep the typed text so an out-of-range value reaches the service and is refused with its reason.
  const [threshold, setThreshold] = useState(String(settings.listening.vadThreshold))
  const [silence, setSilence] = useState(String(settings.listening.vadMinSilenceMs))
  const [replyPause, setReplyPause] = useState(String(settings.listening.replyAfterPauseMs))
  const [completePause, setCompletePause] = useState(String(settings.listening.replyAfterCompleteMs))
  const [unfinishedPause, setUnfinishedPause] = useState(String(settings.listening.unfinishedPauseMs))
  const [bargeInWords, setBargeInWords] = useState(String(settings.listening.bargeInMinWords))
  return (
    <Section
      id="listening"
      title="Listening"
      onSave={() =>
        void save('listening', {
          listening: {
            ...draft,
            vadThreshold: Number(threshold),
            vadMinSilenceMs: Number(silence),
            replyAfterPauseMs: Number(replyPause),
            replyAfterCompleteMs: Number(completePause),
            unfinishedPauseMs: Number(unfinishedPause),
            bargeInMinWords: Number(bargeInWords)
          }
        })
      }
    >
      <label className="field">
        <span>Mode</span>
        <select value={draft.mode} onChange={(e) => setDraft({ ...draft, mode: e.target.value as Settings['listening']['mode'] })} data-testid="settings-mode">
          <option value="push-to-talk">Push to talk (hotkey)</option>
          <option value="hands-free">Hands-free (voice activity detection)</option>
        </select>
      </label>
      <label className="field">
        <span>Push-to-talk key</span>
        <select
          value={draft.pushToTalkStyle}
          onChange={(e) => setDraft({ ...draft, pushToTalkStyle: e.target.value as Settings['listening']['pushToTalkStyle'] })}
          data-testid="settings-ptt-style"
        >
          <option value="auto">Hold where possible, else press to toggle</option>
          <option value="hold">Hold to talk</option>
          <option value="toggle">Press to start, press again to stop</option>
        </select>
      </label>
      <div className="row">
        <label className="field">
          <span>Speech threshold (0.05–0.95)</span>
          <input type="number" step="0.05" value={threshold} onChange={(e) => setThreshold(e.target.value)} data-testid="settings-vad-threshold" />
        </label>
        <label className="field">
          <span>Silence that ends a turn (ms)</span>
          <input type="number" step="20" value={silence} onChange={(e) => setSilence(e.target.value)} data-testid="settings-vad-silence" />
        </label>
      </div>
      <h3 className="settings-subhead">When the assistant answers</h3>
      <p className="small subtle">
        After you stop talking, the assistant waits a moment that depends on how finished your sentence sounds. If you go on talking, its reply stops and your
        sentence continues.
      </p>
      <div className="row">
        <label className="field" title="A finished question or request, like “What time is it?”: the reply starts after this short pause.">
          <span>After a finished request (ms, 0–2000)</span>
          <input type="number" step="10" value={completePause} onChange={(e) => setCompletePause(e.target.value)} data-testid="settings-reply-complete" />
        </label>
        <label
          className="field"
          title="When it cannot tell whether you finished. At or above the silence that ends a turn, the reply waits for the end of the turn."
        >
          <span>When unsure (ms, 160–5000)</span>
          <input type="number" step="20" value={replyPause} onChange={(e) => setReplyPause(e.target.value)} data-testid="settings-reply-pause" />
        </label>
        <label className="field" title="Your sentence stopped mid-way, like “Set a timer for …” or “… and”: the assistant waits this long for the rest.">
          <span>After an unfinished sentence (ms, 200–5000)</span>
          <input type="number" step="50" value={unfinishedPause} onChange={(e) => setUnfinishedPause(e.target.value)} data-testid="settings-unfinished-pause" />
        </label>
      </div>
      <h3 className="settings-subhead">Interrupting the assistant</h3>
      <div className="row">
        <label className="field" title="Talking over a reply pauses it at once. It stops for good once you said this many words; “mhm”, “uh-huh” and other sounds do not count, and with fewer words the reply goes on where it was.">
          <span>Words that stop a reply (1–5)</span>
          <input type="number" step="1" value={bargeInWords} onChange={(e) => setBargeInWords(e.target.value)} data-testid="settings-barge-in-words" />
        </label>
        <p className="small subtle grow">
          Talking over a reply pauses it at once; it stops for good after this many words. Sounds like “mhm” or a cough do not count: with fewer words the reply goes
          on where it was.
        </p>
      </div>
    </Section>
  )
}

const hotkeyActions = Object.keys(hotkeyActionLabels) as HotkeyAction[]

function HotkeysSection({ settings, platform }: { settings: Settings; platform: string }): React.JSX.Element {
  const save = useSettingsPageStore((s) => s.save)
  const [draft, setDraft] = useState<Record<HotkeyAction, string>>(
    Object.fromEntries(hotkeyActions.map((a) => [a, settings.hotkeys[a] ?? ''])) as Record<HotkeyAction, string>
  )
  const [recording, setRecording] = useState<HotkeyAction | null>(null)
  const hotkeyPlatform = toHotkeyPlatform(platform)
  const bindings = Object.fromEntries(hotkeyActions.map((a) => [a, draft[a].trim() || null]))
  const problems = findHotkeyProblems(bindings, hotkeyPlatform, hotkeyActionLabels)
  const warnings = findHotkeyWarnings(bindings, hotkeyPlatform, hotkeyActionLabels)

  return (
    <Section id="hotkeys" title="Global hotkeys" onSave={() => void save('hotkeys', { hotkeys: bindings })}>
      <p className="small subtle">Work in every app. Click Record and press the combination, or type an accelerator such as CommandOrControl+Shift+Space. Leave empty to unbind.</p>
      {hotkeyActions.map((action) => (
        <div className="row" key={action}>
          <label className="field grow">
            <span>{hotkeyActionLabels[action]}</span>
            <input
              value={recording === action ? 'Press the keys…' : draft[action]}
              readOnly={recording === action}
              onChange={(e) => setDraft({ ...draft, [action]: e.target.value })}
              onKeyDown={(e) => {
                if (recording !== action) return
                e.preventDefault()
                if (e.key === 'Escape' && !e.ctrlKey && !e.altKey && !e.metaKey && !e.shiftKey) {
                  setRecording(null)
                  return
                }
                const text = acceleratorFromKeyChord(e, hotkeyPlatform)
                if (text) {
                  setDraft({ ...draft, [action]: text })
                  setRecording(null)
                }
              }}
              onBlur={() => setRecording((r) => (r === action ? null : r))}
              data-testid={`settings-hotkey-${action}`}
              placeholder="not set"
            />
          </label>
          <button
            type="button"
            onClick={(e) => {
              setRecording(action)
              ;(e.currentTarget.parentElement?.querySelector('input') as HTMLInputElement | null)?.focus()
            }}
          >
            Record
          </button>
          <button type="button" onClick={() => setDraft({ ...draft, [action]: '' })}>
            Clear
          </button>
        </div>
      ))}
      {problems.length > 0 && (
        <ul className="detail detail-error" data-testid="settings-hotkey-problems">
          {problems.map((p) => (
            <li key={p.message}>{p.message}</li>
          ))}
        </ul>
      )}
      {warnings.length > 0 && (
        <ul className="detail" data-testid="settings-hotkey-warnings">
          {warnings.map((w) => (
            <li key={w.message}>{w.message}</li>
          ))}
        </ul>
      )}
      <TalkKeyLine />
    </Section>
  )
}

/** How the talk key reaches the app here (or which fallback is in use), and the command to bind on any desktop. */
function TalkKeyLine(): React.JSX.Element | null {
  const api = useAppStore((s) => s.api)
  const [status, setStatus] = useState<TalkKeyStatus | null>(null)
  useEffect(() => {
    if (!api) return
    api.getTalkKeyStatus({}).then(setStatus, () => setStatus(null))
    return api.on('talkKeyStatus', setStatus)
  }, [api])
  if (!status) return null
  return (
    <p className="small subtle" data-testid="settings-talk-key">
      {status.detail} Command-line trigger to bind: <code>{status.cliBinding}</code>
    </p>
  )
}

function BackendSection({ settings }: { settings: Settings }): React.JSX.Element {
  const save = useSettingsPageStore((s) => s.save)
  const [mode, setMode] = useState(settings.backend.mode)
  const [url, setUrl] = useState(settings.backend.remoteUrl ?? '')
  const [moreUrls, setMoreUrls] = useState(settings.backend.remoteUrls.filter((u) => u !== settings.backend.remoteUrl).join('\n'))
  const remoteUrls = (): string[] => [...new Set(moreUrls.split(/[\s,]+/).filter(Boolean))]
  return (
    <Section id="backend" title="Backend" onSave={() => void save('backend', { backend: { mode, remoteUrl: url.trim() || null, remoteUrls: remoteUrls() } })}>
      <label className="field">
        <span>Where the voice loop runs</span>
        <select value={mode} onChange={(e) => setMode(e.target.value as Settings['backend']['mode'])} data-testid="settings-backend-mode">
          <option value="embedded">Local (embedded on this computer)</option>
          <option value="remote">Remote server</option>
        </select>
      </label>
      <label className="field">
        <span>Remote server URL</span>
        <input value={url} onChange={(e) => setUrl(e.target.value)} placeholder="wss://voice.example.com/signaling" data-testid="settings-backend-url" />
      </label>
      <label className="field">
        <span>More server URLs, one per line (the app joins the one with the lowest round trip and fails over to the next)</span>
        <textarea rows={2} value={moreUrls} onChange={(e) => setMoreUrls(e.target.value)} placeholder="wss://eu.voice.example.com/signaling" data-testid="settings-backend-urls" />
      </label>
    </Section>
  )
}

const stageLabels = { stt: 'Speech to text', llm: 'Language model', tts: 'Text to speech' } as const
type Stage = keyof typeof stageLabels

function ProvidersSection({ settings }: { settings: Settings }): React.JSX.Element {
  const save = useSettingsPageStore((s) => s.save)
  const [draft, setDraft] = useState(settings.providers)
  const patch = Object.fromEntries(
    (Object.keys(stageLabels) as Stage[]).map((stage) => [
      stage,
      { provider: draft[stage].provider.trim(), model: draft[stage].model?.trim() || null, baseUrl: draft[stage].baseUrl?.trim() || null }
    ])
  ) as Settings['providers']
  return (
    <Section id="providers" title="Providers" onSave={() => void save('providers', { providers: patch })}>
      {(Object.keys(stageLabels) as Stage[]).map((stage) => (
        <fieldset className="toggles" key={stage}>
          <legend>{stageLabels[stage]}</legend>
          <label className="field">
            <span>Provider</span>
            <input value={draft[stage].provider} onChange={(e) => setDraft({ ...draft, [stage]: { ...draft[stage], provider: e.target.value } })} data-testid={`settings-provider-${stage}`} />
          </label>
          <label className="field">
            <span>Model (empty = provider default)</span>
            <input value={draft[stage].model ?? ''} onChange={(e) => setDraft({ ...draft, [stage]: { ...draft[stage], model: e.target.value } })} data-testid={`settings-model-${stage}`} />
          </label>
          <label className="field grow">
            <span>Endpoint (empty = provider default)</span>
            <input value={draft[stage].baseUrl ?? ''} onChange={(e) => setDraft({ ...draft, [stage]: { ...draft[stage], baseUrl: e.target.value } })} data-testid={`settings-baseurl-${stage}`} />
          </label>
        </fieldset>
      ))}
    </Section>
  )
}

function ApiKeysSection(): React.JSX.Element {
  const secrets = useSettingsPageStore((s) => s.secrets)
  const setSecret = useSettingsPageStore((s) => s.setSecret)
  const clearSecret = useSettingsPageStore((s) => s.clearSecret)
  const [values, setValues] = useState<Partial<Record<SecretName, string>>>({})
  return (
    <section className="card" aria-labelledby="settings-keys-title" data-testid="settings-keys">
      <div className="card-head">
        <h2 id="settings-keys-title">API keys</h2>
        <span className={`pill ${secrets?.storage.available ? 'pill-ok' : ''}`} data-testid="settings-keys-storage">
          {secrets ? (secrets.storage.available ? `encrypted (${secrets.storage.kind})` : 'cannot store keys here') : '…'}
        </span>
      </div>
      {secrets?.storage.reason && <p className="small subtle" data-testid="settings-keys-reason">{secrets.storage.reason}</p>}
      <p className="small subtle">Keys are encrypted by the app and never shown again; this page only knows whether one is set.</p>
      {secretNames.map((name) => (
        <form
          className="row"
          key={name}
          onSubmit={(e) => {
            e.preventDefault()
            void setSecret(name, (values[name] ?? '').trim()).then((ok) => ok && setValues({ ...values, [name]: '' }))
          }}
        >
          <label className="field grow">
            <span>
              {stageLabels[name.split('.')[0] as Stage]} key · <strong data-testid={`settings-key-state-${name}`}>{secrets?.keys[name] ? 'set' : 'not set'}</strong>
            </span>
            <input type="password" autoComplete="off" value={values[name] ?? ''} onChange={(e) => setValues({ ...values, [name]: e.target.value })} data-testid={`settings-key-${name}`} />
          </label>
          <button type="submit" data-testid={`settings-key-save-${name}`}>
            Save key
          </button>
          <button type="button" disabled={!secrets?.keys[name]} onClick={() => void clearSecret(name)} data-testid={`settings-key-clear-${name}`}>
            Remove
          </button>
        </form>
      ))}
      <SaveResult section="secrets" />
    </section>
  )
}

function InterfaceSection({ settings }: { settings: Settings }): React.JSX.Element {
  const save = useSettingsPageStore((s) => s.save)
  const [draft, setDraft] = useState(settings.ui)
  return (
    <Section id="ui" title="Interface" onSave={() => void save('ui', { ui: draft })}>
      <fieldset className="toggles">
        <Toggle label="Latency overlay" checked={draft.showLatencyOverlay} onChange={(v) => setDraft({ ...draft, showLatencyOverlay: v })} testId="settings-overlay" />
        <Toggle label="Status pill while listening" checked={draft.showStatusPill} onChange={(v) => setDraft({ ...draft, showStatusPill: v })} testId="settings-pill" />
      </fieldset>
      <label className="field">
        <span>Theme</span>
        <select value={draft.theme} onChange={(e) => setDraft({ ...draft, theme: e.target.value as Settings['ui']['theme'] })} data-testid="settings-theme">
          <option value="system">System</option>
          <option value="light">Light</option>
          <option value="dark">Dark</option>
        </select>
      </label>
    </Section>
  )
}

function ModelsSection({ settings }: { settings: Settings }): React.JSX.Element {
  const save = useSettingsPageStore((s) => s.save)
  const [mirror, setMirror] = useState(settings.models.mirrorBaseUrl ?? '')
  return (
    <Section id="models" title="On-device speech models" onSave={() => void save('models', { models: { mirrorBaseUrl: mirror.trim() || null } })}>
      <label className="field">
        <span>Download mirror (empty = the model host; for networks where it is blocked, e.g. https://hf-mirror.com)</span>
        <input value={mirror} onChange={(e) => setMirror(e.target.value)} placeholder="https://hf-mirror.com" data-testid="settings-mirror" />
      </label>
      <p className="small subtle">Downloaded or imported models are checked against the catalog&apos;s SHA-256 before they are installed. Diagnostics → Local speech recognition lists them.</p>
    </Section>
  )
}

function SystemSection({ settings, desktop }: { settings: Settings; desktop: boolean }): React.JSX.Element {
  const save = useSettingsPageStore((s) => s.save)
  const [startAtLogin, setStartAtLogin] = useState(settings.system.startAtLogin)
  return (
    <Section id="system" title="System" onSave={() => void save('system', { system: { startAtLogin } })}>
      <Toggle label="Start at login (in the tray)" checked={startAtLogin} onChange={setStartAtLogin} testId="settings-login" />
      {!desktop && <p className="small subtle">Takes effect in the desktop app.</p>}
    </Section>
  )
}

/**
 * Settings: a modal dialog (focus moves in, stays in, and goes back; Escape closes). Each section saves on its own
 * and shows its own result.
 */
export function SettingsPanel(): React.JSX.Element {
  const open = useSettingsPageStore((s) => s.open)
  const setOpen = useSettingsPageStore((s) => s.setOpen)
  const settings = useAppStore((s) => s.settings)
  const appInfo = useAppStore((s) => s.appInfo)
  const api = useAppStore((s) => s.api)

  useEffect(() => {
    if (!api) return
    return api.on('userCommand', ({ command }) => {
      if (command === 'openSettings') setOpen(true)
    })
  }, [api, setOpen])

  const close = useCallback(() => setOpen(false), [setOpen])
  return (
    <Dialog open={open} onClose={close} labelledBy="settings-title" className="settings-dialog" testId="settings-panel">
      <div className="dialog-head">
        <h1 id="settings-title">Settings</h1>
        <button type="button" onClick={close} data-testid="settings-close">
          Close
        </button>
      </div>
      {!settings ? (
        <p className="banner">Loading settings…</p>
      ) : (
        // Each section is keyed by its stored value: a change saved elsewhere (tray, hotkey) resets that section's
        // draft, while unsaved edits in other sections survive.
        <div className="settings-sections">
          <AudioSection key={JSON.stringify(settings.audio)} settings={settings} />
          <ListeningSection key={JSON.stringify(settings.listening)} settings={settings} />
          <HotkeysSection key={JSON.stringify(settings.hotkeys)} settings={settings} platform={appInfo?.platform ?? 'linux'} />
          <BackendSection key={JSON.stringify(settings.backend)} settings={settings} />
          <InterfaceSection key={JSON.stringify(settings.ui)} settings={settings} />
          <SystemSection key={JSON.stringify(settings.system)} settings={settings} desktop={appInfo?.mode === 'electron'} />
          <ProvidersSection key={JSON.stringify(settings.providers)} settings={settings} />
          <ApiKeysSection />
          <ModelsSection key={JSON.stringify(settings.models)} settings={settings} />
        </div>
      )}
    </Dialog>
  )
}

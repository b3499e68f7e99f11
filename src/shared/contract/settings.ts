import { z } from 'zod'
import { parseAccelerator } from '../hotkeys/accelerator'
import { DEFAULT_BARGE_IN_MIN_WORDS, DEFAULT_REPLY_AFTER_COMPLETE_MS, DEFAULT_REPLY_AFTER_PAUSE_MS, DEFAULT_UNFINISHED_PAUSE_MS } from '../voice/endpointer'
import { parseMirrorBase } from '../models/mirrorBase'

/**
 * User settings, persisted as JSON. `version` is bumped whenever a change needs a migration (a field renamed, moved
 * or reinterpreted; a new field simply takes its default); `migrateSettings` lifts any older file to the current
 * version so a user's choices survive upgrades.
 */
export const SETTINGS_VERSION = 1

export const audioSettingsSchema = z.object({
  /** MediaDeviceInfo.deviceId of the chosen microphone; null = system default. */
  inputDeviceId: z.string().max(512).nullable(),
  echoCancellation: z.boolean(),
  noiseSuppression: z.boolean(),
  autoGainControl: z.boolean()
})

export const backendSettingsSchema = z.object({
  /** embedded: the app starts its own backend on loopback. remote: connect to remoteUrl. */
  mode: z.enum(['embedded', 'remote']),
  remoteUrl: z
    .string()
    .max(2048)
    .regex(/^wss?:\/\/[^\s]+$/, 'must be a ws:// or wss:// URL')
    .nullable(),
  /**
   * Several remote backends: the app measures the signaling round trip to each, joins the nearest and fails over to
   * the next when it is lost. `remoteUrl` (if set) is a candidate too, so older settings keep working.
   */
  remoteUrls: z
    .array(z.string().max(2048).regex(/^wss?:\/\/[^\s]+$/, 'must be a ws:// or wss:// URL'))
    .max(8, 'at most 8 backend URLs')
})

/** The remote backends to choose from: `remoteUrl` first, then `remoteUrls`, without duplicates. */
export function backendCandidateUrls(backend: Settings['backend']): string[] {
  return [...new Set([backend.remoteUrl, ...backend.remoteUrls].filter((u): u is string => typeof u === 'string' && u.length > 0))]
}

export const uiSettingsSchema = z.object({
  showLatencyOverlay: z.boolean(),
  theme: z.enum(['system', 'light', 'dark']),
  /** A compact always-on-top status pill while listening (desktop app only). */
  showStatusPill: z.boolean()
})

/** One global hotkey: an Electron accelerator ("CommandOrControl+Shift+Space"), or null = not bound. */
export const acceleratorSettingSchema = z
  .string()
  .max(64)
  .nullable()
  .superRefine((value, ctx) => {
    if (value === null) return
    const parsed = parseAccelerator(value)
    if (!parsed.ok) ctx.addIssue({ code: 'custom', message: `"${value}" ${parsed.error}` })
  })

/**
 * Global hotkeys. Duplicates and OS-reserved chords depend on the platform, so AppCore checks them
 * (findHotkeyProblems) before saving; this schema checks each accelerator's grammar.
 */
export const hotkeySettingsSchema = z.object({
  /** Held to talk in push-to-talk mode (src/main/hotkeys/pushToTalkHotkey.ts). */
  pushToTalk: acceleratorSettingSchema,
  /** Starts/stops listening (hands-free) from anywhere. */
  toggleListening: acceleratorSettingSchema,
  toggleMute: acceleratorSettingSchema,
  showWindow: acceleratorSettingSchema,
  /** Shows/hides the latency overlay (flips ui.showLatencyOverlay, like the tray menu's checkbox). */
  toggleLatencyOverlay: acceleratorSettingSchema
})
export type HotkeySettings = z.infer<typeof hotkeySettingsSchema>
export type HotkeyAction = keyof HotkeySettings
export const hotkeyActionLabels: Record<HotkeyAction, string> = {
  pushToTalk: 'Push to talk',
  toggleListening: 'Start/stop listening',
  toggleMute: 'Mute microphone',
  showWindow: 'Show/hide window',
  toggleLatencyOverlay: 'Show/hide latency overlay'
}

/** A whole number of ms within [min, max], whose errors say the range. */
function msSetting(min: number, max: number) {
  const range = `must be a whole number of ms from ${min} to ${max}`
  return z.number({ error: range }).int(range).min(min, range).max(max, range)
}

export const listeningSettingsSchema = z.object({
  /** push-to-talk: the mic is live while the hotkey is held. hands-free: VAD decides when the user speaks. */
  mode: z.enum(['push-to-talk', 'hands-free']),
  /**
   * How the push-to-talk hotkey works: hold (key-down starts, key-up ends; needs uiohook key-up events) or toggle
   * (press to start, press again to stop; works wherever Electron globalShortcut works, e.g. Wayland). auto = hold
   * where uiohook runs, toggle otherwise.
   */
  pushToTalkStyle: z.enum(['auto', 'hold', 'toggle']),
  /** Local VAD: speech probability that starts speech (0.5 = Silero's recommendation); ends at this − 0.15. */
  vadThreshold: z.number().min(0.05).max(0.95),
  /** Local VAD: silence that ends a turn (ms). */
  vadMinSilenceMs: z.number().int().min(160).max(5000),
  /**
   * The pause after which the assistant starts answering, before the turn ends (the turn stays open: talking on
   * stops that reply and the sentence continues). At or above vadMinSilenceMs the reply waits for the end of the turn.
   * The turn policy uses it when it cannot tell whether the sentence is finished.
   */
  replyAfterPauseMs: z.number().int().min(160).max(5000),
  /** The pause before the reply when what was said is a finished request or question ("what time is it?"). */
  replyAfterCompleteMs: msSetting(0, 2000),
  /** The pause the assistant waits out when the sentence stopped mid-way ("set a timer for …", "and", "um"). */
  unfinishedPauseMs: msSetting(200, 5000),
  /**
   * Words (not "mhm", "uh-huh" or other backchannels) the user must say over a reply before it stops for good; with
   * fewer, the reply pauses and then goes on where it was.
   */
  bargeInMinWords: z.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1 word').max(5, 'must be at most 5 words'),
  /** Who turns speech into text: auto = the backend when reachable, the on-device model otherwise; local = always on-device. */
  transcription: z.enum(['auto', 'local'])
})

export const systemSettingsSchema = z.object({
  /** Open the app (hidden, in the tray) when the user logs in. */
  startAtLogin: z.boolean()
})

/** One provider choice for a pipeline stage. API keys are NOT here: they live in the SecretsStore (encrypted). */
export const providerChoiceSchema = z.object({
  /** Provider id, e.g. "openai"; the provider registry (issue 6) defines which ids exist. */
  provider: z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'must be a provider id (lowercase letters, digits, -)'),
  /** Model name; null = the provider's default. */
  model: z.string().min(1).max(128).nullable(),
  /** Custom https endpoint (self-hosted / proxy); null = the provider's default. */
  baseUrl: z
    .string()
    .max(2048)
    .regex(/^https:\/\/[^\s]+$|^http:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d+)?(\/[^\s]*)?$/, 'must be an https:// URL (http:// only for localhost)')
    .nullable()
})
export const providerSettingsSchema = z.object({
  stt: providerChoiceSchema,
  llm: providerChoiceSchema,
  tts: providerChoiceSchema
})

/** On-device speech models (the first-run setup, the model downloads). */
export const modelSettingsSchema = z.object({
  /**
   * Download the models from this mirror of the model host (same paths under another base URL, e.g.
   * https://hf-mirror.com) where the default host is blocked; null = the catalog's own URLs. The catalog's SHA-256
   * still decide what is installed.
   */
  mirrorBaseUrl: z
    .string()
    .max(2048)
    .nullable()
    .superRefine((value, ctx) => {
      if (value === null) return
      const parsed = parseMirrorBase(value)
      if (parsed instanceof Error) ctx.addIssue({ code: 'custom', message: parsed.message })
    })
})

export const settingsSchema = z.object({
  version: z.literal(SETTINGS_VERSION),
  audio: audioSettingsSchema,
  backend: backendSettingsSchema,
  ui: uiSettingsSchema,
  hotkeys: hotkeySettingsSchema,
  listening: listeningSettingsSchema,
  system: systemSettingsSchema,
  providers: providerSettingsSchema,
  models: modelSettingsSchema
})
export type Settings = z.infer<typeof settingsSchema>

/** A partial update: every section optional, every field inside a section optional. Unknown keys are rejected. */
export const settingsPatchSchema = z
  .object({
    audio: audioSettingsSchema.partial().strict().optional(),
    backend: backendSettingsSchema.partial().strict().optional(),
    ui: uiSettingsSchema.partial().strict().optional(),
    hotkeys: hotkeySettingsSchema.partial().strict().optional(),
    listening: listeningSettingsSchema.partial().strict().optional(),
    system: systemSettingsSchema.partial().strict().optional(),
    models: modelSettingsSchema.partial().strict().optional(),
    providers: z
      .object({ stt: providerChoiceSchema.partial().strict(), llm: providerChoiceSchema.partial().strict(), tts: providerChoiceSchema.partial().strict() })
      .partial()
      .strict()
      .optional()
  })
  .strict()
export type SettingsPatch = z.infer<typeof settingsPatchSchema>

export function defaultSettings(): Settings {
  return {
    version: SETTINGS_VERSION,
    // Browser DSP on by default: most users talk to a laptop mic with speakers on; echo cancellation is what keeps
    // the assistant from hearing itself.
    audio: { inputDeviceId: null, echoCancellation: true, noiseSuppression: true, autoGainControl: true },
    backend: { mode: 'embedded', remoteUrl: null, remoteUrls: [] },
    ui: { showLatencyOverlay: true, theme: 'system', showStatusPill: true },
    // Unbound by default except push-to-talk: a fresh install must not grab chords other apps may use.
    hotkeys: { pushToTalk: 'CommandOrControl+Shift+Space', toggleListening: null, toggleMute: null, showWindow: null, toggleLatencyOverlay: null },
    // VAD defaults mirror DEFAULT_ENDPOINTER_CONFIG (src/shared/voice/endpointer.ts), where they are justified.
    listening: { mode: 'push-to-talk', pushToTalkStyle: 'auto', vadThreshold: 0.5, vadMinSilenceMs: 640,
      replyAfterPauseMs: DEFAULT_REPLY_AFTER_PAUSE_MS,
      replyAfterCompleteMs: DEFAULT_REPLY_AFTER_COMPLETE_MS,
      unfinishedPauseMs: DEFAULT_UNFINISHED_PAUSE_MS,
      bargeInMinWords: DEFAULT_BARGE_IN_MIN_WORDS,
      transcription: 'auto'
    },
    system: { startAtLogin: false },
    providers: {
      stt: { provider: 'openai', model: null, baseUrl: null },
      llm: { provider: 'openai', model: null, baseUrl: null },
      tts: { provider: 'openai', model: null, baseUrl: null }
    },
    models: { mirrorBaseUrl: null }
  }
}

export function applySettingsPatch(current: Settings, patch: SettingsPatch): Settings {
  const next: Settings = {
    version: current.version,
    audio: { ...current.audio, ...patch.audio },
    backend: { ...current.backend, ...patch.backend },
    ui: { ...current.ui, ...patch.ui },
    hotkeys: { ...current.hotkeys, ...patch.hotkeys },
    listening: { ...current.listening, ...patch.listening },
    system: { ...current.system, ...patch.system },
    providers: {
      stt: { ...current.providers.stt, ...patch.providers?.stt },
      llm: { ...current.providers.llm, ...patch.providers?.llm },
      tts: { ...current.providers.tts, ...patch.providers?.tts }
    },
    models: { ...current.models, ...patch.models }
  }
  // Validate the merged result: a patch can be valid alone yet produce an invalid whole in the future (cross-field
  // rules), and this is the single place such rules are enforced.
  return settingsSchema.parse(next)
}

export type MigrationResult =
  | { ok: true; settings: Settings; migratedFrom: number | null; notices: string[] }
  | { ok: false; reason: string }

type Migration = (older: Record<string, unknown>) => Record<string, unknown>

/**
 * migrations[n] lifts a version-n object to version n+1. Version 0 is the pre-release file that had no `version`
 * field and stored the backend URL flat as `backendUrl`.
 */
const migrations: Record<number, Migration> = {
  0: (old) => {
    const { backendUrl, ...rest } = old
    const backend = typeof backendUrl === 'string' && backendUrl ? { mode: 'remote', remoteUrl: backendUrl } : undefined
    return { ...rest, ...(backend ? { backend } : {}), version: 1 }
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * Turn whatever was read from disk into current settings. Missing sections/fields take defaults (a file written by
 * an older build simply lacks newer fields); fields that fail validation are reset to defaults with a notice; a file
 * from a newer app version or one that is not an object is refused so the caller can back it up.
 */
export function migrateSettings(raw: unknown): MigrationResult {
  if (!isRecord(raw)) return { ok: false, reason: 'settings file does not contain a JSON object' }
  const rawVersion = raw.version ?? 0
  if (typeof rawVersion !== 'number' || !Number.isInteger(rawVersion) || rawVersion < 0) {
    return { ok: false, reason: `settings version ${JSON.stringify(rawVersion)} is not a valid version` }
  }
  if (rawVersion > SETTINGS_VERSION) {
    return { ok: false, reason: `settings were written by a newer version of the app (v${rawVersion}, this app reads up to v${SETTINGS_VERSION})` }
  }
  let current: Record<string, unknown> = raw
  for (let v = rawVersion; v < SETTINGS_VERSION; v++) {
    const step = migrations[v]
    if (!step) return { ok: false, reason: `no migration from settings v${v}` }
    current = step(current)
  }
  const defaults = defaultSettings()
  const notices: string[] = []
  const section = <K extends Exclude<keyof Settings, 'version' | 'providers'>>(key: K, schema: z.ZodType<Settings[K]>): Settings[K] => {
    const given = isRecord(current[key]) ? (current[key] as Record<string, unknown>) : {}
    const merged: Record<string, unknown> = { ...defaults[key] }
    for (const field of Object.keys(defaults[key])) {
      if (!(field in given)) continue
      const candidate = { ...merged, [field]: given[field] }
      if (schema.safeParse(candidate).success) merged[field] = given[field]
      else notices.push(`${key}.${field} had an invalid value and was reset to its default`)
    }
    return schema.parse(merged)
  }
  const settings: Settings = {
    version: SETTINGS_VERSION,
    audio: section('audio', audioSettingsSchema),
    backend: section('backend', backendSettingsSchema),
    ui: section('ui', uiSettingsSchema),
    hotkeys: section('hotkeys', hotkeySettingsSchema),
    listening: section('listening', listeningSettingsSchema),
    system: section('system', systemSettingsSchema),
    providers: migrateProviders(current.providers, defaults.providers, notices),
    // New in this version's schema without a version bump: a file without it takes the default (no mirror).
    models: section('models', modelSettingsSchema)
  }
  // A file from before the backend list: its single URL becomes the list's first entry.
  const backendGiven = isRecord(current.backend) ? current.backend : {}
  if (!('remoteUrls' in backendGiven) && settings.backend.remoteUrl) settings.backend.remoteUrls = [settings.backend.remoteUrl]
  return { ok: true, settings, migratedFrom: rawVersion === SETTINGS_VERSION ? null : rawVersion, notices }
}

/** Providers are nested one level deeper (stage → choice); each stage is lifted field by field like a section. */
function migrateProviders(raw: unknown, defaults: Settings['providers'], notices: string[]): Settings['providers'] {
  const given = isRecord(raw) ? raw : {}
  const out = { ...defaults }
  for (const stage of ['stt', 'llm', 'tts'] as const) {
    const stageGiven = isRecord(given[stage]) ? (given[stage] as Record<string, unknown>) : {}
    const merged: Record<string, unknown> = { ...defaults[stage] }
    for (const field of Object.keys(defaults[stage])) {
      if (!(field in stageGiven)) continue
      const candidate = { ...merged, [field]: stageGiven[field] }
      if (providerChoiceSchema.safeParse(candidate).success) merged[field] = stageGiven[field]
      else notices.push(`providers.${stage}.${field} had an invalid value and was reset to its default`)
    }
    out[stage] = providerChoiceSchema.parse(merged)
  }
  return out
}

import { z } from 'zod'

/**
 * User settings, persisted as JSON. `version` is bumped whenever the shape changes; `migrateSettings` lifts any
 * older file to the current version so a user's choices survive upgrades.
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
    .nullable()
})

export const uiSettingsSchema = z.object({
  showLatencyOverlay: z.boolean(),
  theme: z.enum(['system', 'light', 'dark'])
})

export const settingsSchema = z.object({
  version: z.literal(SETTINGS_VERSION),
  audio: audioSettingsSchema,
  backend: backendSettingsSchema,
  ui: uiSettingsSchema
})
export type Settings = z.infer<typeof settingsSchema>

/** A partial update: every section optional, every field inside a section optional. Unknown keys are rejected. */
export const settingsPatchSchema = z
  .object({
    audio: audioSettingsSchema.partial().strict().optional(),
    backend: backendSettingsSchema.partial().strict().optional(),
    ui: uiSettingsSchema.partial().strict().optional()
  })
  .strict()
export type SettingsPatch = z.infer<typeof settingsPatchSchema>

export function defaultSettings(): Settings {
  return {
    version: SETTINGS_VERSION,
    // Browser DSP on by default: most users talk to a laptop mic with speakers on; echo cancellation is what keeps
    // the assistant from hearing itself.
    audio: { inputDeviceId: null, echoCancellation: true, noiseSuppression: true, autoGainControl: true },
    backend: { mode: 'embedded', remoteUrl: null },
    ui: { showLatencyOverlay: true, theme: 'system' }
  }
}

export function applySettingsPatch(current: Settings, patch: SettingsPatch): Settings {
  const next: Settings = {
    version: current.version,
    audio: { ...current.audio, ...patch.audio },
    backend: { ...current.backend, ...patch.backend },
    ui: { ...current.ui, ...patch.ui }
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
  const section = <K extends 'audio' | 'backend' | 'ui'>(key: K, schema: z.ZodType<Settings[K]>): Settings[K] => {
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
    ui: section('ui', uiSettingsSchema)
  }
  return { ok: true, settings, migratedFrom: rawVersion === SETTINGS_VERSION ? null : rawVersion, notices }
}

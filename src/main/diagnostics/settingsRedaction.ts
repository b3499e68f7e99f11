import type { z } from 'zod'
import { settingsSchema, type Settings } from '../../shared/contract/settings'

/**
 * Settings as a bug report may show them, decided field by field from the settings schema: every leaf of
 * `settingsSchema` has a class here, and a leaf without one (a field added later) is shown only as "set" / "not
 * set" until someone classifies it (the test names it). API keys are not settings at all (the secrets store holds
 * them; the report says which are set), but URLs are: a backend URL carries its access token as `?token=`, and any
 * URL may carry `user:password@` or a key in its query.
 */
export type FieldPrivacy =
  /** Shown as it is (choices, numbers, accelerators). */
  | 'public'
  /** A URL: scheme, host, port and path shown; credentials and every query value replaced by "(set)". */
  | 'url'
  /** Shown only as "set" / "not set" (a device id: a persistent identifier). */
  | 'private'

export const SETTINGS_FIELD_PRIVACY: Readonly<Record<string, FieldPrivacy>> = {
  version: 'public',
  'audio.inputDeviceId': 'private',
  'audio.echoCancellation': 'public',
  'audio.noiseSuppression': 'public',
  'audio.autoGainControl': 'public',
  'backend.mode': 'public',
  'backend.remoteUrl': 'url',
  'backend.remoteUrls[]': 'url',
  'ui.showLatencyOverlay': 'public',
  'ui.theme': 'public',
  'ui.showStatusPill': 'public',
  'hotkeys.pushToTalk': 'public',
  'hotkeys.toggleListening': 'public',
  'hotkeys.toggleMute': 'public',
  'hotkeys.showWindow': 'public',
  'hotkeys.toggleLatencyOverlay': 'public',
  'listening.mode': 'public',
  'listening.pushToTalkStyle': 'public',
  'listening.vadThreshold': 'public',
  'listening.vadMinSilenceMs': 'public',
  'listening.replyAfterPauseMs': 'public',
  'listening.replyAfterCompleteMs': 'public',
  'listening.unfinishedPauseMs': 'public',
  'listening.bargeInMinWords': 'public',
  'listening.transcription': 'public',
  'system.startAtLogin': 'public',
  'providers.stt.provider': 'public',
  'providers.stt.model': 'public',
  'providers.stt.baseUrl': 'url',
  'providers.llm.provider': 'public',
  'providers.llm.model': 'public',
  'providers.llm.baseUrl': 'url',
  'providers.tts.provider': 'public',
  'providers.tts.model': 'public',
  'providers.tts.baseUrl': 'url',
  'models.mirrorBaseUrl': 'url'
}

type AnySchema = z.ZodType & { def: { type: string; shape?: Record<string, AnySchema>; innerType?: AnySchema; element?: AnySchema } }

/** The schema's leaves as paths (`backend.remoteUrl`, `backend.remoteUrls[]`), walking objects, arrays and wrappers. */
export function settingsLeafPaths(schema: z.ZodType = settingsSchema): string[] {
  const out: string[] = []
  const walk = (node: AnySchema, path: string): void => {
    const def = node.def
    if (def.type === 'object' && def.shape) for (const [key, child] of Object.entries(def.shape)) walk(child, path ? `${path}.${key}` : key)
    else if (def.type === 'array' && def.element) walk(def.element, `${path}[]`)
    else if ((def.type === 'nullable' || def.type === 'optional' || def.type === 'default') && def.innerType) walk(def.innerType, path)
    else out.push(path)
  }
  walk(schema as AnySchema, '')
  return out
}

/** A URL without what may be secret in it: `wss://user:pw@host/p?token=abc&x=1` → `wss://(set)@host/p?token=(set)&x=(set)`. */
export function redactUrl(value: string): string {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return '(set, not a URL)'
  }
  const credentials = url.username || url.password ? '(set)@' : ''
  const query = [...url.searchParams.keys()].map((key) => `${encodeURIComponent(key)}=(set)`).join('&')
  return `${url.protocol}//${credentials}${url.host}${url.pathname}${query ? `?${query}` : ''}${url.hash ? '#(set)' : ''}`
}

function show(value: unknown, privacy: FieldPrivacy | undefined): string {
  if (value === null || value === undefined || value === '') return privacy === 'public' ? JSON.stringify(value ?? null) : 'not set'
  if (privacy === 'public') return typeof value === 'string' ? value : JSON.stringify(value)
  if (privacy === 'url' && typeof value === 'string') return redactUrl(value)
  return 'set'
}

/** Every settings field as `path: shown value`, in schema order; arrays one line per item (`[0]`, `[1]`, …). */
export function redactSettings(settings: Settings, schema: z.ZodType = settingsSchema, classes: Readonly<Record<string, FieldPrivacy>> = SETTINGS_FIELD_PRIVACY): string[] {
  const lines: string[] = []
  for (const path of settingsLeafPaths(schema)) {
    const privacy = classes[path]
    const parts = path.split('.')
    let values: Array<{ label: string; value: unknown }> = [{ label: '', value: settings }]
    for (const part of parts) {
      const array = part.endsWith('[]')
      const key = array ? part.slice(0, -2) : part
      values = values.flatMap(({ label, value }) => {
        const next = (value as Record<string, unknown> | null | undefined)?.[key]
        const at = label ? `${label}.${key}` : key
        if (!array) return [{ label: at, value: next }]
        const items = Array.isArray(next) ? next : []
        return items.length === 0 ? [{ label: `${at}[]`, value: null }] : items.map((item, i) => ({ label: `${at}[${i}]`, value: item }))
      })
    }
    for (const { label, value } of values) lines.push(`${label}: ${show(value, privacy)}`)
  }
  return lines
}

import { describe, expect, it } from 'vitest'
import {
  applySettingsPatch,
  defaultSettings,
  migrateSettings,
  settingsPatchSchema,
  SETTINGS_VERSION
} from '../../../../src/shared/contract/settings'

describe('settings contract', () => {
  it('defaults are valid current-version settings', () => {
    const result = migrateSettings(defaultSettings())
    expect(result).toEqual({ ok: true, settings: defaultSettings(), migratedFrom: null, notices: [] })
  })

  it('migrates the unversioned v0 file, moving backendUrl into the backend section', () => {
    const result = migrateSettings({ backendUrl: 'wss://voice.example.com/signaling', ui: { theme: 'dark' } })
    expect(result.ok).toBe(true)
    if (!result.ok) return
    expect(result.migratedFrom).toBe(0)
    expect(result.settings.version).toBe(SETTINGS_VERSION)
    expect(result.settings.backend).toEqual({ mode: 'remote', remoteUrl: 'wss://voice.example.com/signaling', remoteUrls: ['wss://voice.example.com/signaling'] })
    expect(result.settings.ui.theme).toBe('dark')
    expect(result.settings.audio).toEqual(defaultSettings().audio)
  })

  it('resets only the invalid fields, keeping valid ones, and says which', () => {
    const raw = { ...defaultSettings(), audio: { ...defaultSettings().audio, echoCancellation: 'yes', noiseSuppression: false } }
    const result = migrateSettings(raw)
    expect(result.ok).toBe(true)
    if (!result.ok) return
    expect(result.settings.audio.echoCancellation).toBe(true)
    expect(result.settings.audio.noiseSuppression).toBe(false)
    expect(result.notices).toEqual(['audio.echoCancellation had an invalid value and was reset to its default'])
  })

  it('a file written before a field existed keeps its choices and takes the new field\'s default (reply after pause)', () => {
    const { replyAfterPauseMs: _, ...olderListening } = defaultSettings().listening
    const result = migrateSettings({ ...defaultSettings(), listening: { ...olderListening, vadMinSilenceMs: 900 } })
    expect(result).toMatchObject({ ok: true, notices: [], migratedFrom: null })
    if (!result.ok) return
    expect(result.settings.listening).toMatchObject({ vadMinSilenceMs: 900, replyAfterPauseMs: 320 })
    expect(() => applySettingsPatch(defaultSettings(), { listening: { replyAfterPauseMs: 100 } })).toThrow()
  })

  it('a file from before the turn policy settings takes their defaults; their bounds are refused with the range', () => {
    const { replyAfterCompleteMs: _c, unfinishedPauseMs: _u, bargeInMinWords: _b, ...olderListening } = defaultSettings().listening
    const result = migrateSettings({ ...defaultSettings(), listening: { ...olderListening, replyAfterPauseMs: 400 } })
    expect(result).toMatchObject({ ok: true, notices: [], migratedFrom: null })
    if (!result.ok) return
    expect(result.settings.listening).toMatchObject({ replyAfterPauseMs: 400, replyAfterCompleteMs: 150, unfinishedPauseMs: 1200, bargeInMinWords: 1 })

    const refused = (listening: Record<string, unknown>): string => {
      try {
        applySettingsPatch(defaultSettings(), settingsPatchSchema.parse({ listening }))
        return 'accepted'
      } catch (error) {
        return (error as Error).message
      }
    }
    expect(refused({ replyAfterCompleteMs: 2001 })).toContain('must be a whole number of ms from 0 to 2000')
    expect(refused({ replyAfterCompleteMs: -5 })).toContain('must be a whole number of ms from 0 to 2000')
    expect(refused({ unfinishedPauseMs: 150.5 })).toContain('must be a whole number of ms from 200 to 5000')
    expect(refused({ bargeInMinWords: 0 })).toContain('must be at least 1 word')
    expect(refused({ bargeInMinWords: 6 })).toContain('must be at most 5 words')
    expect(refused({ bargeInMinWords: 1.5 })).toContain('must be a whole number')
    expect(refused({ replyAfterCompleteMs: 0, unfinishedPauseMs: 5000, bargeInMinWords: 5 })).toBe('accepted')

    const stored = migrateSettings({ ...defaultSettings(), listening: { ...defaultSettings().listening, bargeInMinWords: 9, unfinishedPauseMs: 900 } })
    expect(stored).toMatchObject({ ok: true, notices: ['listening.bargeInMinWords had an invalid value and was reset to its default'] })
    expect(stored.ok && stored.settings.listening).toMatchObject({ bargeInMinWords: 1, unfinishedPauseMs: 900 })
  })

  it('refuses files from a newer app, non-objects and nonsense versions', () => {
    expect(migrateSettings({ version: SETTINGS_VERSION + 1 })).toMatchObject({ ok: false, reason: expect.stringContaining('newer version') })
    expect(migrateSettings([1, 2])).toMatchObject({ ok: false })
    expect(migrateSettings(null)).toMatchObject({ ok: false })
    expect(migrateSettings({ version: 'one' })).toMatchObject({ ok: false, reason: expect.stringContaining('not a valid version') })
    expect(migrateSettings({ version: -1 })).toMatchObject({ ok: false })
  })

  it('patch schema rejects unknown keys and wrong types', () => {
    expect(settingsPatchSchema.safeParse({ audio: { echoCancellation: false } }).success).toBe(true)
    expect(settingsPatchSchema.safeParse({ audio: { echoCancelation: false } }).success).toBe(false)
    expect(settingsPatchSchema.safeParse({ surprise: 1 }).success).toBe(false)
    expect(settingsPatchSchema.safeParse({ backend: { remoteUrl: 'http://not-ws' } }).success).toBe(false)
    expect(settingsPatchSchema.safeParse({ backend: { mode: 'cloud' } }).success).toBe(false)
  })

  it('applySettingsPatch merges sections without touching others', () => {
    const next = applySettingsPatch(defaultSettings(), { ui: { theme: 'light' } })
    expect(next.ui).toEqual({ ...defaultSettings().ui, theme: 'light' })
    expect(next.audio).toEqual(defaultSettings().audio)
  })

  it('models.mirrorBaseUrl: no mirror by default; a valid base is kept, a bad one refused with the installer\'s reason', () => {
    expect(defaultSettings().models).toEqual({ mirrorBaseUrl: null })
    expect(applySettingsPatch(defaultSettings(), { models: { mirrorBaseUrl: 'https://hf-mirror.com' } }).models.mirrorBaseUrl).toBe('https://hf-mirror.com')
    expect(() => applySettingsPatch(defaultSettings(), { models: { mirrorBaseUrl: 'hf-mirror.com' } })).toThrow(/is not a URL; give a base such as/)
    expect(settingsPatchSchema.safeParse({ models: { mirrorBaseUrl: 'https://u:p@m.example/' } }).success).toBe(false)
    // A file from before the setting existed takes the default; a file with a bad value is reset with a notice.
    const { models: _, ...older } = defaultSettings()
    const migrated = migrateSettings(older)
    expect(migrated).toMatchObject({ ok: true, notices: [] })
    expect(migrated.ok && migrated.settings.models).toEqual({ mirrorBaseUrl: null })
    const bad = migrateSettings({ ...defaultSettings(), models: { mirrorBaseUrl: 'ftp://x/' } })
    expect(bad.ok && bad.notices).toEqual(['models.mirrorBaseUrl had an invalid value and was reset to its default'])
  })
})

import { describe, expect, it } from 'vitest'
import { startOfflineCore } from '../../../helpers/offlineCore'
import { applySettingsPatch, defaultSettings, migrateSettings, settingsPatchSchema } from '../../../../src/shared/contract/settings'

describe('hotkeys, listening, system and provider settings', () => {
  it('a file written before these sections existed gets their defaults without notices', () => {
    const old = { version: 1, audio: defaultSettings().audio, backend: defaultSettings().backend, ui: { showLatencyOverlay: false, theme: 'dark' } }
    const result = migrateSettings(old)
    expect(result).toMatchObject({ ok: true, notices: [] })
    if (!result.ok) return
    expect(result.settings.hotkeys).toEqual(defaultSettings().hotkeys)
    expect(result.settings.providers).toEqual(defaultSettings().providers)
    expect(result.settings.ui).toEqual({ showLatencyOverlay: false, theme: 'dark', showStatusPill: true })
  })

  it('the v0 → v1 migration also yields the new sections', () => {
    const result = migrateSettings({ backendUrl: 'wss://x.example/s' })
    expect(result.ok && result.settings.listening.mode).toBe('push-to-talk')
  })

  it('invalid stored hotkeys and provider fields are reset one by one, with notices', () => {
    const raw = {
      ...defaultSettings(),
      hotkeys: { ...defaultSettings().hotkeys, pushToTalk: 'Banana', toggleListening: 'Alt+F9' },
      providers: { ...defaultSettings().providers, llm: { provider: 'Not An Id!', model: 'gpt-x', baseUrl: 'ftp://nope' } }
    }
    const result = migrateSettings(raw)
    expect(result.ok).toBe(true)
    if (!result.ok) return
    expect(result.settings.hotkeys.pushToTalk).toBe(defaultSettings().hotkeys.pushToTalk)
    expect(result.settings.hotkeys.toggleListening).toBe('Alt+F9')
    expect(result.settings.providers.llm).toEqual({ provider: 'openai', model: 'gpt-x', baseUrl: null })
    expect(result.notices).toEqual([
      'hotkeys.pushToTalk had an invalid value and was reset to its default',
      'providers.llm.provider had an invalid value and was reset to its default',
      'providers.llm.baseUrl had an invalid value and was reset to its default'
    ])
  })

  it('the patch schema validates accelerators, modes and provider URLs and has no place for API keys', () => {
    expect(settingsPatchSchema.safeParse({ hotkeys: { toggleMute: 'Alt+M' } }).success).toBe(true)
    expect(settingsPatchSchema.safeParse({ hotkeys: { toggleMute: null } }).success).toBe(true)
    const bad = settingsPatchSchema.safeParse({ hotkeys: { toggleMute: 'M' } })
    expect(bad.success).toBe(false)
    expect(bad.error?.issues[0]?.message).toContain('needs a modifier')
    expect(settingsPatchSchema.safeParse({ listening: { mode: 'always' } }).success).toBe(false)
    expect(settingsPatchSchema.safeParse({ providers: { stt: { baseUrl: 'http://evil.example/' } } }).success).toBe(false)
    expect(settingsPatchSchema.safeParse({ providers: { stt: { baseUrl: 'http://localhost:8080/v1' } } }).success).toBe(true)
    expect(settingsPatchSchema.safeParse({ providers: { stt: { apiKey: 'sk-123' } } }).success).toBe(false)
    const merged = applySettingsPatch(defaultSettings(), { providers: { tts: { model: 'tts-1' } } })
    expect(merged.providers.tts).toEqual({ provider: 'openai', model: 'tts-1', baseUrl: null })
    expect(merged.providers.stt).toEqual(defaultSettings().providers.stt)
  })

  it('AppCore refuses duplicate and OS-reserved hotkeys for its platform before saving', async () => {
    const core = await startOfflineCore({ appInfo: { platform: 'darwin' } })
    const dup = await core.dispatch('updateSettings', { hotkeys: { toggleListening: 'CommandOrControl+Shift+Space' } })
    expect(dup).toMatchObject({ ok: false, error: { code: 'invalid_params', issues: [expect.stringContaining('assigned to both Push to talk and Start/stop listening')] } })
    const reserved = await core.dispatch('updateSettings', { hotkeys: { showWindow: 'Command+Space' } })
    expect(reserved).toMatchObject({ ok: false, error: { issues: ['Show/hide window: Cmd+Space opens Spotlight on macOS; pick another combination'] } })
    expect(core.settings.get().hotkeys).toEqual(defaultSettings().hotkeys)
    const fine = await core.dispatch('updateSettings', { hotkeys: { showWindow: 'Alt+Shift+V' } })
    expect(fine).toMatchObject({ ok: true, result: { hotkeys: { showWindow: 'Alt+Shift+V' } } })
  })
})

import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { defaultSettings, settingsSchema, type Settings } from '../../../../src/shared/contract/settings'
import { redactSettings, redactUrl, SETTINGS_FIELD_PRIVACY, settingsLeafPaths } from '../../../../src/main/diagnostics/settingsRedaction'

const CANARY = 'Sup3rSecretCanary'

/** Settings with a secret in every place one can hide: tokens in backend URLs, credentials and keys in provider URLs. */
function settingsWithSecrets(): Settings {
  const s = defaultSettings()
  return settingsSchema.parse({
    ...s,
    audio: { ...s.audio, inputDeviceId: `device-${CANARY}` },
    backend: { mode: 'remote', remoteUrl: `wss://voice.example.com/signaling?token=va1.${CANARY}`, remoteUrls: [`wss://eu.example.com/s?token=${CANARY}`, `ws://10.0.0.5:7000/s?x=1&token=${CANARY}#${CANARY}`] },
    providers: {
      stt: { provider: 'openai', model: 'whisper-1', baseUrl: `https://user:${CANARY}@stt.example.com/v1` },
      llm: { provider: 'ollama', model: 'llama3', baseUrl: `http://localhost:11434/v1?key=${CANARY}` },
      tts: { provider: 'openai', model: null, baseUrl: `https://tts.example.com/v1?api_key=${CANARY}` }
    },
    models: { mirrorBaseUrl: `https://hf-mirror.com/base` }
  })
}

describe('settings redaction (by schema)', () => {
  it('every field of the settings schema is classified (a new field fails here, by name, until it is)', () => {
    const unclassified = settingsLeafPaths().filter((path) => !(path in SETTINGS_FIELD_PRIVACY))
    expect(unclassified, `classify these settings fields in SETTINGS_FIELD_PRIVACY (src/main/diagnostics/settingsRedaction.ts): ${unclassified.join(', ')}`).toEqual([])
    const stale = Object.keys(SETTINGS_FIELD_PRIVACY).filter((path) => !settingsLeafPaths().includes(path))
    expect(stale).toEqual([])
  })

  it('every secret-bearing field is redacted: no token, credential, key or device id survives', () => {
    const text = redactSettings(settingsWithSecrets()).join('\n')
    expect(text).not.toContain(CANARY)
    expect(text).toContain('backend.remoteUrl: wss://voice.example.com/signaling?token=(set)')
    expect(text).toContain('backend.remoteUrls[1]: ws://10.0.0.5:7000/s?x=(set)&token=(set)#(set)')
    expect(text).toContain('providers.stt.baseUrl: https://(set)@stt.example.com/v1')
    expect(text).toContain('audio.inputDeviceId: set')
    // Every field that is not public shows no part of its value beyond what redactUrl keeps.
    for (const [path, privacy] of Object.entries(SETTINGS_FIELD_PRIVACY)) if (privacy !== 'public') expect(text).toMatch(new RegExp(`^${path.replace(/[.[\]]/g, (c) => `\\${c}`).replace('\\[\\]', '\\[\\d+\\]')}: `, 'm'))
  })

  it('shows public choices as they are and absent values as not set', () => {
    const lines = redactSettings(defaultSettings())
    expect(lines).toContain('listening.mode: push-to-talk')
    expect(lines).toContain('listening.vadThreshold: 0.5')
    expect(lines).toContain('hotkeys.pushToTalk: CommandOrControl+Shift+Space')
    expect(lines).toContain('hotkeys.toggleMute: null')
    expect(lines).toContain('backend.remoteUrl: not set')
    expect(lines).toContain('backend.remoteUrls[]: not set')
    expect(lines).toContain('audio.inputDeviceId: not set')
    expect(lines).toContain('models.mirrorBaseUrl: not set')
  })

  it('a field it does not know is shown only as set (fail-safe); a value that is no URL is not shown', () => {
    const schema = settingsSchema.extend({ extra: z.object({ webhook: z.string() }) })
    const lines = redactSettings({ ...defaultSettings(), extra: { webhook: `https://hooks.example.com/${CANARY}` } } as Settings, schema)
    expect(lines).toContain('extra.webhook: set')
    expect(redactUrl('not a url ' + CANARY)).toBe('(set, not a URL)')
  })
})

import { describe, expect, it } from 'vitest'
import { parseOperatorProviders } from '../../../../src/server/auth/operatorProviders'

describe('operator providers file', () => {
  it('reads entries per stage, keys inline or from the environment', () => {
    const out = parseOperatorProviders(
      { stt: [{ name: 'whisper', baseUrl: 'http://10.0.0.5:8000/v1', model: 'whisper-1', apiKeyEnv: 'STT_KEY' }], llm: [{ name: 'local', baseUrl: 'http://10.0.0.6/v1', model: 'llama', label: 'LAN llama' }] },
      { STT_KEY: 'sk-stt' }
    )
    expect(out).toEqual({
      stt: [{ name: 'whisper', kind: 'openai-compatible', baseUrl: 'http://10.0.0.5:8000/v1', apiKey: 'sk-stt', model: 'whisper-1', label: 'whisper (operator)' }],
      llm: [{ name: 'local', kind: 'openai-compatible', baseUrl: 'http://10.0.0.6/v1', apiKey: null, model: 'llama', label: 'LAN llama' }],
      tts: []
    })
  })
  it('names every problem', () => {
    expect(() => parseOperatorProviders({ stt: [{ name: 'a', baseUrl: 'x', model: 'm' }] }, {})).toThrow(/stt\.0\.baseUrl/)
    expect(() => parseOperatorProviders({ stt: [], extra: 1 }, {})).toThrow(/providers file/)
    expect(() => parseOperatorProviders({ stt: [{ name: 'a', baseUrl: 'http://h/v1', model: 'm', apiKeyEnv: 'MISSING' }] }, {})).toThrow(/\$MISSING, which is not set/)
    expect(() => parseOperatorProviders({ tts: [{ name: 'a', baseUrl: 'http://h/v1', model: 'm' }, { name: 'a', baseUrl: 'http://h/v1', model: 'm' }] }, {})).toThrow(/two providers named "a"/)
    expect(() => parseOperatorProviders({ llm: [{ name: 'a', baseUrl: 'http://h/v1', model: 'm', apiKey: 'k', apiKeyEnv: 'K' }] }, { K: 'k' })).toThrow(/both apiKey and apiKeyEnv/)
  })
})

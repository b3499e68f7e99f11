import { describe, expect, it } from 'vitest'
import { isSecretFieldName, REDACTED, redactFields, redactText } from '../../../../src/shared/logging/redact'

describe('redact', () => {
  it('replaces secret-named fields at any depth, whatever the spelling', () => {
    const out = redactFields({ apiKey: 'sk-abcdefgh', provider: { api_key: 'x', name: 'openai' }, headers: { Authorization: 'Bearer abc' }, list: [{ token: 't' }], none: null })
    expect(out).toEqual({ apiKey: REDACTED, provider: { api_key: REDACTED, name: 'openai' }, headers: { Authorization: REDACTED }, list: [{ token: REDACTED }], none: null })
    for (const name of ['apiKey', 'API_KEY', 'token', 'accessToken', 'authorization', 'tokenSecret', 'set-cookie']) expect(isSecretFieldName(name)).toBe(true)
    for (const name of ['turnId', 'sessionId', 'provider', 'url', 'tokens']) expect(isSecretFieldName(name)).toBe(false)
  })

  it('scrubs secrets inside text: URL tokens, bearer values, access tokens, sk- keys', () => {
    expect(redactText('ready at ws://127.0.0.1:4000/signaling?token=abc_DEF-123&x=1')).toBe(`ready at ws://127.0.0.1:4000/signaling?token=${REDACTED}&x=1`)
    expect(redactText('http://127.0.0.1:5/?token=abc#api_key=zz')).toBe(`http://127.0.0.1:5/?token=${REDACTED}#api_key=${REDACTED}`)
    expect(redactText('Authorization: Bearer sk-live.123/abc')).toBe(`Authorization: Bearer ${REDACTED}`)
    expect(redactText('token va1.eyJzdWIiOiJhIn0.c2lnbmF0dXJl issued')).toBe(`token va1.${REDACTED} issued`)
    expect(redactText('HTTP 401: Incorrect API key provided: sk-test-stub1234')).toBe(`HTTP 401: Incorrect API key provided: sk-${REDACTED}`)
    expect(redactText('turn s1-t3 done in 420 ms')).toBe('turn s1-t3 done in 420 ms')
  })

  it('turns errors into name, message and stack (scrubbed), and bounds depth and length', () => {
    const error = Object.assign(new Error('GET https://x/?token=secret1 failed'), { code: 'ECONNRESET' })
    const out = redactFields({ error }) as { error: { name: string; message: string; stack: string; code: string } }
    expect(out.error).toMatchObject({ name: 'Error', message: `GET https://x/?token=${REDACTED} failed`, code: 'ECONNRESET' })
    expect(out.error.stack).not.toContain('secret1')
    expect(redactFields({ a: { b: { c: { d: { e: 1 } } } } })).toEqual({ a: { b: { c: { d: '[object]' } } } })
    expect((redactFields({ s: 'x'.repeat(5000) })!.s as string).length).toBeLessThan(4100)
    expect(redactFields(undefined)).toBeUndefined()
  })
})

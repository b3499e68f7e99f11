import { describe, expect, it } from 'vitest'
import { originAllowed, parseOriginEntry } from '../../../../src/server/auth/originPolicy'

describe('Origin allow-list', () => {
  const policy = { allowed: ['app://bundle', 'https://voice.example.com', 'http://127.0.0.1:*'] }
  it('lets Node clients (no Origin) and listed origins through, nothing else', () => {
    expect(originAllowed(undefined, policy)).toBe(true)
    expect(originAllowed('app://bundle', policy)).toBe(true)
    expect(originAllowed('https://voice.example.com', policy)).toBe(true)
    expect(originAllowed('HTTPS://VOICE.EXAMPLE.COM', policy)).toBe(true)
    expect(originAllowed('http://127.0.0.1:5173', policy)).toBe(true)
    expect(originAllowed('http://127.0.0.1', policy)).toBe(true)
    for (const o of ['https://evil.example', 'https://voice.example.com.evil.example', 'http://voice.example.com', 'null', '', 'http://127.0.0.1:80x', 'http://127.0.0.10:80', 'http://localhost:5173']) {
      expect(originAllowed(o, policy), o).toBe(false)
    }
  })
  it('an empty list admits only clients that send no Origin', () => {
    expect(originAllowed(undefined, { allowed: [] })).toBe(true)
    expect(originAllowed('app://bundle', { allowed: [] })).toBe(false)
  })
  it('checks --allow-origin values', () => {
    expect(parseOriginEntry('https://a.example:8443')).toBe('https://a.example:8443')
    expect(parseOriginEntry('http://[::1]:*')).toBe('http://[::1]:*')
    for (const bad of ['*', 'a.example', 'https://a.example/', 'https://a.example/x', 'https://*.example.com']) expect(() => parseOriginEntry(bad), bad).toThrow(/not an origin/)
  })
})

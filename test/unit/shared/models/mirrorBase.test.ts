import { describe, expect, it } from 'vitest'
import { parseMirrorBase } from '../../../../src/shared/models/mirrorBase'
import { parseMirrorBase as fromNode } from '../../../../src/node/models/mirror'

describe('parseMirrorBase', () => {
  it('accepts an http(s) base with or without a path, trimmed', () => {
    expect((parseMirrorBase(' https://hf-mirror.com ') as URL).href).toBe('https://hf-mirror.com/')
    expect((parseMirrorBase('http://cache.lan/hf/') as URL).pathname).toBe('/hf/')
  })
  it('refuses what cannot be a mirror base, saying why', () => {
    expect((parseMirrorBase('hf-mirror.com') as Error).message).toMatch(/is not a URL; give a base such as https:\/\/hf-mirror\.com/)
    expect((parseMirrorBase('ftp://m.example/') as Error).message).toBe('the mirror must be an http or https URL, not ftp:')
    expect((parseMirrorBase('https://m.example/#x') as Error).message).toMatch(/\?query or #fragment/)
    expect((parseMirrorBase('https://a:b@m.example/') as Error).message).toMatch(/user name or password/)
  })
  it('is the rule the installer uses', () => {
    expect(fromNode).toBe(parseMirrorBase)
  })
})

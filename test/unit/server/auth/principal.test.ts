import { describe, expect, it } from 'vitest'
import { anonymousPrincipal, APP_PRINCIPAL } from '../../../../src/server/auth/principal'

describe('principals', () => {
  it('the app is one principal with every pipeline; anonymous clients are counted by their address key', () => {
    expect(APP_PRINCIPAL).toEqual({ kind: 'app', id: 'app', pipelines: null })
    expect(anonymousPrincipal('203.0.113.7')).toEqual({ kind: 'anonymous', id: 'anonymous:203.0.113.7', pipelines: null })
    expect(anonymousPrincipal('2001:db8:1:2::/64').id).toBe('anonymous:2001:db8:1:2::/64')
  })
})

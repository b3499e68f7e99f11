import { describe, expect, it } from 'vitest'
import { addressKey, expandIPv6 } from '../../../../src/server/limits/addressKey'

describe('addressKey: what per-address limits count by', () => {
  it('keeps IPv4 as is and unwraps IPv4-mapped IPv6 (a dual-stack socket reports IPv4 peers that way)', () => {
    expect(addressKey('203.0.113.7')).toBe('203.0.113.7')
    expect(addressKey('::ffff:203.0.113.7')).toBe('203.0.113.7')
    expect(addressKey('::ffff:cb00:7107')).toBe('203.0.113.7')
  })
  it('counts IPv6 by /64: every address a host can pick from its prefix is the same key', () => {
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64')
    expect(addressKey('2001:db8:1:2:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64')
    expect(addressKey('2001:db8:1:3::1')).toBe('2001:db8:1:3::/64')
    expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64')
    expect(addressKey('::1')).toBe('0:0:0:0::/64')
  })
  it('expands IPv6 with :: anywhere and a dotted tail', () => {
    expect(expandIPv6('::')).toEqual([0, 0, 0, 0, 0, 0, 0, 0])
    expect(expandIPv6('1::')).toEqual([1, 0, 0, 0, 0, 0, 0, 0])
    expect(expandIPv6('1:2:3:4:5:6:7:8')).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
    expect(expandIPv6('64:ff9b::192.0.2.1')).toEqual([0x64, 0xff9b, 0, 0, 0, 0, 0xc000, 0x0201])
  })
  it('passes anything else through (never throws)', () => {
    expect(addressKey('')).toBe('unknown')
    expect(addressKey('not-an-ip')).toBe('not-an-ip')
  })
})

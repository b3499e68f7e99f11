import { describe, expect, it } from 'vitest'
import { nonPublicRange } from '../../../../src/server/auth/publicAddress'

describe('nonPublicRange: where a backend never sends a client-chosen request', () => {
  it('names loopback, private, link-local and the other special ranges, v4 and v6', () => {
    const cases: Array<[string, string]> = [
      ['127.0.0.1', 'loopback'],
      ['127.255.0.9', 'loopback'],
      ['::1', 'loopback'],
      ['[::1]', 'loopback'],
      ['0.0.0.0', 'unspecified'],
      ['::', 'unspecified'],
      ['10.1.2.3', 'private'],
      ['172.16.0.1', 'private'],
      ['172.31.255.255', 'private'],
      ['192.168.1.1', 'private'],
      ['fd00::1', 'private'],
      ['fc00::1', 'private'],
      ['169.254.169.254', 'link-local'],
      ['fe80::1', 'link-local'],
      ['fe80::1%eth0', 'link-local'],
      ['100.64.0.1', 'shared (carrier-grade NAT)'],
      ['192.0.2.1', 'documentation'],
      ['2001:db8::1', 'documentation'],
      ['224.0.0.1', 'multicast'],
      ['ff02::1', 'multicast'],
      ['255.255.255.255', 'reserved'],
      ['64:ff9b::7f00:1', 'IPv4-embedding (IPv4-compatible, NAT64, 6to4)'],
      ['2002:7f00:1::', 'IPv4-embedding (IPv4-compatible, NAT64, 6to4)'],
      ['::127.0.0.1', 'IPv4-embedding (IPv4-compatible, NAT64, 6to4)'],
      ['not-an-ip', 'not an IP address']
    ]
    for (const [ip, range] of cases) expect(nonPublicRange(ip), ip).toBe(range)
  })
  it('IPv4-mapped IPv6 is judged by its IPv4 address', () => {
    expect(nonPublicRange('::ffff:127.0.0.1')).toBe('loopback')
    expect(nonPublicRange('::ffff:7f00:1')).toBe('loopback')
    expect(nonPublicRange('::ffff:10.0.0.1')).toBe('private')
    expect(nonPublicRange('::ffff:169.254.169.254')).toBe('link-local')
    expect(nonPublicRange('::ffff:8.8.8.8')).toBeNull()
  })
  it('public addresses pass', () => {
    for (const ip of ['8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '2a00:1450:4001::1']) expect(nonPublicRange(ip), ip).toBeNull()
  })
})

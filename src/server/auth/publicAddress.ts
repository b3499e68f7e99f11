import { BlockList, isIP } from 'node:net'

/**
 * Address ranges a backend never sends a client-chosen request to (IANA special-purpose registries): what a server
 * can reach there (its own loopback services, the LAN, a cloud metadata endpoint at 169.254.169.254) is not the
 * client's to reach. Node's BlockList checks an IPv4-mapped IPv6 address (::ffff:127.0.0.1) against the IPv4 rules.
 * NAT64, 6to4 and Teredo prefixes embed IPv4 addresses that may be private, so they are refused whole.
 */
const RANGES: Array<[name: string, cidrs: string[]]> = [
  ['loopback', ['127.0.0.0/8', '::1/128']],
  ['unspecified', ['0.0.0.0/8', '::/128']],
  ['private', ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7']],
  ['link-local', ['169.254.0.0/16', 'fe80::/10', 'fec0::/10']],
  ['shared (carrier-grade NAT)', ['100.64.0.0/10']],
  ['IETF protocol assignment', ['192.0.0.0/24', '2001::/23']],
  ['documentation', ['192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24', '2001:db8::/32']],
  ['benchmarking', ['198.18.0.0/15']],
  ['multicast', ['224.0.0.0/4', 'ff00::/8']],
  ['reserved', ['240.0.0.0/4', '100::/64']],
  ['IPv4-embedding (IPv4-compatible, NAT64, 6to4)', ['::/96', '64:ff9b::/96', '64:ff9b:1::/48', '2002::/16']]
]

const LISTS = RANGES.map(([name, cidrs]) => {
  const list = new BlockList()
  for (const cidr of cidrs) {
    const [net, bits] = cidr.split('/') as [string, string]
    list.addSubnet(net, Number(bits), net.includes(':') ? 'ipv6' : 'ipv4')
  }
  return { name, list }
})

/** The kind of non-public range `ip` is in ("loopback", "private", …), or null for a public address. */
export function nonPublicRange(ip: string): string | null {
  const bare = ip.replace(/^\[|\]$/g, '').replace(/%.*$/, '')
  const family = isIP(bare)
  if (family === 0) return 'not an IP address'
  for (const { name, list } of LISTS) if (list.check(bare, family === 6 ? 'ipv6' : 'ipv4')) return name
  return null
}

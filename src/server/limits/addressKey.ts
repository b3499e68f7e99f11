import { isIPv4, isIPv6 } from 'node:net'

/**
 * The key a source address is counted under by the per-address limits. IPv4 as is (an IPv4-mapped IPv6 address,
 * as a dual-stack socket reports IPv4 peers, is unwrapped to its IPv4 form); IPv6 by its /64, because one host is
 * routinely handed a whole /64 and can pick a fresh address from it for every connection.
 */
export function addressKey(address: string): string {
  const bare = address.replace(/%.*$/, '') // zone id (fe80::1%eth0)
  if (isIPv4(bare)) return bare
  if (!isIPv6(bare)) return bare || 'unknown'
  const groups = expandIPv6(bare)
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `${groups[6]! >> 8}.${groups[6]! & 0xff}.${groups[7]! >> 8}.${groups[7]! & 0xff}`
  }
  return `${groups.slice(0, 4).map((g) => g.toString(16)).join(':')}::/64`
}

/** The eight 16-bit groups of a valid IPv6 address (`::` expanded, a trailing dotted IPv4 part converted). */
export function expandIPv6(address: string): number[] {
  let text = address
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)
  if (v4) {
    const [a, b, c, d] = v4[1]!.split('.').map(Number) as [number, number, number, number]
    text = text.slice(0, v4.index) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
  }
  const [head, tail] = text.includes('::') ? (text.split('::') as [string, string]) : [text, null]
  const parse = (part: string): number[] => (part ? part.split(':').map((g) => parseInt(g, 16)) : [])
  const front = parse(head)
  const back = tail === null ? [] : parse(tail)
  const zeros = tail === null ? 0 : 8 - front.length - back.length
  return [...front, ...Array<number>(zeros).fill(0), ...back]
}

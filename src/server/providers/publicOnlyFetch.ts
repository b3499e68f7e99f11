import { lookup as dnsLookup, type LookupAddress } from 'node:dns'
import { isIP, type LookupFunction } from 'node:net'
import { Agent, fetch as undiciFetch } from 'undici'
import { nonPublicRange } from '../auth/publicAddress'

/**
 * The HTTP client for a provider URL that a client brought (a standalone backend with `--client-providers
 * public-https`). The provider authority resolved the name and checked every address before it accepted the URL,
 * but the request happens later: a name can resolve elsewhere by then (DNS rebinding), and a server can redirect.
 * Here the address is checked again at the moment each connection is made (undici's connect-time lookup), so what
 * is connected to is what was checked, and redirects are refused instead of followed.
 */

type LookupAll = (hostname: string, callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void

export interface PublicOnlyFetchOptions {
  /** Name resolution (all addresses); node:dns lookup by default. Tests resolve names to loopback. */
  lookup?: LookupAll
  /** Which addresses may be connected to; public ones only by default. */
  allowAddress?: (address: string) => boolean
}

const defaultLookup: LookupAll = (hostname, callback) => dnsLookup(hostname, { all: true }, callback)
const isPublic = (address: string): boolean => nonPublicRange(address) === null

export class NonPublicAddressError extends Error {
  constructor(host: string, address: string) {
    super(`${host} resolves to ${address}, a ${nonPublicRange(address) ?? 'refused'} address: this backend sends nothing there`)
    this.name = 'NonPublicAddressError'
  }
}

export function publicOnlyFetch(opts: PublicOnlyFetchOptions = {}): typeof fetch {
  const lookup = opts.lookup ?? defaultLookup
  const allow = opts.allowAddress ?? isPublic
  const agent = new Agent({
    connect: {
      lookup: ((hostname, options, callback) => {
        // net.connect asks for all addresses (autoSelectFamily) or one; every address must pass either way.
        const answer = callback as (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void
        lookup(hostname, (error, addresses) => {
          if (error) return answer(error, '')
          const refused = addresses.find((a) => !allow(a.address))
          if (refused) return answer(new NonPublicAddressError(hostname, refused.address), '')
          if (addresses.length === 0) return answer(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '')
          if ((options as { all?: boolean }).all) return answer(null, addresses)
          return answer(null, addresses[0]!.address, addresses[0]!.family)
        })
      }) as LookupFunction
    }
  })
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url)
    const host = url.hostname.replace(/^\[|\]$/g, '')
    // An address literal is connected to without a lookup: check it here.
    if (isIP(host) && !allow(host)) throw new NonPublicAddressError(host, host)
    return undiciFetch(url, { ...(init as object), redirect: 'error', dispatcher: agent } as Parameters<typeof undiciFetch>[1])
  }) as unknown as typeof fetch
}

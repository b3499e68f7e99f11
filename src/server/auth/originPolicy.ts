/**
 * Which page origins may open a signaling WebSocket. Browsers always send `Origin` on a WebSocket handshake and a page
 * cannot forge it, so this is what stops a web page the user happens to open from driving a backend; Node clients
 * send none and are let through (they are not a browser's confused deputy; authentication still applies).
 * Entries are exact origins (`app://bundle`, `https://voice.example.com`) or an origin with port `*`
 * (`http://127.0.0.1:*`: any port on that scheme and host).
 */
export interface OriginPolicy {
  readonly allowed: readonly string[]
}

/** The desktop app's own pages (src/main/appProtocol.ts: app://bundle/). */
export const APP_ORIGIN = 'app://bundle'

export function originAllowed(origin: string | undefined, policy: OriginPolicy): boolean {
  if (origin === undefined) return true
  const o = origin.toLowerCase()
  return policy.allowed.some((entry) => {
    const e = entry.toLowerCase()
    if (e.endsWith(':*')) {
      const base = e.slice(0, -2)
      return o === base || (o.startsWith(`${base}:`) && /^\d{1,5}$/.test(o.slice(base.length + 1)))
    }
    return o === e
  })
}

/** Check an --allow-origin value: scheme://host[:port|:*], no path. */
export function parseOriginEntry(entry: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\/(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(:(\d{1,5}|\*))?$/i.test(entry)) {
    throw new Error(`--allow-origin ${JSON.stringify(entry)} is not an origin (scheme://host[:port], e.g. https://voice.example.com or http://127.0.0.1:*)`)
  }
  return entry
}

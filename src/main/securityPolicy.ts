/**
 * Electron security decisions as pure functions (no Electron import), so each is unit-tested with plain values.
 * The app's own content is identified by its renderer base: app://bundle/ (the desktop app's own scheme, see
 * appProtocol/appUrl.ts), the dev server origin (http://localhost:5173/), or a folder of file:// pages.
 */

export function rendererBaseOf(indexUrl: string): string {
  const url = new URL(indexUrl)
  if (url.protocol === 'file:') return new URL('.', url).href
  return `${originOf(url)}/`
}

/**
 * scheme://host[:port] of a URL. WHATWG gives non-special schemes (app://) the opaque origin "null", which would
 * make every such URL look alike, so the origin is spelled out from its parts.
 */
export function originOf(url: URL): string {
  return `${url.protocol}//${url.host}`
}

/** True when `url` is a page of the app itself (same base), never a look-alike prefix such as file:///app-evil/. */
export function isAppUrl(url: string | null | undefined, rendererBase: string): boolean {
  if (!url) return false
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return false
  }
  const base = new URL(rendererBase)
  if (parsed.protocol !== base.protocol) return false
  if (base.protocol === 'file:') return parsed.pathname.startsWith(base.pathname)
  return originOf(parsed) === originOf(base)
}

/** Permission request handler: only microphone capture (no camera, no screen) from the app's own pages. */
export function allowPermissionRequest(input: {
  permission: string
  requestingUrl: string | undefined
  mediaTypes?: readonly string[]
  rendererBase: string
}): boolean {
  if (input.permission !== 'media') return false
  if (!isAppUrl(input.requestingUrl, input.rendererBase)) return false
  const types = input.mediaTypes ?? []
  return types.length > 0 && types.every((t) => t === 'audio')
}

/** Permission check handler (synchronous queries such as enumerateDevices labels): same rule, audio only. */
export function allowPermissionCheck(input: {
  permission: string
  requestingOrigin: string
  mediaType?: string
  rendererBase: string
}): boolean {
  if (input.permission !== 'media') return false
  if (input.mediaType !== undefined && input.mediaType !== 'audio') return false
  const base = new URL(input.rendererBase)
  // Electron reports file:// pages with origin "file://" (or "null" in some versions).
  if (base.protocol === 'file:') return input.requestingOrigin === 'file://' || input.requestingOrigin === 'file:///' || input.requestingOrigin === 'null'
  return input.requestingOrigin === originOf(base)
}

/** In-app navigation is never allowed: the app is a single page; links to the web are refused too. */
export function allowNavigation(targetUrl: string, currentUrl: string, rendererBase: string): boolean {
  // A reload of the same app page is harmless; anything else is refused.
  return isAppUrl(targetUrl, rendererBase) && new URL(targetUrl).pathname === new URL(currentUrl).pathname
}

/** IPC is accepted only from the app's own top-level frame. */
export function isTrustedIpcSender(sender: { frameUrl: string | undefined; isMainFrame: boolean }, rendererBase: string): boolean {
  return sender.isMainFrame && isAppUrl(sender.frameUrl, rendererBase)
}

/** The BrowserWindow webPreferences every window of the app uses. */
export function secureWebPreferences(preloadPath: string): {
  preload: string
  contextIsolation: true
  sandbox: true
  nodeIntegration: false
  nodeIntegrationInWorker: false
  webSecurity: true
  allowRunningInsecureContent: false
  webviewTag: false
  spellcheck: false
} {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    spellcheck: false
  }
}

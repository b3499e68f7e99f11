import type { Session, WebContents } from 'electron'
import { RENDERER_CSP } from '../../shared/security'
import { allowNavigation, allowPermissionCheck, allowPermissionRequest } from '../securityPolicy'

/**
 * The Electron security checklist items that are wiring (the decisions are in securityPolicy.ts). Takes Electron
 * objects by type only, so test/unit/security drives them with fakes.
 */

/**
 * Permission request/check handlers (microphone only, app pages only) and the CSP header on every response. `csp`:
 * RENDERER_CSP unless the entry chose the dev policy (rendererCspFor: a loopback dev server, unpackaged).
 */
export function installSessionSecurity(ses: Pick<Session, 'setPermissionRequestHandler' | 'setPermissionCheckHandler' | 'webRequest'>, rendererBase: string, csp: string = RENDERER_CSP): void {
  ses.setPermissionRequestHandler((contents, permission, callback, details) => {
    const mediaTypes = 'mediaTypes' in details ? (details.mediaTypes as string[] | undefined) : undefined
    callback(allowPermissionRequest({ permission, requestingUrl: details.requestingUrl ?? contents.getURL(), mediaTypes, rendererBase }))
  })
  ses.setPermissionCheckHandler((_contents, permission, requestingOrigin, details) =>
    allowPermissionCheck({ permission, requestingOrigin, mediaType: (details as { mediaType?: string }).mediaType, rendererBase })
  )
  ses.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [csp] } })
  })
}

/** Only well-formed https links without embedded credentials go to the user's browser. */
export function isSafeExternalUrl(url: string): boolean {
  try {
    const parsed = new URL(url)
    return parsed.protocol === 'https:' && parsed.username === '' && parsed.password === '' && parsed.hostname !== ''
  } catch {
    return false
  }
}

/** Deny navigation away from the app, redirects, <webview> and new windows (https links open in the browser). */
export function hardenWebContents(
  contents: Pick<WebContents, 'on' | 'getURL' | 'setWindowOpenHandler'>,
  rendererBase: string,
  openExternal: (url: string) => void
): void {
  const guard = (event: { preventDefault(): void }, url: string): void => {
    if (!allowNavigation(url, contents.getURL(), rendererBase)) event.preventDefault()
  }
  contents.on('will-navigate', guard as never)
  contents.on('will-redirect', guard as never)
  contents.on('will-attach-webview', ((event: { preventDefault(): void }) => event.preventDefault()) as never)
  contents.setWindowOpenHandler(({ url }) => {
    if (isSafeExternalUrl(url)) openExternal(url)
    return { action: 'deny' }
  })
}

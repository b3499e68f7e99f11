import { resolveStaticPath } from '../staticFiles'

/**
 * The desktop app loads its pages from app://bundle/ instead of file:// (Electron security checklist #18): a
 * dedicated origin that can only ever serve files of the built renderer, so no page can read arbitrary local files
 * and the app's origin is distinct from every other file on disk.
 */
export const APP_SCHEME = 'app'
export const APP_HOST = 'bundle'
export const APP_INDEX_URL = `${APP_SCHEME}://${APP_HOST}/index.html`

/** The renderer file an app:// request names, or null (other host, bad URL, traversal) — answered with 404. */
export function resolveAppRequest(requestUrl: string, rendererDir: string): string | null {
  let url: URL
  try {
    url = new URL(requestUrl)
  } catch {
    return null
  }
  if (url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST) return null
  let pathname: string
  try {
    pathname = decodeURIComponent(url.pathname)
  } catch {
    return null
  }
  return resolveStaticPath(rendererDir, pathname)
}

/**
 * Content Security Policy for the renderer, in Electron (response header + meta) and browser mode (header).
 * connect-src allows ws:/wss: because the backend's signaling URL is user-configurable (embedded on loopback or a
 * remote server); everything else is same-origin only, with no eval and no inline scripts.
 */
export const RENDERER_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "media-src 'self' blob: mediastream:",
  "worker-src 'self' blob:",
  "connect-src 'self' ws: wss:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'"
].join('; ')

/**
 * `npm run dev` only: the renderer from Vite's dev server with hot reload. @vitejs/plugin-react puts the React
 * refresh preamble into index.html as an inline module script, which `script-src 'self'` blocks (and with it every
 * component's hot update), so the dev policy allows inline scripts; nothing else changes (Vite's HMR socket is
 * same-origin `ws:`, already allowed). Never served by a built or packaged app: rendererCspFor decides.
 */
export const DEV_RENDERER_CSP = RENDERER_CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'")

/**
 * The policy for where the renderer comes from: the relaxed one only for a loopback Vite dev server in an unpackaged
 * app; a built renderer (app://bundle, browser mode's out/renderer) or a packaged app always gets RENDERER_CSP.
 */
export function rendererCspFor(opts: { devServerUrl?: string | null; packaged?: boolean }): string {
  if (!opts.devServerUrl || opts.packaged) return RENDERER_CSP
  let url: URL
  try {
    url = new URL(opts.devServerUrl)
  } catch {
    return RENDERER_CSP
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname)
  return url.protocol === 'http:' && loopback ? DEV_RENDERER_CSP : RENDERER_CSP
}

/** index.html as the dev server serves it: the meta CSP relaxed as DEV_RENDERER_CSP (a meta CSP carries no frame-ancestors). */
export function devIndexHtml(html: string): string {
  const meta = DEV_RENDERER_CSP.split('; ').filter((d) => !d.startsWith('frame-ancestors')).join('; ')
  return html.replace(/(<meta http-equiv="Content-Security-Policy" content=")[^"]*(")/, `$1${meta}$2`)
}

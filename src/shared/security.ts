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

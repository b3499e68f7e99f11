import { extname, join, normalize, sep } from 'node:path'

/**
 * Serving the built renderer (browser mode's HTTP server and the desktop app's app:// protocol): which file a URL
 * path names, confined to the renderer folder, and its content type.
 */
const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
  '.woff2': 'font/woff2'
}

export function contentTypeFor(file: string): string {
  return CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream'
}

/**
 * The file under `root` that an already-decoded URL pathname names ("/" = index.html), or null when the path would
 * leave `root` (traversal) or contains a NUL byte.
 */
export function resolveStaticPath(root: string, pathname: string): string | null {
  if (pathname.includes('\0')) return null
  const base = normalize(root + sep)
  const file = normalize(join(base, pathname === '/' || pathname === '' ? 'index.html' : pathname))
  return file.startsWith(base) ? file : null
}

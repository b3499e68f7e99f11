import { request, type IncomingMessage, type ServerResponse } from 'node:http'
import { connect } from 'node:net'
import type { Duplex } from 'node:stream'

/**
 * `npm run dev` in browser mode: the page still comes from browser mode's own loopback origin (so the api socket
 * stays same-origin with its token), but its files come from the Vite dev server, proxied here, and Vite's HMR
 * socket (protocol `vite-hmr`) is piped through to it. Only for a loopback http dev server; never in a built app.
 */

/** The dev server URL if it is a loopback http origin; otherwise an Error saying why. */
export function parseDevServerUrl(value: string): URL | Error {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return new Error(`the dev server URL ${JSON.stringify(value)} is not a URL`)
  }
  if (url.protocol !== 'http:' || !['localhost', '127.0.0.1', '[::1]'].includes(url.hostname)) return new Error(`the dev server must be http:// on loopback, got ${url.origin}`)
  return url
}

/** Whether an upgrade request is Vite's HMR socket (not the app's api). */
export function isViteHmrUpgrade(req: Pick<IncomingMessage, 'headers'>): boolean {
  const protocols = String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim())
  return protocols.includes('vite-hmr') || protocols.includes('vite-ping')
}

/** One request to the dev server, answered with its response; `headers` (the CSP) replace the dev server's own. */
export function proxyHttp(devServer: URL, req: IncomingMessage, res: ServerResponse, headers: Record<string, string>): void {
  const upstream = request(
    { host: devServer.hostname.replace(/^\[|\]$/g, ''), port: devServer.port, method: req.method, path: req.url, headers: { ...req.headers, host: devServer.host } },
    (answer) => {
      const out: Record<string, string | string[]> = {}
      for (const [name, value] of Object.entries(answer.headers)) if (value !== undefined && name !== 'content-security-policy') out[name] = value
      res.writeHead(answer.statusCode ?? 502, { ...out, ...headers })
      answer.pipe(res)
    }
  )
  upstream.on('error', (error) => {
    if (!res.headersSent) res.writeHead(502, { ...headers, 'content-type': 'text/plain' })
    res.end(`the dev server at ${devServer.origin} did not answer: ${error.message}\n`)
  })
  req.pipe(upstream)
}

/** Pipe a WebSocket upgrade (Vite's HMR) through to the dev server, raw. */
export function proxyUpgrade(devServer: URL, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  const upstream = connect({ host: devServer.hostname.replace(/^\[|\]$/g, ''), port: Number(devServer.port) || 80 }, () => {
    const lines = [`${req.method ?? 'GET'} ${req.url ?? '/'} HTTP/1.1`]
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const name = req.rawHeaders[i]!
      lines.push(`${name}: ${name.toLowerCase() === 'host' ? devServer.host : req.rawHeaders[i + 1]}`)
    }
    upstream.write(`${lines.join('\r\n')}\r\n\r\n`)
    if (head.length > 0) upstream.write(head)
    upstream.pipe(socket)
    socket.pipe(upstream)
  })
  const close = (): void => {
    upstream.destroy()
    socket.destroy()
  }
  upstream.on('error', close)
  socket.on('error', close)
  upstream.on('close', () => socket.destroy())
  socket.on('close', () => upstream.destroy())
}

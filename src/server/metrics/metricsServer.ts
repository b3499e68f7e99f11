import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Registry } from 'prom-client'
import { silentLogger, type Logger } from '../../shared/logging/logger'

export const METRICS_PATH = '/metrics'

export interface MetricsServer {
  /** http://<host>:<port>/metrics */
  readonly url: string
  readonly port: number
  close(): Promise<void>
}

/**
 * The operator's scrape endpoint: GET /metrics → the registry in Prometheus text format, on its own node:http server
 * (never the signaling server: the metrics port can stay on loopback, or on an internal network, while signaling faces
 * users). Anything else is 404 (405 for another method). It serves only counts and timings: no session ids, tokens or
 * transcripts ever go into a metric.
 */
export async function startMetricsServer(registry: Registry, opts: { port: number; host: string; logger?: Logger }): Promise<MetricsServer> {
  const logger = opts.logger ?? silentLogger
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0]
    if (path !== METRICS_PATH) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: metrics are at ${METRICS_PATH}\n`)
      return
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('GET only\n')
      return
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(req.method === 'HEAD' ? undefined : text),
      (error: unknown) => {
        logger.error('metrics scrape failed', { error: (error as Error).message })
        res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics could not be collected\n')
      }
    )
  })
  // A scraper that opens a connection and sends nothing must not hold it forever.
  server.requestTimeout = 10_000
  server.headersTimeout = 10_000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const { port } = server.address() as AddressInfo
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host
  return {
    url: `http://${host}:${port}${METRICS_PATH}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
  }
}

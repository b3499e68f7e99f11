import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net'
import { pathToFileURL } from 'node:url'

/**
 * A userspace TCP proxy that delays every chunk by a fixed time in each direction: a stand-in for `tc netem delay`
 * where the kernel has no sch_netem. A signaling WebSocket through it sees RTT ≈ real RTT + 2 × delayMs. Chunks
 * keep their order (equal timeouts fire first-in first-out) and a close is delayed like data, so nothing is cut off.
 * `cut()` drops every open connection at once (a backend going away behind it); `stall()` keeps them open but
 * forwards nothing more (a hung backend, or a path that silently drops everything).
 */
export interface DelayProxy {
  host: string
  port: number
  delayMs: number
  cut(): void
  stall(): void
  close(): Promise<void>
}

export async function startDelayProxy(opts: { listenHost?: string; listenPort?: number; targetHost: string; targetPort: number; delayMs: number }): Promise<DelayProxy> {
  const sockets = new Set<Socket>()
  let stalled = false
  const pipeDelayed = (from: Socket, to: Socket): void => {
    from.on('data', (chunk: Buffer) => {
      if (stalled) return
      setTimeout(() => {
        if (!to.destroyed) to.write(chunk)
      }, opts.delayMs)
    })
    from.on('end', () => setTimeout(() => to.end(), opts.delayMs))
    from.on('error', () => to.destroy())
    from.on('close', () => setTimeout(() => to.destroy(), opts.delayMs))
  }
  const server: Server = createServer((client) => {
    const upstream = createConnection({ host: opts.targetHost, port: opts.targetPort })
    for (const s of [client, upstream]) {
      s.setNoDelay(true)
      sockets.add(s)
      s.on('close', () => sockets.delete(s))
    }
    pipeDelayed(client, upstream)
    pipeDelayed(upstream, client)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.listenPort ?? 0, opts.listenHost ?? '127.0.0.1', () => resolve())
  })
  const address = server.address() as AddressInfo
  const cut = (): void => {
    for (const s of sockets) s.destroy()
  }
  return {
    host: address.address,
    port: address.port,
    delayMs: opts.delayMs,
    cut,
    stall: () => void (stalled = true),
    close: () =>
      new Promise<void>((resolve) => {
        cut()
        server.close(() => resolve())
      })
  }
}

/** CLI (for network namespaces): --listen host:port --target host:port --delay-ms N; prints {"event":"ready",...}. */
async function main(argv: string[]): Promise<void> {
  const arg = (name: string): string => {
    const i = argv.indexOf(`--${name}`)
    const value = i >= 0 ? argv[i + 1] : undefined
    if (!value) throw new Error(`missing --${name}`)
    return value
  }
  const hostPort = (s: string): [string, number] => {
    const i = s.lastIndexOf(':')
    const port = Number(s.slice(i + 1))
    if (i <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`expected host:port, got ${s}`)
    return [s.slice(0, i), port]
  }
  const [listenHost, listenPort] = hostPort(arg('listen'))
  const [targetHost, targetPort] = hostPort(arg('target'))
  const delayMs = Number(arg('delay-ms'))
  if (!Number.isFinite(delayMs) || delayMs < 0) throw new Error('--delay-ms must be a non-negative number')
  const proxy = await startDelayProxy({ listenHost, listenPort, targetHost, targetPort, delayMs })
  console.log(JSON.stringify({ event: 'ready', host: proxy.host, port: proxy.port, delayMs }))
  process.on('SIGTERM', () => void proxy.close().then(() => process.exit(0)))
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((error: Error) => {
    console.error(`delay proxy: ${error.message}`)
    process.exit(1)
  })
}

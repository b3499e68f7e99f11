import { mkdtemp, writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { isOwnHost, startBrowserMode, type BrowserModeServer } from '../../../src/main/browserMode'
import type { AppCore } from '../../../src/main/services/appCore'
import { startOfflineCore } from '../../helpers/offlineCore'
import { MemoryLogger } from '../../helpers/memoryLogger'

function openSocket(url: string, origin?: string, options: WebSocket.ClientOptions = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { ...options, ...(origin ? { origin } : {}) })
    ws.once('open', () => resolve(ws))
    ws.once('error', reject)
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)))
  })
}

function call(ws: WebSocket, frame: unknown): Promise<{ id: number | null; outcome: { ok: boolean; result?: unknown; error?: { code: string } } }> {
  return new Promise((resolve) => {
    const onMessage = (data: WebSocket.RawData): void => {
      const parsed = JSON.parse(data.toString())
      if (parsed.type !== 'response') return
      ws.off('message', onMessage)
      resolve(parsed)
    }
    ws.on('message', onMessage)
    ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame))
  })
}

describe('browser mode server', () => {
  let server: BrowserModeServer
  let core: AppCore
  let base: string
  beforeAll(async () => {
    const rendererDir = await mkdtemp(join(tmpdir(), 'va-renderer-'))
    await writeFile(join(rendererDir, 'index.html'), '<!doctype html><title>t</title>')
    core = await startOfflineCore()
    server = await startBrowserMode({ core, rendererDir })
    base = new URL(server.url).host
  })
  afterAll(() => server.close())

  it('listens on loopback only and refuses other hosts', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{20,}$/)
    await expect(startBrowserMode({ core, rendererDir: '/tmp', host: '0.0.0.0' })).rejects.toThrow(/loopback only/)
  })

  it('answers api calls from its own origin with the token', async () => {
    const ws = await openSocket(`ws://${base}/api?token=${server.token}`, `http://${base}`)
    expect(await call(ws, { type: 'request', id: 7, method: 'ping', params: { clientTime: 1 } })).toMatchObject({ id: 7, outcome: { ok: true } })
    ws.close()
  })

  it('refuses a wrong token, a missing token, another origin and another path', async () => {
    await expect(openSocket(`ws://${base}/api?token=nope`)).rejects.toThrow(/401/)
    await expect(openSocket(`ws://${base}/api`)).rejects.toThrow(/401/)
    await expect(openSocket(`ws://${base}/api?token=${server.token}`, 'https://evil.example')).rejects.toThrow(/401/)
    await expect(openSocket(`ws://${base}/other?token=${server.token}`)).rejects.toThrow(/401/)
  })

  it('rejects oversized frames by closing that socket only', async () => {
    const ws = await openSocket(`ws://${base}/api?token=${server.token}`)
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)))
    ws.send('x'.repeat(2 * 1024 * 1024))
    expect(await closed).toBe(1009)
    const again = await openSocket(`ws://${base}/api?token=${server.token}`)
    expect(await call(again, { type: 'request', id: 1, method: 'ping', params: { clientTime: 2 } })).toMatchObject({ outcome: { ok: true } })
    again.close()
  })

  it('answers only to its own loopback names with the served port (DNS rebinding gets 421)', async () => {
    const port = Number(base.split(':')[1])
    const get = (host: string) =>
      new Promise<number>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path: '/', headers: { host } }, (res) => {
          res.resume()
          resolve(res.statusCode ?? 0)
        })
        req.on('error', reject)
        req.end()
      })
    expect(await get(`127.0.0.1:${port}`)).toBe(200)
    expect(await get(`localhost:${port}`)).toBe(200)
    expect(await get(`evil.example:${port}`)).toBe(421)
    expect(await get(`127.0.0.1:${port + 1}`)).toBe(421)
    expect(await get('127.0.0.1')).toBe(421)
    await expect(openSocket(`ws://${base}/api?token=${server.token}`, undefined, { headers: { host: `rebound.example:${port}` } })).rejects.toThrow(/421/)
    expect([isOwnHost(`[::1]:${port}`, port), isOwnHost(`LOCALHOST:${port}`, port), isOwnHost(undefined, port)]).toEqual([true, true, false])
  })
})

describe('browser mode api sockets: heartbeat and backpressure', () => {
  /** A server with small bounds; each test picks the one it exercises (a paused client also misses its pings). */
  const servers: BrowserModeServer[] = []
  afterAll(() => Promise.all(servers.map((s) => s.close())))
  async function serve(opts: { pingIntervalMs: number; maxBufferedBytes?: number; bufferedStallMs?: number }) {
    const rendererDir = await mkdtemp(join(tmpdir(), 'va-renderer-'))
    await writeFile(join(rendererDir, 'index.html'), '<!doctype html><title>t</title>')
    const logs = new MemoryLogger()
    const server = await startBrowserMode({ core: await startOfflineCore(), rendererDir, ...opts, logger: logs })
    servers.push(server)
    return { server, logs, base: new URL(server.url).host }
  }

  it('closes a client that does not answer pings; one that does stays', async () => {
    const { server, base } = await serve({ pingIntervalMs: 200 })
    const silent = await openSocket(`ws://${base}/api?token=${server.token}`, undefined, { autoPong: false })
    const healthy = await openSocket(`ws://${base}/api?token=${server.token}`)
    const t0 = Date.now()
    const code = await new Promise<number>((r) => silent.once('close', (c) => r(c)))
    expect(code).toBe(1006) // terminated: no close handshake with a dead peer
    expect(Date.now() - t0).toBeLessThan(1500)
    await new Promise((r) => setTimeout(r, 500))
    expect(healthy.readyState).toBe(WebSocket.OPEN)
    expect(await call(healthy, { type: 'request', id: 1, method: 'ping', params: { clientTime: 1 } })).toMatchObject({ outcome: { ok: true } })
    healthy.close()
  })

  it('a client that never reads is paused, then closed; another client is answered throughout', async () => {
    const { server, logs, base } = await serve({ pingIntervalMs: 60_000, maxBufferedBytes: 256 * 1024, bufferedStallMs: 500 })
    const hog = await openSocket(`ws://${base}/api?token=${server.token}`)
    hog.pause() // stops reading its socket: the server's answers pile up
    const frame = JSON.stringify({ type: 'request', id: 1, method: 'getSettings', params: {} })
    for (let i = 0; i < 20_000; i++) hog.send(frame)
    const other = await openSocket(`ws://${base}/api?token=${server.token}`)
    const latencies: number[] = []
    const deadline = Date.now() + 10_000
    while (logs.find(/closed an api client that (stopped reading|does not read)/).length === 0 && Date.now() < deadline) {
      const t0 = performance.now()
      expect(await call(other, { type: 'request', id: 2, method: 'ping', params: { clientTime: 2 } })).toMatchObject({ outcome: { ok: true } })
      latencies.push(performance.now() - t0)
      await new Promise((r) => setTimeout(r, 50))
    }
    expect(logs.find(/closed an api client that (stopped reading|does not read)/)).not.toHaveLength(0)
    expect(Math.max(...latencies)).toBeLessThan(1000)
    hog.resume()
    await new Promise<void>((r) => (hog.readyState === WebSocket.CLOSED ? r() : hog.once('close', () => r())))
    expect(other.readyState).toBe(WebSocket.OPEN)
    other.close()
  })
})

import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { startBrowserMode, type BrowserModeServer } from '../../../src/main/browserMode'
import type { AppCore } from '../../../src/main/services/appCore'
import { startOfflineCore } from '../../helpers/offlineCore'

function openSocket(url: string, origin?: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, origin ? { origin } : {})
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
})

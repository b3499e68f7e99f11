import { mkdtemp, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket, { WebSocketServer } from 'ws'
import { startBrowserMode, type BrowserModeServer } from '../../../src/main/browserMode'
import { isViteHmrUpgrade, parseDevServerUrl } from '../../../src/main/devRendererProxy'
import type { AppCore } from '../../../src/main/services/appCore'
import { DEV_RENDERER_CSP, RENDERER_CSP } from '../../../src/shared/security'
import { startOfflineCore } from '../../helpers/offlineCore'

describe('dev renderer proxy: the pieces', () => {
  it('takes only a loopback http dev server', () => {
    expect(parseDevServerUrl('http://127.0.0.1:5173')).toBeInstanceOf(URL)
    expect(parseDevServerUrl('http://localhost:5173/')).toBeInstanceOf(URL)
    expect((parseDevServerUrl('http://192.168.1.2:5173') as Error).message).toBe('the dev server must be http:// on loopback, got http://192.168.1.2:5173')
    expect((parseDevServerUrl('https://localhost:5173') as Error).message).toMatch(/must be http:\/\/ on loopback/)
    expect((parseDevServerUrl('5173') as Error).message).toBe('the dev server URL "5173" is not a URL')
  })
  it('tells Vite\'s HMR socket from anything else', () => {
    expect(isViteHmrUpgrade({ headers: { 'sec-websocket-protocol': 'vite-hmr' } })).toBe(true)
    expect(isViteHmrUpgrade({ headers: { 'sec-websocket-protocol': 'x, vite-ping' } })).toBe(true)
    expect(isViteHmrUpgrade({ headers: {} })).toBe(false)
  })
})

/** Browser mode with --dev-server: files and the HMR socket come from a stand-in dev server, the api stays its own. */
describe('browser mode with a dev server (npm run dev)', () => {
  let upstream: Server
  let devUrl: string
  let dev: BrowserModeServer
  let built: BrowserModeServer
  let core: AppCore
  const requested: string[] = []

  beforeAll(async () => {
    upstream = createServer((req, res) => {
      requested.push(`${req.method} ${req.url} host=${req.headers.host}`)
      res.writeHead(200, { 'content-type': 'text/html', 'content-security-policy': "default-src *" }).end('<script type="module" src="/@vite/client"></script>from vite')
    })
    const hmr = new WebSocketServer({ server: upstream, handleProtocols: (protocols) => (protocols.has('vite-hmr') ? 'vite-hmr' : false) })
    hmr.on('connection', (ws, req) => ws.send(`hmr connected ${req.url}`))
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r))
    devUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`
    const rendererDir = await mkdtemp(join(tmpdir(), 'va-renderer-'))
    await writeFile(join(rendererDir, 'index.html'), '<!doctype html>built')
    core = await startOfflineCore()
    dev = await startBrowserMode({ core, rendererDir, devServerUrl: devUrl })
    built = await startBrowserMode({ core, rendererDir })
  })
  afterAll(async () => {
    await dev.close()
    await built.close()
    upstream.closeAllConnections()
    await new Promise((r) => upstream.close(r))
  })

  it('serves the dev server\'s files under the dev CSP; the built renderer keeps the strict one', async () => {
    const origin = new URL(dev.url).origin
    const page = await fetch(`${origin}/src/main.tsx?t=1`)
    expect(page.headers.get('content-security-policy')).toBe(DEV_RENDERER_CSP)
    expect(await page.text()).toContain('from vite')
    expect(requested.at(-1)).toBe(`GET /src/main.tsx?t=1 host=${new URL(devUrl).host}`)
    const strict = await fetch(`${new URL(built.url).origin}/`)
    expect(strict.headers.get('content-security-policy')).toBe(RENDERER_CSP)
    expect(await strict.text()).toBe('<!doctype html>built')
  })

  it('pipes the HMR socket through; the api socket is still its own (token, origin)', async () => {
    const host = new URL(dev.url).host
    const hmr = new WebSocket(`ws://${host}/?token=vite-token`, 'vite-hmr', { origin: `http://${host}` })
    const first = await new Promise<string>((resolve, reject) => {
      hmr.once('message', (d) => resolve(d.toString()))
      hmr.once('error', reject)
    })
    expect(first).toBe('hmr connected /?token=vite-token')
    hmr.close()
    const refused = new WebSocket(`ws://${host}/other`, { origin: `http://${host}` })
    await expect(new Promise((resolve, reject) => (refused.once('open', resolve), refused.once('error', reject)))).rejects.toThrow(/401/)
    const api = new WebSocket(`ws://${host}/api?token=${dev.token}`, { origin: `http://${host}` })
    await new Promise((resolve, reject) => (api.once('open', resolve), api.once('error', reject)))
    api.close()
  })

  it('refuses a dev server that is not on loopback', async () => {
    await expect(startBrowserMode({ core, rendererDir: '/tmp', devServerUrl: 'http://10.0.0.1:5173' })).rejects.toThrow(/must be http:\/\/ on loopback/)
  })
})

/**
 * The Electron security checklist (https://www.electronjs.org/docs/latest/tutorial/security), one block per item,
 * each exercising the code that implements it. Items about the packaged app (fuses) read electron-builder.yml.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { describe, expect, it, vi } from 'vitest'
import { hardenWebContents, installSessionSecurity, isSafeExternalUrl } from '../../../src/main/electron/hardening'
import { APP_INDEX_URL } from '../../../src/main/appProtocol/appUrl'
import { handleAppProtocol } from '../../../src/main/appProtocol/electronProtocol'
import { rendererBaseOf, secureWebPreferences } from '../../../src/main/securityPolicy'
import { apiMethodNames, apiMethods, isApiEventName } from '../../../src/shared/contract/api'
import { createDispatcher, type HandlersFor } from '../../../src/shared/contract/dispatch'
import { RENDERER_CSP } from '../../../src/shared/security'

const repoRoot = join(import.meta.dirname, '..', '..', '..')
// The desktop app's pages live at app://bundle/ (checklist #18).
const base = rendererBaseOf(APP_INDEX_URL)
const appPage = `${base}index.html`

function cspDirectives(csp: string): Map<string, string> {
  return new Map(
    csp
      .split(';')
      .map((d) => d.trim())
      .filter(Boolean)
      .map((d) => [d.split(/\s+/)[0]!, d.split(/\s+/).slice(1).join(' ')])
  )
}
function metaCsp(html: string): string | undefined {
  return /<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]+)"/i.exec(html)?.[1]
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listFiles(join(dir, e.name)) : [join(dir, e.name)]))
}

class FakeContents {
  handlers = new Map<string, (...args: unknown[]) => void>()
  openHandler: ((d: { url: string }) => { action: string }) | null = null
  constructor(public url: string) {}
  on(event: string, fn: (...args: unknown[]) => void): this {
    this.handlers.set(event, fn)
    return this
  }
  getURL(): string {
    return this.url
  }
  setWindowOpenHandler(fn: (d: { url: string }) => { action: string }): void {
    this.openHandler = fn
  }
  /** Emit an event with a preventable event object; returns whether it was prevented. */
  emit(event: string, ...args: unknown[]): boolean {
    let prevented = false
    this.handlers.get(event)!({ preventDefault: () => (prevented = true) }, ...args)
    return prevented
  }
}

function fakeSession() {
  const s = {
    request: null as null | ((c: unknown, p: string, cb: (ok: boolean) => void, d: Record<string, unknown>) => void),
    check: null as null | ((c: unknown, p: string, origin: string, d: Record<string, unknown>) => boolean),
    headers: null as null | ((d: { responseHeaders?: Record<string, string[]> }, cb: (r: { responseHeaders: Record<string, string[]> }) => void) => void),
    setPermissionRequestHandler(fn: never) {
      s.request = fn
    },
    setPermissionCheckHandler(fn: never) {
      s.check = fn
    },
    webRequest: {
      onHeadersReceived(fn: never) {
        s.headers = fn
      }
    }
  }
  return s
}

describe('Electron security checklist', () => {
  it('#2-#4, #6, #8-#10: context isolation, sandbox, no Node integration, web security, no insecure content, no webview', () => {
    expect(secureWebPreferences('/p/index.cjs')).toEqual({
      preload: '/p/index.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false
    })
    // Every window the main process creates uses these preferences (the main window, the status pill, …).
    const sources = listFiles(join(repoRoot, 'src', 'main')).filter((f) => f.endsWith('.ts'))
    const windows = sources.filter((f) => readFileSync(f, 'utf8').includes('new BrowserWindow('))
    expect(windows.length).toBeGreaterThan(0)
    for (const file of windows) {
      const text = readFileSync(file, 'utf8')
      expect(text.split('new BrowserWindow(').length - 1, file).toBe(text.split('webPreferences: secureWebPreferences(').length - 1)
      expect(text, file).not.toMatch(/experimentalFeatures|enableBlinkFeatures|nodeIntegration:\s*true|contextIsolation:\s*false|sandbox:\s*false/)
    }
  })

  it('#5: permission requests: only microphone, only from the app’s pages; checks likewise', () => {
    const ses = fakeSession()
    installSessionSecurity(ses as never, base)
    const ask = (permission: string, url: string, mediaTypes?: string[]): boolean => {
      let answer: boolean | null = null
      ses.request!({ getURL: () => url }, permission, (ok) => (answer = ok), { requestingUrl: url, ...(mediaTypes ? { mediaTypes } : {}) })
      return answer!
    }
    expect(ask('media', appPage, ['audio'])).toBe(true)
    expect(ask('media', appPage, ['video'])).toBe(false)
    expect(ask('media', appPage, ['audio', 'video'])).toBe(false)
    expect(ask('media', 'https://evil.example/', ['audio'])).toBe(false)
    for (const p of ['notifications', 'geolocation', 'display-capture', 'clipboard-read', 'openExternal', 'midiSysex']) expect(ask(p, appPage, ['audio'])).toBe(false)
    expect(ses.check!({}, 'media', 'app://bundle', { mediaType: 'audio' })).toBe(true)
    expect(ses.check!({}, 'media', 'app://bundle', { mediaType: 'video' })).toBe(false)
    expect(ses.check!({}, 'media', 'file://', { mediaType: 'audio' })).toBe(false)
    expect(ses.check!({}, 'media', 'https://evil.example', { mediaType: 'audio' })).toBe(false)
    expect(ses.check!({}, 'geolocation', 'app://bundle', {})).toBe(false)
  })

  it('#7: CSP: sent as a header on every response and present in the built HTML, strict, same as the shared constant', () => {
    const ses = fakeSession()
    installSessionSecurity(ses as never, base)
    let headers: Record<string, string[]> = {}
    ses.headers!({ responseHeaders: { 'content-type': ['text/html'] } }, (r) => (headers = r.responseHeaders))
    expect(headers['Content-Security-Policy']).toEqual([RENDERER_CSP])
    expect(headers['content-type']).toEqual(['text/html'])

    const policy = cspDirectives(RENDERER_CSP)
    expect(policy.get('default-src')).toBe("'self'")
    expect(policy.get('script-src')).toBe("'self'") // no 'unsafe-eval', no 'unsafe-inline' scripts
    expect(policy.get('object-src')).toBe("'none'")
    expect(policy.get('base-uri')).toBe("'none'")

    const built = join(repoRoot, 'out', 'renderer', 'index.html')
    expect(existsSync(built), 'out/renderer/index.html is missing: run npx electron-vite build').toBe(true)
    for (const file of [join(repoRoot, 'src', 'renderer', 'index.html'), built]) {
      const meta = metaCsp(readFileSync(file, 'utf8'))
      expect(meta, file).toBeDefined()
      // A meta CSP cannot carry frame-ancestors (browsers ignore it there); otherwise it matches the header exactly.
      const expected = new Map(policy)
      expected.delete('frame-ancestors')
      expect(cspDirectives(meta!), file).toEqual(expected)
    }
  })

  it('#1, #20: no remote content: the CSP names no remote hosts and the built page loads only bundled files', () => {
    for (const [name, value] of cspDirectives(RENDERER_CSP)) {
      if (name === 'connect-src') continue // ws:/wss: for the user-configured backend signaling URL
      expect(value, name).not.toMatch(/https?:|\*|data:.*script/)
    }
    expect(cspDirectives(RENDERER_CSP).get('connect-src')).toBe("'self' ws: wss:")
    const html = readFileSync(join(repoRoot, 'out', 'renderer', 'index.html'), 'utf8')
    const refs = [...html.matchAll(/\s(?:src|href)="([^"]+)"/g)].map((m) => m[1]!)
    expect(refs.length).toBeGreaterThan(0)
    for (const ref of refs) expect(ref, ref).toMatch(/^\.\/|^\/(?!\/)/)
  })

  it('#13: navigation away from the app (and redirects) is prevented', () => {
    const contents = new FakeContents(appPage)
    hardenWebContents(contents as never, base, () => undefined)
    expect(contents.emit('will-navigate', 'https://evil.example/')).toBe(true)
    expect(contents.emit('will-navigate', 'file:///etc/passwd')).toBe(true)
    expect(contents.emit('will-navigate', `${base}other.html`)).toBe(true)
    expect(contents.emit('will-redirect', 'https://evil.example/')).toBe(true)
    expect(contents.emit('will-navigate', appPage)).toBe(false) // reload of the app itself
  })

  it('#12: <webview> attachment is always prevented', () => {
    const contents = new FakeContents(appPage)
    hardenWebContents(contents as never, base, () => undefined)
    expect(contents.emit('will-attach-webview', {}, {})).toBe(true)
  })

  it('#14, #15: window.open is denied; only plain https links go to the browser', () => {
    const opened: string[] = []
    const contents = new FakeContents(appPage)
    hardenWebContents(contents as never, base, (url) => opened.push(url))
    for (const url of ['https://docs.example.com/help', 'http://plain.example/', 'file:///etc/passwd', 'javascript:alert(1)', 'smb://host/share', 'https://user:pw@x.example/', appPage]) {
      expect(contents.openHandler!({ url })).toEqual({ action: 'deny' })
    }
    expect(opened).toEqual(['https://docs.example.com/help'])
    expect(isSafeExternalUrl('not a url')).toBe(false)
  })

  it('#17: IPC payloads are validated: every api method refuses a malformed payload before any handler runs', async () => {
    const called: string[] = []
    const handlers = Object.fromEntries(apiMethodNames.map((m) => [m, () => called.push(m)])) as unknown as HandlersFor<typeof apiMethods>
    const dispatch = createDispatcher(apiMethods, handlers)
    for (const method of apiMethodNames) {
      for (const bad of ['a string', 42, [1, 2], { __proto__: { polluted: true }, unexpectedKey: 1 }]) {
        const outcome = await dispatch(method, bad)
        expect(outcome, `${method} ${JSON.stringify(bad)}`).toMatchObject({ ok: false, error: { code: 'invalid_params' } })
      }
    }
    expect(await dispatch('constructor', {})).toMatchObject({ ok: false, error: { code: 'unknown_method' } })
    expect(await dispatch('__proto__', {})).toMatchObject({ ok: false, error: { code: 'unknown_method' } })
    expect(called).toEqual([])
  })

  it('#17, #20: the preload exposes exactly the api methods and `on` — no generic invoke, no ipcRenderer', async () => {
    vi.resetModules()
    const exposed: Record<string, unknown> = {}
    const invoke = vi.fn(async () => ({ ok: true, result: null }))
    vi.doMock('electron', () => ({
      contextBridge: { exposeInMainWorld: (key: string, api: unknown) => (exposed[key] = api) },
      ipcRenderer: { invoke, on: vi.fn(), removeListener: vi.fn(), send: vi.fn() }
    }))
    // The preload also listens for window messages (capture port hand-off); give it a stand-in window.
    vi.stubGlobal('window', { addEventListener: vi.fn() })
    try {
      await import('../../../src/preload/index')
    } finally {
      vi.unstubAllGlobals()
      vi.doUnmock('electron')
    }
    expect(Object.keys(exposed)).toEqual(['voiceApi'])
    const api = exposed.voiceApi as Record<string, unknown>
    expect(Object.keys(api).sort()).toEqual([...apiMethodNames, 'on'].sort())
    for (const value of Object.values(api)) expect(typeof value).toBe('function')
    await (api.ping as (p: unknown) => Promise<unknown>)({ clientTime: 1 })
    expect(invoke).toHaveBeenCalledWith('api:ping', { clientTime: 1 })
    expect(() => (api.on as (e: string, l: () => void) => void)('not-an-event', () => undefined)).toThrow(/unknown api event/)
    expect(isApiEventName('notice')).toBe(true)
  })

  it('#18: pages come from the app:// scheme, which serves only the built renderer, with the CSP', async () => {
    const indexSource = readFileSync(join(repoRoot, 'src', 'main', 'index.ts'), 'utf8')
    expect(indexSource).toMatch(/ELECTRON_RENDERER_URL \?\? APP_INDEX_URL/)
    expect(indexSource).toMatch(/registerAppSchemePrivileged\(protocol\)/)
    let handler: ((req: { url: string }) => Promise<Response>) | null = null
    handleAppProtocol({ handle: (scheme: string, fn: (req: { url: string }) => Promise<Response>) => { expect(scheme).toBe('app'); handler = fn } } as never, join(repoRoot, 'out', 'renderer'))
    const index = await handler!({ url: APP_INDEX_URL })
    expect(index.status).toBe(200)
    expect(index.headers.get('content-type')).toContain('text/html')
    expect(index.headers.get('content-security-policy')).toBe(RENDERER_CSP)
    for (const url of ['app://bundle/../../package.json', 'app://bundle/%2e%2e/%2e%2e/package.json', 'app://other/index.html', 'app://bundle/missing.js']) {
      expect((await handler!({ url })).status, url).toBe(404)
    }
  })

  it('#16, #19: a current, exactly pinned Electron; packaged builds flip the hardening fuses', () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }
    expect(pkg.devDependencies.electron).toMatch(/^\d+\.\d+\.\d+$/)
    expect(Number(pkg.devDependencies.electron!.split('.')[0])).toBeGreaterThanOrEqual(38)
    const yaml = createRequire(join(repoRoot, 'node_modules', 'electron-builder', 'package.json'))('js-yaml') as { load(t: string): unknown }
    const config = yaml.load(readFileSync(join(repoRoot, 'electron-builder.yml'), 'utf8')) as { electronFuses: Record<string, boolean>; asar: boolean }
    expect(config.asar).toBe(true)
    expect(config.electronFuses).toMatchObject({
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      enableCookieEncryption: true,
      grantFileProtocolExtraPrivileges: false,
      // Deliberately on: the embedded backend runs with ELECTRON_RUN_AS_NODE (see electron-builder.yml).
      runAsNode: true
    })
  })
})

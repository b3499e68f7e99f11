import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { DEV_RENDERER_CSP, devIndexHtml, RENDERER_CSP, rendererCspFor } from '../../../src/shared/security'
import config, { devCspPlugin } from '../../../electron.vite.config'

const repoRoot = join(import.meta.dirname, '..', '..', '..')
const directives = (csp: string): Map<string, string> => new Map(csp.split(';').map((d) => d.trim()).filter(Boolean).map((d) => [d.split(/\s+/)[0]!, d.split(/\s+/).slice(1).join(' ')]))

describe('the dev-only CSP relaxation (npm run dev)', () => {
  it('differs from the production CSP only by inline scripts (the React refresh preamble)', () => {
    const prod = directives(RENDERER_CSP)
    const dev = directives(DEV_RENDERER_CSP)
    expect(dev.get('script-src')).toBe("'self' 'unsafe-inline'")
    expect(prod.get('script-src')).toBe("'self'")
    dev.delete('script-src')
    prod.delete('script-src')
    expect(dev).toEqual(prod)
  })

  it('is chosen only for a loopback http dev server in an unpackaged app', () => {
    expect(rendererCspFor({})).toBe(RENDERER_CSP)
    expect(rendererCspFor({ devServerUrl: null })).toBe(RENDERER_CSP)
    expect(rendererCspFor({ devServerUrl: 'http://localhost:5173' })).toBe(DEV_RENDERER_CSP)
    expect(rendererCspFor({ devServerUrl: 'http://127.0.0.1:5173/' })).toBe(DEV_RENDERER_CSP)
    expect(rendererCspFor({ devServerUrl: 'http://localhost:5173', packaged: true })).toBe(RENDERER_CSP)
    expect(rendererCspFor({ devServerUrl: 'http://evil.example:5173' })).toBe(RENDERER_CSP)
    expect(rendererCspFor({ devServerUrl: 'https://localhost:5173' })).toBe(RENDERER_CSP)
    expect(rendererCspFor({ devServerUrl: 'not a url' })).toBe(RENDERER_CSP)
  })

  it('the dev server\'s index.html gets the dev policy in its meta tag; the source keeps the strict one', () => {
    const source = readFileSync(join(repoRoot, 'src', 'renderer', 'index.html'), 'utf8')
    const meta = (html: string): string => /<meta http-equiv="Content-Security-Policy" content="([^"]*)"/.exec(html)![1]!
    expect(directives(meta(source)).get('script-src')).toBe("'self'")
    const dev = devIndexHtml(source)
    expect(directives(meta(dev)).get('script-src')).toBe("'self' 'unsafe-inline'")
    expect(directives(meta(dev)).has('frame-ancestors')).toBe(false)
    expect(dev.replace(meta(dev), '')).toBe(source.replace(meta(source), ''))
  })

  it('the Vite plugin that does it runs only when serving (never in electron-vite build)', () => {
    expect(devCspPlugin.apply).toBe('serve')
    const renderer = (config as { renderer?: { plugins?: unknown[] } }).renderer
    expect(renderer?.plugins).toContain(devCspPlugin)
  })
})

import type { Protocol } from 'electron'
import { readFile } from 'node:fs/promises'
import { RENDERER_CSP } from '../../shared/security'
import { APP_SCHEME, resolveAppRequest } from './appUrl'
import { contentTypeFor } from '../staticFiles'

/** Must run before the app is ready: app:// behaves like https (standard, secure origin, fetch, module workers). */
export function registerAppSchemePrivileged(protocol: Pick<Protocol, 'registerSchemesAsPrivileged'>): void {
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true } }])
}

/** Serve app://bundle/* from the built renderer only, with the CSP on every response. */
export function handleAppProtocol(protocol: Pick<Protocol, 'handle'>, rendererDir: string): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const file = resolveAppRequest(request.url, rendererDir)
    const headers = { 'content-security-policy': RENDERER_CSP, 'x-content-type-options': 'nosniff' }
    if (!file) return new Response('not found', { status: 404, headers })
    try {
      return new Response(await readFile(file), { status: 200, headers: { ...headers, 'content-type': contentTypeFor(file) } })
    } catch {
      return new Response('not found', { status: 404, headers })
    }
  })
}


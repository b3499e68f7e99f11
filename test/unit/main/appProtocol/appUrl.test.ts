import { describe, expect, it } from 'vitest'
import { APP_INDEX_URL, resolveAppRequest } from '../../../../src/main/appProtocol/appUrl'
import { allowPermissionCheck, allowPermissionRequest, isAppUrl, isTrustedIpcSender, rendererBaseOf } from '../../../../src/main/securityPolicy'

const root = '/opt/app/out/renderer'

describe('app:// protocol (security checklist #18: a custom protocol instead of file://)', () => {
  it('serves only files of the built renderer', () => {
    expect(resolveAppRequest(APP_INDEX_URL, root)).toBe('/opt/app/out/renderer/index.html')
    expect(resolveAppRequest('app://bundle/assets/index-1.js', root)).toBe('/opt/app/out/renderer/assets/index-1.js')
    expect(resolveAppRequest('app://bundle/', root)).toBe('/opt/app/out/renderer/index.html')
  })

  it('never resolves outside the renderer folder, whatever the path', () => {
    // URL parsing already folds "..", "%2e%2e" and friends; whatever is left must still land inside the root.
    for (const url of ['app://bundle/../../../etc/passwd', 'app://bundle/%2e%2e/%2e%2e/etc/passwd', 'app://bundle/..%2f..%2fetc%2fpasswd', 'app://bundle/a/..%5c..%5c..%5cx']) {
      const resolved = resolveAppRequest(url, root)
      expect(resolved === null || resolved.startsWith(`${root}/`), `${url} -> ${resolved}`).toBe(true)
    }
  })

  it('refuses other hosts, other schemes, NUL bytes and malformed escapes', () => {
    for (const url of ['app://other/index.html', 'file:///opt/app/out/renderer/index.html', 'https://bundle/index.html', 'app://bundle/a%00b', 'app://bundle/%E0%A4%A', 'not a url']) {
      expect(resolveAppRequest(url, root), url).toBeNull()
    }
  })

  it('the security policy treats app://bundle as the app origin and nothing else', () => {
    const base = rendererBaseOf(APP_INDEX_URL)
    expect(base).toBe('app://bundle/')
    expect(isAppUrl('app://bundle/index.html', base)).toBe(true)
    // Non-special schemes all have the opaque origin "null" in WHATWG URL: the policy must not confuse them.
    expect(isAppUrl('app://evil/index.html', base)).toBe(false)
    expect(isAppUrl('evil://bundle/index.html', base)).toBe(false)
    expect(isTrustedIpcSender({ frameUrl: 'app://bundle/index.html#status-pill', isMainFrame: true }, base)).toBe(true)
    expect(allowPermissionRequest({ permission: 'media', requestingUrl: 'app://bundle/index.html', mediaTypes: ['audio'], rendererBase: base })).toBe(true)
    expect(allowPermissionCheck({ permission: 'media', requestingOrigin: 'app://bundle', mediaType: 'audio', rendererBase: base })).toBe(true)
    expect(allowPermissionCheck({ permission: 'media', requestingOrigin: 'null', mediaType: 'audio', rendererBase: base })).toBe(false)
    expect(allowPermissionCheck({ permission: 'media', requestingOrigin: 'file://', mediaType: 'audio', rendererBase: base })).toBe(false)
  })
})

import { describe, expect, it } from 'vitest'
import {
  allowNavigation,
  allowPermissionCheck,
  allowPermissionRequest,
  isAppUrl,
  isTrustedIpcSender,
  rendererBaseOf,
  secureWebPreferences
} from '../../../src/main/securityPolicy'

const fileBase = rendererBaseOf('file:///opt/Voice%20Assistant/resources/app.asar/out/renderer/index.html')
const devBase = rendererBaseOf('http://localhost:5173/')

describe('security policy', () => {
  it('derives the renderer base', () => {
    expect(fileBase).toBe('file:///opt/Voice%20Assistant/resources/app.asar/out/renderer/')
    expect(devBase).toBe('http://localhost:5173/')
  })

  it('recognises only the app’s own pages', () => {
    expect(isAppUrl('file:///opt/Voice%20Assistant/resources/app.asar/out/renderer/index.html', fileBase)).toBe(true)
    expect(isAppUrl('file:///opt/Voice%20Assistant/resources/app.asar/out/renderer-evil/index.html', fileBase)).toBe(false)
    expect(isAppUrl('file:///etc/passwd', fileBase)).toBe(false)
    expect(isAppUrl('https://example.com/', fileBase)).toBe(false)
    expect(isAppUrl('http://localhost:5173/index.html', devBase)).toBe(true)
    expect(isAppUrl('http://localhost:5174/', devBase)).toBe(false)
    expect(isAppUrl('not a url', devBase)).toBe(false)
    expect(isAppUrl(undefined, devBase)).toBe(false)
  })

  it('allows microphone capture only, only from the app', () => {
    const appUrl = `${fileBase}index.html`
    expect(allowPermissionRequest({ permission: 'media', requestingUrl: appUrl, mediaTypes: ['audio'], rendererBase: fileBase })).toBe(true)
    expect(allowPermissionRequest({ permission: 'media', requestingUrl: appUrl, mediaTypes: ['audio', 'video'], rendererBase: fileBase })).toBe(false)
    expect(allowPermissionRequest({ permission: 'media', requestingUrl: appUrl, mediaTypes: ['video'], rendererBase: fileBase })).toBe(false)
    expect(allowPermissionRequest({ permission: 'media', requestingUrl: appUrl, mediaTypes: [], rendererBase: fileBase })).toBe(false)
    expect(allowPermissionRequest({ permission: 'media', requestingUrl: 'https://evil.example/', mediaTypes: ['audio'], rendererBase: fileBase })).toBe(false)
    for (const permission of ['geolocation', 'notifications', 'display-capture', 'openExternal', 'clipboard-read']) {
      expect(allowPermissionRequest({ permission, requestingUrl: appUrl, mediaTypes: ['audio'], rendererBase: fileBase })).toBe(false)
    }
  })

  it('permission checks follow the same rule', () => {
    expect(allowPermissionCheck({ permission: 'media', requestingOrigin: 'file://', mediaType: 'audio', rendererBase: fileBase })).toBe(true)
    expect(allowPermissionCheck({ permission: 'media', requestingOrigin: 'file://', mediaType: 'video', rendererBase: fileBase })).toBe(false)
    expect(allowPermissionCheck({ permission: 'media', requestingOrigin: 'https://evil.example', mediaType: 'audio', rendererBase: fileBase })).toBe(false)
    expect(allowPermissionCheck({ permission: 'media', requestingOrigin: 'http://localhost:5173', mediaType: 'audio', rendererBase: devBase })).toBe(true)
    expect(allowPermissionCheck({ permission: 'geolocation', requestingOrigin: 'file://', rendererBase: fileBase })).toBe(false)
  })

  it('denies navigation away from the app page', () => {
    const current = `${fileBase}index.html`
    expect(allowNavigation(current, current, fileBase)).toBe(true)
    expect(allowNavigation('https://example.com/', current, fileBase)).toBe(false)
    expect(allowNavigation(`${fileBase}other.html`, current, fileBase)).toBe(false)
    expect(allowNavigation('file:///etc/passwd', current, fileBase)).toBe(false)
  })

  it('trusts IPC only from the app’s main frame', () => {
    const appUrl = `${fileBase}index.html`
    expect(isTrustedIpcSender({ frameUrl: appUrl, isMainFrame: true }, fileBase)).toBe(true)
    expect(isTrustedIpcSender({ frameUrl: appUrl, isMainFrame: false }, fileBase)).toBe(false)
    expect(isTrustedIpcSender({ frameUrl: 'https://evil.example/', isMainFrame: true }, fileBase)).toBe(false)
    expect(isTrustedIpcSender({ frameUrl: undefined, isMainFrame: true }, fileBase)).toBe(false)
  })

  it('window preferences are locked down', () => {
    expect(secureWebPreferences('/p.cjs')).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, webviewTag: false })
  })
})

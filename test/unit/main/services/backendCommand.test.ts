import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { findAppRoot, resolveBackendCommand } from '../../../../src/main/services/backendCommand'

describe('resolveBackendCommand', () => {
  const appRoot = '/opt/app'
  it('prefers the built server bundle next to the main bundle, run by Electron as Node', () => {
    const cmd = resolveBackendCommand({ moduleDir: '/opt/app/out/main', appRoot, execPath: '/opt/app/electron', isElectron: true, exists: (p) => p === '/opt/app/out/main/server.js' })
    expect(cmd).toMatchObject({ command: '/opt/app/electron', args: ['/opt/app/out/main/server.js', '--listen', '127.0.0.1', '--workers', '1'], env: { ELECTRON_RUN_AS_NODE: '1' } })
  })
  it("passes the app's log level on to the backend", () => {
    const cmd = resolveBackendCommand({ moduleDir: '/opt/app/out/main', appRoot, execPath: '/usr/bin/node', isElectron: false, exists: () => true, logLevel: 'debug' })
    expect(cmd.args).toEqual(['/opt/app/out/main/server.js', '--listen', '127.0.0.1', '--workers', '1', '--log-level', 'debug'])
  })
  it('falls back to the TypeScript entry through tsx in development', () => {
    const cmd = resolveBackendCommand({ moduleDir: '/opt/app/src/main/services', appRoot, execPath: '/usr/bin/node', isElectron: false, exists: (p) => p === join(appRoot, 'src/server/main.ts') })
    expect(cmd.args.slice(0, 3)).toEqual(['--import', 'tsx', '/opt/app/src/server/main.ts'])
    expect(cmd.env).toEqual({})
  })
  it('says to build when neither exists', () => {
    expect(() => resolveBackendCommand({ moduleDir: '/x', appRoot, execPath: 'node', isElectron: false, exists: () => false })).toThrow(/npm run build/)
  })
  it('findAppRoot walks up to this project’s package.json only', () => {
    const files: Record<string, string> = { '/a/package.json': '{"name":"voice-assistant"}', '/a/b/package.json': '{"name":"other"}' }
    expect(findAppRoot('/a/b/c', (p) => p in files, (p) => files[p]!)).toBe('/a')
    expect(() => findAppRoot('/z', () => false, () => '')).toThrow(/cannot find/)
  })
})

import { existsSync, readdirSync, statSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { packageApp, stageMediasoupWorker } from '../../../scripts/package.mjs'
import { checkRuntimeResources, type AppLayout } from '../../../src/node/resourcePaths'
import { resolveMediasoupWorkerBinary } from '../../../src/node/mediasoupWorkerBinary'
import { RENDERER_CSP } from '../../../src/shared/security'

const repoRoot = join(import.meta.dirname, '..', '..', '..')
// electron-builder's own asar reader (a dependency of electron-builder).
const asar = createRequire(join(repoRoot, 'node_modules', 'electron-builder', 'package.json'))('@electron/asar') as {
  listPackage(archive: string, opts: { isPack: boolean }): string[]
  extractFile(archive: string, file: string): Buffer
}

const unpackedName: Record<string, string> = { linux: 'linux-unpacked', win32: 'win-unpacked', darwin: 'mac' }

/**
 * LAYOUT check, not a runnable app: electron-builder assembles the unpacked app (`--dir`) from a placeholder Electron
 * executable (the real Electron zip cannot be downloaded here), with the real app code, dependencies, resources and
 * mediasoup worker. The test then resolves every runtime file through src/node/resourcePaths.ts exactly as
 * the packaged app would.
 */
describe('packaged app layout (electron-builder --dir with a placeholder Electron executable; inspects layout only)', () => {
  let outputDir: string
  let resourcesPath: string
  let asarFiles: string[]

  beforeAll(async () => {
    for (const built of ['out/main/index.js', 'out/preload/index.cjs', 'out/renderer/index.html']) {
      if (!existsSync(join(repoRoot, built))) throw new Error(`${built} is missing: run npx electron-vite build before this test`)
    }
    stageMediasoupWorker(resolveMediasoupWorkerBinary({ repoRoot }))
    outputDir = await mkdtemp(join(tmpdir(), 'va-package-'))
    await packageApp({ layoutOnly: true, outputDir })
    const unpacked = join(outputDir, unpackedName[process.platform] ?? 'linux-unpacked')
    resourcesPath = process.platform === 'darwin' ? join(unpacked, 'Voice Assistant.app', 'Contents', 'Resources') : join(unpacked, 'resources')
    asarFiles = asar.listPackage(join(resourcesPath, 'app.asar'), { isPack: false }).map((f) => f.replaceAll('\\', '/'))
  }, 300_000)

  afterAll(async () => {
    if (outputDir) await rm(outputDir, { recursive: true, force: true })
  })

  it('resolves the onnxruntime-node binding, the mediasoup worker and resources through resourcePaths', () => {
    const layout: AppLayout = { appRoot: join(resourcesPath, 'app.asar'), isPackaged: true, resourcesPath, platform: process.platform, arch: process.arch }
    const checks = checkRuntimeResources(layout, { env: {} })
    expect(checks.filter((c) => !c.ok).map((c) => c.problem)).toEqual([])
    const worker = checks.find((c) => c.name === 'mediasoup worker')!.path!
    expect(worker).toBe(join(resourcesPath, 'mediasoup-worker', process.platform === 'win32' ? 'mediasoup-worker.exe' : 'mediasoup-worker'))
    if (process.platform !== 'win32') expect(statSync(worker).mode & 0o111).not.toBe(0)
  })

  it('ships the built app in the asar and native code outside it', () => {
    for (const f of ['/package.json', '/out/main/index.js', '/out/main/server.js', '/out/main/serverVadWorker.js', '/out/preload/index.cjs', '/out/renderer/index.html']) {
      expect(asarFiles, f).toContain(f)
    }
    // Only this OS's onnxruntime build, unpacked; no mediasoup C++ sources, no source maps.
    const ortDir = join(resourcesPath, 'app.asar.unpacked', 'node_modules', 'onnxruntime-node', 'bin', 'napi-v6')
    expect(readdirSync(ortDir)).toEqual([process.platform])
    expect(asarFiles.some((f) => f.startsWith('/node_modules/mediasoup/worker/'))).toBe(false)
    expect(asarFiles.some((f) => f.endsWith('.map'))).toBe(false)
    expect(asarFiles.some((f) => f.startsWith('/src/') || f.startsWith('/test/'))).toBe(false)
  })

  it('the packaged renderer carries the app CSP and loads nothing remote', () => {
    const html = asar.extractFile(join(resourcesPath, 'app.asar'), 'out/renderer/index.html').toString('utf8')
    const meta = /<meta http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)?.[1]
    expect(meta).toBeDefined()
    for (const directive of ["default-src 'self'", "script-src 'self'", "object-src 'none'"]) expect(meta).toContain(directive)
    expect(RENDERER_CSP).toContain(meta!.split('; ')[0])
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//)
  })

  it('copies resources (icons) as plain files', () => {
    expect(existsSync(join(resourcesPath, 'resources', 'icons', 'tray-idle-light-24.png'))).toBe(true)
    expect(existsSync(join(resourcesPath, 'resources', 'icons', 'app-512.png'))).toBe(true)
  })
})

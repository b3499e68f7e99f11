import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  checkRuntimeResources,
  iconsDir,
  mediasoupWorkerPath,
  onnxRuntimeBindingPath,
  resourcesDir,
  type AppLayout
} from '../../../src/node/resourcePaths'
import type { WorkerBinaryFs } from '../../../src/node/mediasoupWorkerBinary'

const repo = '/home/dev/voice-assistant'
const dev: AppLayout = { appRoot: repo, isPackaged: false, resourcesPath: '/home/dev/voice-assistant/node_modules/electron/dist/resources', platform: 'linux', arch: 'x64' }
const packaged: AppLayout = { appRoot: '/opt/Voice Assistant/resources/app.asar', isPackaged: true, resourcesPath: '/opt/Voice Assistant/resources', platform: 'linux', arch: 'x64' }
const mac: AppLayout = { appRoot: '/Applications/Voice Assistant.app/Contents/Resources/app.asar', isPackaged: true, resourcesPath: '/Applications/Voice Assistant.app/Contents/Resources', platform: 'darwin', arch: 'arm64' }
const win: AppLayout = { appRoot: 'C:\\x', isPackaged: true, resourcesPath: '/win/resources', platform: 'win32', arch: 'x64' }

/** A file system holding exactly these files (plus mediasoup's package.json, which carries the version). */
function fakeFs(files: string[], version = '3.12.16'): WorkerBinaryFs {
  const set = new Set(files)
  return {
    isFile: (f) => set.has(f),
    readFile: (f) => (f.endsWith(join('node_modules', 'mediasoup', 'package.json')) ? JSON.stringify({ version }) : undefined)
  }
}

describe('resource path resolver', () => {
  it('resources and icons: the repo in development, plain files next to the asar when packaged', () => {
    expect(resourcesDir(dev)).toBe(`${repo}/resources`)
    expect(iconsDir(packaged)).toBe('/opt/Voice Assistant/resources/resources/icons')
    expect(resourcesDir(mac)).toBe('/Applications/Voice Assistant.app/Contents/Resources/resources')
  })

  it('onnxruntime-node binding: node_modules in development, app.asar.unpacked when packaged, per platform/arch', () => {
    expect(onnxRuntimeBindingPath(dev)).toBe(`${repo}/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/onnxruntime_binding.node`)
    expect(onnxRuntimeBindingPath(packaged)).toBe('/opt/Voice Assistant/resources/app.asar.unpacked/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/onnxruntime_binding.node')
    expect(onnxRuntimeBindingPath(mac)).toContain('/Contents/Resources/app.asar.unpacked/node_modules/onnxruntime-node/bin/napi-v6/darwin/arm64/')
  })

  it('mediasoup worker: the packaged copy when packaged, the build cache in development, never Electron’s own folder', () => {
    const packagedWorker = '/opt/Voice Assistant/resources/mediasoup-worker/mediasoup-worker'
    expect(mediasoupWorkerPath(packaged, { env: {}, fs: fakeFs([packagedWorker]) })).toBe(packagedWorker)
    const cached = `${repo}/.cache/mediasoup-worker/3.12.16-linux-x64/mediasoup-worker`
    // Even if a file existed under Electron's dev resources folder, development uses the cache.
    const decoy = `${dev.resourcesPath}/mediasoup-worker/mediasoup-worker`
    expect(mediasoupWorkerPath(dev, { env: {}, fs: fakeFs([cached, decoy]) })).toBe(cached)
    expect(mediasoupWorkerPath(win, { env: {}, fs: fakeFs(['/win/resources/mediasoup-worker/mediasoup-worker.exe']) })).toBe('/win/resources/mediasoup-worker/mediasoup-worker.exe')
    // MEDIASOUP_WORKER_BIN still wins (developer override).
    expect(mediasoupWorkerPath(packaged, { env: { MEDIASOUP_WORKER_BIN: '/tmp/w' }, fs: fakeFs(['/tmp/w', packagedWorker]) })).toBe('/tmp/w')
  })

  it('a packaged layout without resourcesPath is a programming error, said plainly', () => {
    expect(() => resourcesDir({ ...packaged, resourcesPath: null })).toThrow(/needs resourcesPath/)
  })

  it('checkRuntimeResources reports each missing piece with what to do', () => {
    const checks = checkRuntimeResources(packaged, { env: {}, fs: fakeFs([]), exists: () => false })
    expect(checks.map((c) => [c.name, c.ok])).toEqual([
      ['resources', false],
      ['onnxruntime-node binding', false],
      ['mediasoup worker', false]
    ])
    expect(checks[1]!.problem).toContain('not unpacked from the asar')
    expect(checks[2]!.problem).toContain('mediasoup-worker binary not found')
  })

  it('the real development layout of this checkout resolves (onnxruntime-node installed, icons committed)', () => {
    const here: AppLayout = { appRoot: join(import.meta.dirname, '..', '..', '..'), isPackaged: false, resourcesPath: null, platform: process.platform, arch: process.arch }
    const checks = checkRuntimeResources(here, { env: {} })
    expect(checks.find((c) => c.name === 'resources')!.ok).toBe(true)
    expect(checks.find((c) => c.name === 'onnxruntime-node binding')!.ok).toBe(true)
  })
})

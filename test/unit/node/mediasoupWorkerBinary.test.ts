import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import {
  ensureWorkerBinEnv,
  findRepoRoot,
  readMediasoupVersion,
  resolveMediasoupWorkerBinary,
  workerBinaryCandidates,
  type WorkerBinaryFs
} from '../../../src/node/mediasoupWorkerBinary'

const REPO = '/repo'
const RESOURCES = '/opt/Voice Assistant/resources'
const VERSION = '3.12.16'
const PKG_JSON = `${REPO}/node_modules/mediasoup/package.json`
const ENV_BIN = '/custom/bin/mediasoup-worker'
const PACKAGED_BIN = `${RESOURCES}/mediasoup-worker/mediasoup-worker`
const CACHE_BIN = `${REPO}/.cache/mediasoup-worker/${VERSION}-linux-x64/mediasoup-worker`
const PACKAGE_BIN = `${REPO}/node_modules/mediasoup/worker/out/Release/mediasoup-worker`

function fakeFs(files: Record<string, string>): WorkerBinaryFs & { reads: string[] } {
  const reads: string[] = []
  return {
    reads,
    isFile: (file) => Object.hasOwn(files, file),
    readFile: (file) => {
      reads.push(file)
      return files[file]
    }
  }
}

const withPkg = (extra: Record<string, string> = {}): Record<string, string> => ({
  [PKG_JSON]: JSON.stringify({ name: 'mediasoup', version: VERSION }),
  ...extra
})

function resolve(files: Record<string, string>, env: NodeJS.ProcessEnv = {}, resourcesPath?: string): string {
  return resolveMediasoupWorkerBinary({
    env,
    repoRoot: REPO,
    resourcesPath,
    platform: 'linux',
    arch: 'x64',
    fs: fakeFs(files)
  })
}

describe('resolveMediasoupWorkerBinary order', () => {
  const all = withPkg({ [ENV_BIN]: '', [PACKAGED_BIN]: '', [CACHE_BIN]: '', [PACKAGE_BIN]: '' })

  it('prefers MEDIASOUP_WORKER_BIN when that file exists', () => {
    expect(resolve(all, { MEDIASOUP_WORKER_BIN: ENV_BIN }, RESOURCES)).toBe(ENV_BIN)
  })

  it('ignores MEDIASOUP_WORKER_BIN when the file does not exist', () => {
    expect(resolve(all, { MEDIASOUP_WORKER_BIN: '/nope/mediasoup-worker' }, RESOURCES)).toBe(PACKAGED_BIN)
  })

  it('uses the packaged app resources next', () => {
    expect(resolve(all, {}, RESOURCES)).toBe(PACKAGED_BIN)
  })

  it('uses the build cache keyed by mediasoup version, platform and arch next', () => {
    expect(resolve(all, {})).toBe(CACHE_BIN)
    const { [PACKAGED_BIN]: _packaged, ...noPackaged } = all
    expect(resolve(noPackaged, {}, RESOURCES)).toBe(CACHE_BIN)
  })

  it("falls back to the mediasoup package's own worker/out/Release", () => {
    expect(resolve(withPkg({ [PACKAGE_BIN]: '' }), {}, RESOURCES)).toBe(PACKAGE_BIN)
  })

  it('honours MEDIASOUP_WORKER_CACHE_DIR as the cache root (absolute or relative to the repo)', () => {
    const abs = `/var/cache/ms/${VERSION}-linux-x64/mediasoup-worker`
    expect(resolve(withPkg({ [abs]: '' }), { MEDIASOUP_WORKER_CACHE_DIR: '/var/cache/ms' })).toBe(abs)
    const rel = `${REPO}/build-cache/${VERSION}-linux-x64/mediasoup-worker`
    expect(resolve(withPkg({ [rel]: '' }), { MEDIASOUP_WORKER_CACHE_DIR: 'build-cache' })).toBe(rel)
  })

  it('skips the cache when the mediasoup version is unknown', () => {
    const candidates = workerBinaryCandidates({ env: {}, repoRoot: REPO, platform: 'linux', arch: 'x64' })
    expect(candidates.map((c) => c.source)).toEqual(['package'])
  })

  it('lists candidates in order', () => {
    const candidates = workerBinaryCandidates({
      env: { MEDIASOUP_WORKER_BIN: ENV_BIN },
      repoRoot: REPO,
      resourcesPath: RESOURCES,
      version: VERSION,
      platform: 'linux',
      arch: 'x64'
    })
    expect(candidates).toEqual([
      { source: 'env', path: ENV_BIN },
      { source: 'packaged', path: PACKAGED_BIN },
      { source: 'cache', path: CACHE_BIN },
      { source: 'package', path: PACKAGE_BIN }
    ])
  })

  it('uses the .exe name on Windows', () => {
    const candidates = workerBinaryCandidates({ env: {}, repoRoot: REPO, version: VERSION, platform: 'win32', arch: 'x64' })
    expect(candidates.every((c) => c.path.endsWith('mediasoup-worker.exe'))).toBe(true)
    expect(candidates[0]?.path).toContain(`${VERSION}-win32-x64`)
  })
})

describe('resolveMediasoupWorkerBinary errors', () => {
  it('says exactly what to run and where it looked', () => {
    let message = ''
    try {
      resolve(withPkg(), { MEDIASOUP_WORKER_BIN: '/nope/mediasoup-worker' }, RESOURCES)
    } catch (error) {
      message = (error as Error).message
    }
    expect(message).toContain('mediasoup-worker binary not found for mediasoup 3.12.16')
    expect(message).toContain('npm run setup')
    expect(message).toContain('node scripts/mediasoup-worker.mjs')
    for (const p of ['/nope/mediasoup-worker', PACKAGED_BIN, CACHE_BIN, PACKAGE_BIN]) expect(message).toContain(p)
  })

  it('mentions missing node modules when mediasoup is not installed', () => {
    expect(() => resolve({})).toThrow(/node_modules\/mediasoup\/package.json was not found/)
  })

  it('treats an unreadable package.json as an unknown version', () => {
    expect(readMediasoupVersion(REPO, fakeFs({ [PKG_JSON]: '{not json' }).readFile)).toBeUndefined()
    expect(readMediasoupVersion(REPO, fakeFs(withPkg()).readFile)).toBe(VERSION)
  })
})

describe('ensureWorkerBinEnv', () => {
  it('stores the resolved path in MEDIASOUP_WORKER_BIN and returns it', () => {
    const env: NodeJS.ProcessEnv = {}
    const bin = ensureWorkerBinEnv({ env, repoRoot: REPO, platform: 'linux', arch: 'x64', fs: fakeFs(withPkg({ [CACHE_BIN]: '' })) })
    expect(bin).toBe(CACHE_BIN)
    expect(env.MEDIASOUP_WORKER_BIN).toBe(CACHE_BIN)
  })

  it('leaves the env untouched when nothing is found', () => {
    const env: NodeJS.ProcessEnv = {}
    expect(() => ensureWorkerBinEnv({ env, repoRoot: REPO, fs: fakeFs(withPkg()) })).toThrow(/npm run setup/)
    expect(env.MEDIASOUP_WORKER_BIN).toBeUndefined()
  })
})

describe('findRepoRoot', () => {
  it('walks up to the directory holding node_modules/mediasoup', () => {
    expect(findRepoRoot(`${REPO}/src/server`, fakeFs(withPkg()).isFile)).toBe(REPO)
    expect(findRepoRoot('/elsewhere/deep', fakeFs(withPkg()).isFile)).toBeUndefined()
  })
})

describe('with the real file system', () => {
  let dir: string | undefined
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true })
    dir = undefined
  })

  it('finds an executable in the cache layout the build script uses, and rejects non-executables', async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'ms-worker-bin-'))
    const pkgDir = path.join(dir, 'node_modules', 'mediasoup')
    mkdirSync(pkgDir, { recursive: true })
    writeFileSync(path.join(pkgDir, 'package.json'), JSON.stringify({ name: 'mediasoup', version: VERSION }))

    // The build script and this module must agree on the cache layout (same env override rules).
    const scriptUrl = new URL('../../../scripts/mediasoup-worker.mjs', import.meta.url).href
    const script = (await import(scriptUrl)) as {
      workerCacheDir(o: { repoRoot: string; version: string; env: NodeJS.ProcessEnv }): string
    }
    const cacheDir = script.workerCacheDir({ repoRoot: dir, version: VERSION, env: {} })
    expect(script.workerCacheDir({ repoRoot: dir, version: VERSION, env: { MEDIASOUP_WORKER_CACHE_DIR: 'x' } })).toBe(
      path.join(dir, 'x', `${VERSION}-${process.platform}-${process.arch}`)
    )
    const bin = path.join(cacheDir, process.platform === 'win32' ? 'mediasoup-worker.exe' : 'mediasoup-worker')
    mkdirSync(cacheDir, { recursive: true })
    writeFileSync(bin, '#!/bin/sh\nexit 41\n')

    if (process.platform !== 'win32') {
      chmodSync(bin, 0o644)
      expect(() => resolveMediasoupWorkerBinary({ env: {}, repoRoot: dir, resourcesPath: undefined })).toThrow(/not found/)
    }
    chmodSync(bin, 0o755)
    expect(resolveMediasoupWorkerBinary({ env: {}, repoRoot: dir })).toBe(bin)
  })
})

import { accessSync, constants, readFileSync, statSync } from 'node:fs'
import path from 'node:path'

/**
 * Where the mediasoup C++ worker binary (mediasoup-worker) comes from. This is the one place the app, the standalone
 * server and the tests resolve it; `scripts/mediasoup-worker.mjs` builds it into the cache layout used here.
 *
 * Order:
 *   1. env MEDIASOUP_WORKER_BIN, if that file exists;
 *   2. the packaged app: `<resourcesPath>/mediasoup-worker/mediasoup-worker` (resourcesPath = Electron's
 *      process.resourcesPath);
 *   3. the repo cache: `<cacheRoot>/<mediasoup version>-<platform>-<arch>/mediasoup-worker`, where cacheRoot is env
 *      MEDIASOUP_WORKER_CACHE_DIR (relative values resolve against the repo root) or `<repoRoot>/.cache/mediasoup-worker`
 *      and the version is read from `<repoRoot>/node_modules/mediasoup/package.json`;
 *   4. the mediasoup package's own build: `<repoRoot>/node_modules/mediasoup/worker/out/Release/mediasoup-worker`.
 */

export const WORKER_BIN_ENV = 'MEDIASOUP_WORKER_BIN'
export const WORKER_CACHE_DIR_ENV = 'MEDIASOUP_WORKER_CACHE_DIR'
/** What to run when no worker exists. `npm run setup` runs the script as part of the bootstrap. */
export const BUILD_WORKER_COMMAND = 'node scripts/mediasoup-worker.mjs'
export const SETUP_COMMAND = 'npm run setup'

export type WorkerBinarySource = 'env' | 'packaged' | 'cache' | 'package'

export interface WorkerBinaryCandidate {
  readonly source: WorkerBinarySource
  readonly path: string
}

/** The file-system access the resolver needs; injectable so the order can be unit tested. */
export interface WorkerBinaryFs {
  /** True if `file` exists and is a regular file (executability is checked by the real implementation). */
  isFile(file: string): boolean
  /** File contents as UTF-8, or undefined if it cannot be read. */
  readFile(file: string): string | undefined
}

export interface ResolveMediasoupWorkerBinaryOptions {
  /** Default: process.env. */
  env?: NodeJS.ProcessEnv
  /** Default: the nearest directory at or above process.cwd() containing node_modules/mediasoup, else process.cwd(). */
  repoRoot?: string
  /** Electron's process.resourcesPath in a packaged app. Default: process.resourcesPath when running in Electron. */
  resourcesPath?: string
  /** For tests. Default: process.platform / process.arch / the real file system. */
  platform?: NodeJS.Platform
  arch?: string
  fs?: WorkerBinaryFs
}

export interface WorkerBinaryCandidatesInput {
  env: NodeJS.ProcessEnv
  repoRoot: string
  resourcesPath?: string
  /** mediasoup version from node_modules/mediasoup/package.json; without it the cache candidate is skipped. */
  version?: string
  platform: NodeJS.Platform
  arch: string
}

export function workerBinaryName(platform: NodeJS.Platform): string {
  return platform === 'win32' ? 'mediasoup-worker.exe' : 'mediasoup-worker'
}

export function mediasoupPackageDir(repoRoot: string): string {
  return path.join(repoRoot, 'node_modules', 'mediasoup')
}

/** The installed mediasoup version, or undefined if the package.json is missing or unreadable. */
export function readMediasoupVersion(repoRoot: string, readFile: WorkerBinaryFs['readFile']): string | undefined {
  const text = readFile(path.join(mediasoupPackageDir(repoRoot), 'package.json'))
  if (text === undefined) return undefined
  try {
    const pkg: unknown = JSON.parse(text)
    if (typeof pkg !== 'object' || pkg === null) return undefined
    const version = (pkg as { version?: unknown }).version
    return typeof version === 'string' && version !== '' ? version : undefined
  } catch {
    return undefined
  }
}

/** `<cacheRoot>/<version>-<platform>-<arch>`; must match workerCacheDir() in scripts/mediasoup-worker.mjs. */
export function workerCacheDir(opts: {
  repoRoot: string
  version: string
  platform: NodeJS.Platform
  arch: string
  env: NodeJS.ProcessEnv
}): string {
  const override = opts.env[WORKER_CACHE_DIR_ENV]
  const root = override ? path.resolve(opts.repoRoot, override) : path.join(opts.repoRoot, '.cache', 'mediasoup-worker')
  return path.join(root, `${opts.version}-${opts.platform}-${opts.arch}`)
}

/** Every place a worker may be, in the order they are tried. */
export function workerBinaryCandidates(input: WorkerBinaryCandidatesInput): WorkerBinaryCandidate[] {
  const name = workerBinaryName(input.platform)
  const candidates: WorkerBinaryCandidate[] = []
  const fromEnv = input.env[WORKER_BIN_ENV]
  if (fromEnv) candidates.push({ source: 'env', path: path.resolve(fromEnv) })
  if (input.resourcesPath) {
    candidates.push({ source: 'packaged', path: path.join(input.resourcesPath, 'mediasoup-worker', name) })
  }
  if (input.version !== undefined) {
    const dir = workerCacheDir({ ...input, version: input.version })
    candidates.push({ source: 'cache', path: path.join(dir, name) })
  }
  candidates.push({
    source: 'package',
    path: path.join(mediasoupPackageDir(input.repoRoot), 'worker', 'out', 'Release', name)
  })
  return candidates
}

export function pickWorkerBinary(
  candidates: readonly WorkerBinaryCandidate[],
  isFile: WorkerBinaryFs['isFile']
): WorkerBinaryCandidate | undefined {
  return candidates.find((c) => isFile(c.path))
}

export function missingWorkerBinaryMessage(candidates: readonly WorkerBinaryCandidate[], version?: string): string {
  const lines = [
    `mediasoup-worker binary not found${version ? ` for mediasoup ${version}` : ''}. Build it with:`,
    '',
    `  ${SETUP_COMMAND}`,
    `or only the worker:`,
    `  ${BUILD_WORKER_COMMAND}`,
    '',
    'Looked in:',
    ...candidates.map((c) => `  ${c.path}  (${describeSource(c.source)})`)
  ]
  if (version === undefined) {
    lines.push('', 'node_modules/mediasoup/package.json was not found: install node modules first.')
  }
  return lines.join('\n')
}

function describeSource(source: WorkerBinarySource): string {
  switch (source) {
    case 'env':
      return `${WORKER_BIN_ENV}`
    case 'packaged':
      return 'packaged app resources'
    case 'cache':
      return 'build cache'
    case 'package':
      return "mediasoup package's own build"
  }
}

/** Nearest directory at or above `startDir` that contains node_modules/mediasoup/package.json. */
export function findRepoRoot(startDir: string, isFile: WorkerBinaryFs['isFile']): string | undefined {
  let dir = path.resolve(startDir)
  for (;;) {
    if (isFile(path.join(mediasoupPackageDir(dir), 'package.json'))) return dir
    const parent = path.dirname(dir)
    if (parent === dir) return undefined
    dir = parent
  }
}

export const nodeWorkerBinaryFs: WorkerBinaryFs = {
  isFile(file) {
    try {
      if (!statSync(file).isFile()) return false
      if (process.platform !== 'win32') accessSync(file, constants.X_OK)
      return true
    } catch {
      return false
    }
  },
  readFile(file) {
    try {
      return readFileSync(file, 'utf8')
    } catch {
      return undefined
    }
  }
}

function electronResourcesPath(): string | undefined {
  const value = (process as unknown as { resourcesPath?: unknown }).resourcesPath
  return typeof value === 'string' && value !== '' ? value : undefined
}

/**
 * Absolute path of the mediasoup-worker binary to use. Throws an Error saying what to run if none exists.
 */
export function resolveMediasoupWorkerBinary(opts: ResolveMediasoupWorkerBinaryOptions = {}): string {
  const fs = opts.fs ?? nodeWorkerBinaryFs
  const env = opts.env ?? process.env
  const repoRoot = path.resolve(opts.repoRoot ?? findRepoRoot(process.cwd(), fs.isFile) ?? process.cwd())
  const version = readMediasoupVersion(repoRoot, fs.readFile)
  const candidates = workerBinaryCandidates({
    env,
    repoRoot,
    resourcesPath: opts.resourcesPath ?? electronResourcesPath(),
    version,
    platform: opts.platform ?? process.platform,
    arch: opts.arch ?? process.arch
  })
  const found = pickWorkerBinary(candidates, fs.isFile)
  if (!found) throw new Error(missingWorkerBinaryMessage(candidates, version))
  return found.path
}

/**
 * Resolve the worker and store it in MEDIASOUP_WORKER_BIN of `opts.env` (default process.env), which is where
 * mediasoup 3.12 takes the binary from. mediasoup reads that variable once, when its module is first loaded
 * (node/lib/Worker.js), so call this BEFORE the first `import('mediasoup')`; a static `import ... from 'mediasoup'`
 * is evaluated too early. Returns the path.
 */
export function ensureWorkerBinEnv(opts: ResolveMediasoupWorkerBinaryOptions = {}): string {
  const env = opts.env ?? process.env
  const bin = resolveMediasoupWorkerBinary({ ...opts, env })
  env[WORKER_BIN_ENV] = bin
  return bin
}

#!/usr/bin/env node
// Locate or build the mediasoup C++ worker (mediasoup-worker) for this machine.
//
// mediasoup 3.12 has no prebuilt worker we can reach here, and its own postinstall build downloads meson/ninja
// with pip and every C/C++ dependency from GitHub/wrapdb. This script instead compiles the worker sources that
// ship inside the installed npm package against the distribution's system libraries (Debian 12: libssl-dev,
// libuv1-dev, libsrtp2-dev, libusrsctp-dev, libabsl-dev, nlohmann-json3-dev) using the system meson + ninja,
// and caches the result keyed by mediasoup version + platform + arch:
//
//   <repo>/.cache/mediasoup-worker/<version>-<platform>-<arch>/mediasoup-worker
//
// MEDIASOUP_WORKER_CACHE_DIR replaces the `<repo>/.cache/mediasoup-worker` part (the keyed sub-directory is kept,
// so one cache directory can hold several versions). src/node/mediasoupWorkerBinary.ts uses the same layout.
//
// Order: $MEDIASOUP_WORKER_BIN (if it is an executable file) -> the package's own worker/out/Release binary (if it
// runs here) -> the cache (if its stamp matches) -> build into the cache.
//
// npm install must be run with MEDIASOUP_WORKER_BIN set to any non-empty value (e.g. the cache path above), or
// mediasoup's postinstall tries GitHub + pip and fails; see `--help`.
//
// Uses only Node builtins: it runs before any dependency other than the mediasoup package itself is present.
// Progress goes to stderr; the last line on stdout is the absolute path of the worker binary.

import { spawn, spawnSync } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseCli, UsageError } from './lib.mjs'

export const WORKER_BIN_ENV = 'MEDIASOUP_WORKER_BIN'
export const WORKER_CACHE_DIR_ENV = 'MEDIASOUP_WORKER_CACHE_DIR'
export const WORKER_JOBS_ENV = 'MEDIASOUP_WORKER_JOBS'

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const STAMP_FILE = 'mediasoup-worker.stamp.json'
const LOG_FILE = 'build.log'
const LOCK_DIR = '.build.lock'
const LOG_TAIL_LINES = 40
const PROGRESS_INTERVAL_MS = 10_000
const LOCK_WAIT_MS = 45 * 60 * 1000
/** mediasoup-worker's main() exits with 41 when MEDIASOUP_VERSION is not in its env (see worker/src/main.cpp). */
const WORKER_PROBE_EXIT_CODE = 41
const MIN_MESON_VERSION = [0, 63, 0]

/** Bump when the patch or the build recipe changes in a way that must invalidate cached binaries. */
const RECIPE_VERSION = 1

const CONFIGURE_ARGS = [
  '--buildtype=release',
  '-Db_ndebug=true',
  '-Db_pie=true',
  // No wrap files are copied, so nothing could be downloaded anyway; this makes it explicit.
  '--wrap-mode=nodownload'
]

/** Parts of worker/ that the patched build needs (tests, fuzzer, subprojects and scripts are left out). */
const WORKER_SOURCE_ENTRIES = ['meson.build', 'meson_options.txt', 'include', 'src', 'deps']

/** pkg-config modules the patched build uses, and the Debian package that provides each. */
export const SYSTEM_MODULES = [
  { module: 'openssl', debian: 'libssl-dev' },
  { module: 'nlohmann_json', debian: 'nlohmann-json3-dev' },
  { module: 'libuv', debian: 'libuv1-dev' },
  { module: 'libsrtp2', debian: 'libsrtp2-dev' },
  { module: 'usrsctp', debian: 'libusrsctp-dev' },
  { module: 'absl_flat_hash_map', debian: 'libabsl-dev' },
  { module: 'absl_flat_hash_set', debian: 'libabsl-dev' },
  { module: 'absl_btree', debian: 'libabsl-dev' },
  { module: 'absl_inlined_vector', debian: 'libabsl-dev' },
  { module: 'absl_memory', debian: 'libabsl-dev' },
  { module: 'absl_strings', debian: 'libabsl-dev' },
  { module: 'absl_optional', debian: 'libabsl-dev' }
]

/** Every Debian package the build needs (tools + libraries). */
export const DEBIAN_PACKAGES = [
  'meson',
  'ninja-build',
  'pkg-config',
  'gcc',
  'g++',
  ...new Set(SYSTEM_MODULES.map((m) => m.debian))
]

// Replaces the `subproject()` wraps in worker/meson.build. The variable names mirror what the original file fetched
// with `<proj>.get_variable('<name>')`, prefixed with `sys_`.
const SYSTEM_DEPS_BLOCK = `
# ---- patched by scripts/mediasoup-worker.mjs: system libraries instead of wrap subprojects ----
sys_openssl_dep = dependency('openssl')
sys_nlohmann_json_dep = dependency('nlohmann_json')
sys_libuv_dep = dependency('libuv')
# Debian installs libsrtp2 headers in <includedir>/srtp2 while the worker does #include <srtp.h>.
sys_libsrtp2_pc_dep = dependency('libsrtp2')
sys_libsrtp2_dep = declare_dependency(
  dependencies: sys_libsrtp2_pc_dep,
  compile_args: ['-I' + (sys_libsrtp2_pc_dep.get_variable(pkgconfig: 'includedir') / 'srtp2')],
)
sys_usrsctp_dep = dependency('usrsctp')
# abseil has no umbrella pkg-config modules: list what the worker and deps/libwebrtc include.
sys_absl_container_dep = declare_dependency(dependencies: [
  dependency('absl_flat_hash_map'),
  dependency('absl_flat_hash_set'),
  dependency('absl_btree'),
  dependency('absl_inlined_vector'),
  dependency('absl_memory'),
])
sys_absl_strings_dep = dependency('absl_strings')
sys_absl_types_dep = declare_dependency(dependencies: [dependency('absl_optional')])
# ---- end of patch ----
`

const SUBPROJECT_VARIABLES = [
  'absl_container_dep',
  'absl_strings_dep',
  'absl_types_dep',
  'openssl_dep',
  'nlohmann_json_dep',
  'libuv_dep',
  'libsrtp2_dep',
  'usrsctp_dep'
]

export class MediasoupWorkerError extends Error {
  /**
   * @param {string} message
   * @param {{ exitCode?: number, logPath?: string }} [extra]
   */
  constructor(message, extra = {}) {
    super(message)
    this.name = 'MediasoupWorkerError'
    this.exitCode = extra.exitCode ?? 1
    this.logPath = extra.logPath
  }
}

function mustReplace(text, pattern, replacement, what, file) {
  const count = (text.match(new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : pattern.flags + 'g')) ?? []).length
  if (count === 0) {
    throw new MediasoupWorkerError(
      `patch failed: could not find ${what} in ${file}. mediasoup's meson files changed; update the patch in scripts/mediasoup-worker.mjs.`
    )
  }
  return text.replace(pattern, replacement)
}

/**
 * Rewrite worker/meson.build and worker/deps/libwebrtc/meson.build to use system libraries via dependency().
 * Pure string transformation so the cache check can recompute the checksum without building.
 * @param {string} top contents of worker/meson.build
 * @param {string} libwebrtc contents of worker/deps/libwebrtc/meson.build
 * @returns {{ top: string, libwebrtc: string }}
 */
export function patchMesonFiles(top, libwebrtc) {
  const T = 'worker/meson.build'
  const W = 'worker/deps/libwebrtc/meson.build'
  // Debian 12 ships meson 1.0.1; the worker only uses features from <= 0.63.
  top = mustReplace(top, /meson_version\s*:\s*'[^']*'/, "meson_version: '>= 0.63.0'", 'meson_version', T)
  // Drop every top-level `<name>_proj = subproject(...)` block (the Windows-only one is indented and stays).
  top = mustReplace(top, /^\w+_proj = subproject\([\s\S]*?^\)\n/gm, '', 'subproject() blocks', T)
  top = mustReplace(top, /^(libwebrtc_include_directories =)/m, `${SYSTEM_DEPS_BLOCK}$1`, 'libwebrtc_include_directories', T)
  libwebrtc = mustReplace(libwebrtc, /^\w+_proj = subproject\([\s\S]*?^\)\n/gm, '', 'subproject() blocks', W)
  const variable = new RegExp(`\\b\\w+_proj\\.get_variable\\('(${SUBPROJECT_VARIABLES.join('|')})'\\)`, 'g')
  top = mustReplace(top, variable, 'sys_$1', 'subproject dependency variables', T)
  libwebrtc = mustReplace(libwebrtc, variable, 'sys_$1', 'subproject dependency variables', W)
  // link_whole only feeds the (not built) libmediasoup-worker library; the static wrap libs no longer exist.
  top = mustReplace(top, /^link_whole = \[[\s\S]*?^\]\n/m, 'link_whole = [\n  libwebrtc,\n]\n', 'link_whole list', T)
  // Tests (catch2) and the fuzzer are not built; cut everything from the test sources on.
  const cut = top.indexOf('\ntest_sources = [')
  if (cut < 0) throw new MediasoupWorkerError(`patch failed: could not find test_sources in ${T}; update scripts/mediasoup-worker.mjs.`)
  top = top.slice(0, cut + 1)
  for (const [name, text] of [[T, top], [W, libwebrtc]]) {
    const leftovers = [...text.matchAll(/\b(\w+)_proj\.get_variable\(/g)].filter((m) => m[1] !== 'wingetopt')
    if (leftovers.length > 0 || /^\w+_proj = subproject\(/m.test(text)) {
      throw new MediasoupWorkerError(`patch failed: ${name} still references wrap subprojects; update scripts/mediasoup-worker.mjs.`)
    }
  }
  if (!/^executable\(\s*\n\s*'mediasoup-worker',/m.test(top)) {
    throw new MediasoupWorkerError(`patch failed: mediasoup-worker executable() target not found in ${T}.`)
  }
  return { top, libwebrtc }
}

function sha256(...parts) {
  const h = crypto.createHash('sha256')
  for (const p of parts) h.update(p).update('\0')
  return h.digest('hex')
}

/** Binary file name of the worker on `platform`. */
export function workerBinaryName(platform = process.platform) {
  return platform === 'win32' ? 'mediasoup-worker.exe' : 'mediasoup-worker'
}

/**
 * `<cacheRoot>/<version>-<platform>-<arch>`, where cacheRoot is $MEDIASOUP_WORKER_CACHE_DIR (relative values are
 * resolved against the repo root) or `<repoRoot>/.cache/mediasoup-worker`.
 */
export function workerCacheDir({ repoRoot, version, env = process.env, platform = process.platform, arch = process.arch }) {
  const override = env[WORKER_CACHE_DIR_ENV]
  const root = override ? path.resolve(repoRoot, override) : path.join(repoRoot, '.cache', 'mediasoup-worker')
  return path.join(root, `${version}-${platform}-${arch}`)
}

function isExecutableFile(file) {
  try {
    if (!fs.statSync(file).isFile()) return false
    fs.accessSync(file, fs.constants.X_OK)
    return true
  } catch {
    return false
  }
}

/** Run the worker with an empty env: a working binary (all shared libs load) exits with code 41 right away. */
export function probeWorker(bin) {
  const res = spawnSync(bin, [], { env: {}, stdio: 'ignore', timeout: 15_000 })
  if (res.error) return { ok: false, detail: res.error.message }
  if (res.status === WORKER_PROBE_EXIT_CODE) return { ok: true, detail: 'exit 41' }
  return { ok: false, detail: res.signal ? `killed by ${res.signal}` : `exit ${res.status}` }
}

function readMediasoupPackage(packageDir) {
  const pkgPath = path.join(packageDir, 'package.json')
  let pkg
  try {
    pkg = JSON.parse(fs.readFileSync(pkgPath, 'utf8'))
  } catch (error) {
    throw new MediasoupWorkerError(
      `mediasoup package not found at ${packageDir} (${error.code ?? error.message}). Install node modules first, with ` +
        `${WORKER_BIN_ENV} set so mediasoup's postinstall skips its own worker build: ` +
        `${WORKER_BIN_ENV}=<any path> npm install`,
      { exitCode: 2 }
    )
  }
  if (pkg.name !== 'mediasoup' || typeof pkg.version !== 'string') {
    throw new MediasoupWorkerError(`${pkgPath} is not the mediasoup package`, { exitCode: 2 })
  }
  return pkg
}

function formatDuration(ms) {
  if (ms < 1000) return `${Math.round(ms)}ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`
  const s = Math.round(ms / 1000)
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
}

function defaultLog(line) {
  process.stderr.write(`[mediasoup-worker] ${line}\n`)
}

function commandOutput(cmd, args) {
  const res = spawnSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  if (res.error || res.status !== 0) return undefined
  return (res.stdout || res.stderr).trim()
}

function parseVersion(text) {
  const m = /(\d+)\.(\d+)(?:\.(\d+))?/.exec(text ?? '')
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : undefined
}

function versionAtLeast(v, min) {
  for (let i = 0; i < 3; i++) {
    if (v[i] !== min[i]) return v[i] > min[i]
  }
  return true
}

/**
 * Check meson, ninja, pkg-config, the C/C++ compilers and the pkg-config modules. Throws (exit code 3) with the
 * exact apt-get line when something is missing. Returns the versions found, for the stamp.
 */
export function checkPrerequisites(env = process.env) {
  const missing = new Set()
  const problems = []
  const toolchain = {}
  const compilerCmd = (value, fallback) => (value ? value.trim().split(/\s+/)[0] : fallback)
  const tools = [
    { key: 'meson', cmd: 'meson', args: ['--version'], debian: 'meson' },
    { key: 'ninja', cmd: 'ninja', args: ['--version'], debian: 'ninja-build' },
    { key: 'pkgConfig', cmd: 'pkg-config', args: ['--version'], debian: 'pkg-config' },
    { key: 'cc', cmd: compilerCmd(env.CC, 'cc'), args: ['--version'], debian: 'gcc' },
    { key: 'cxx', cmd: compilerCmd(env.CXX, 'c++'), args: ['--version'], debian: 'g++' }
  ]
  for (const tool of tools) {
    const out = commandOutput(tool.cmd, tool.args)
    if (out === undefined) {
      missing.add(tool.debian)
      problems.push(`${tool.cmd} not found`)
      continue
    }
    toolchain[tool.key] = out.split('\n')[0]
  }
  if (toolchain.meson) {
    const v = parseVersion(toolchain.meson)
    if (!v || !versionAtLeast(v, MIN_MESON_VERSION)) {
      missing.add('meson')
      problems.push(`meson ${toolchain.meson} is older than ${MIN_MESON_VERSION.join('.')}`)
    }
  }
  const systemLibraries = {}
  if (toolchain.pkgConfig) {
    for (const { module, debian } of SYSTEM_MODULES) {
      const version = commandOutput('pkg-config', ['--modversion', module])
      if (version === undefined) {
        missing.add(debian)
        problems.push(`pkg-config module ${module} not found`)
      } else {
        systemLibraries[module] = version
      }
    }
  } else {
    for (const { debian } of SYSTEM_MODULES) missing.add(debian)
  }
  if (missing.size > 0) {
    const pkgs = DEBIAN_PACKAGES.filter((p) => missing.has(p))
    throw new MediasoupWorkerError(
      `missing build prerequisites for mediasoup-worker: ${problems.join('; ')}.\n` +
        `Install them (Debian/Ubuntu) and run this script again:\n\n` +
        `  apt-get install -y --no-install-recommends ${pkgs.join(' ')}\n`,
      { exitCode: 3 }
    )
  }
  return { toolchain, systemLibraries }
}

function readJson(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'))
  } catch {
    return undefined
  }
}

function writeFileAtomic(file, data, mode) {
  const tmp = `${file}.tmp-${process.pid}`
  fs.writeFileSync(tmp, data, mode === undefined ? undefined : { mode })
  fs.renameSync(tmp, file)
}

/** What the cached binary must have been built from: patched meson files + configure args + recipe version. */
function computeBuildIdentity(packageDir) {
  const workerDir = path.join(packageDir, 'worker')
  const top = fs.readFileSync(path.join(workerDir, 'meson.build'), 'utf8')
  const webrtc = fs.readFileSync(path.join(workerDir, 'deps', 'libwebrtc', 'meson.build'), 'utf8')
  const patched = patchMesonFiles(top, webrtc)
  return {
    patched,
    patchChecksum: `sha256:${sha256(patched.top, patched.libwebrtc)}`,
    configureArgs: CONFIGURE_ARGS,
    recipeVersion: RECIPE_VERSION
  }
}

function isStampCurrent(stamp, { version, platform, arch, identity }) {
  return (
    stamp !== undefined &&
    stamp.mediasoupVersion === version &&
    stamp.platform === platform &&
    stamp.arch === arch &&
    stamp.recipeVersion === identity.recipeVersion &&
    stamp.patchChecksum === identity.patchChecksum &&
    JSON.stringify(stamp.configureArgs) === JSON.stringify(identity.configureArgs)
  )
}

function processAlive(pid) {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return error.code === 'EPERM'
  }
}

/** Directory lock so two concurrent runs (e.g. parallel npm scripts) don't build into the same cache dir. */
async function acquireLock(cacheDir, log) {
  const lockDir = path.join(cacheDir, LOCK_DIR)
  const started = Date.now()
  let announced = false
  for (;;) {
    try {
      fs.mkdirSync(lockDir)
      fs.writeFileSync(path.join(lockDir, 'owner.json'), JSON.stringify({ pid: process.pid, host: os.hostname(), since: new Date().toISOString() }))
      return { release: () => fs.rmSync(lockDir, { recursive: true, force: true }), waited: announced }
    } catch (error) {
      if (error.code !== 'EEXIST') throw error
    }
    const owner = readJson(path.join(lockDir, 'owner.json'))
    const stale =
      owner === undefined
        ? Date.now() - (fs.statSync(lockDir, { throwIfNoEntry: false })?.mtimeMs ?? 0) > 10_000
        : owner.host === os.hostname() && !processAlive(owner.pid)
    if (stale) {
      log(`removing stale build lock ${lockDir}`)
      fs.rmSync(lockDir, { recursive: true, force: true })
      continue
    }
    if (!announced) {
      log(`another build is running (pid ${owner?.pid ?? '?'}); waiting for it to finish`)
      announced = true
    }
    if (Date.now() - started > LOCK_WAIT_MS) {
      throw new MediasoupWorkerError(`timed out waiting for build lock ${lockDir}; remove it if no build is running`)
    }
    await new Promise((resolve) => setTimeout(resolve, 2000))
  }
}

function tailLines(file, n) {
  try {
    const lines = fs.readFileSync(file, 'utf8').replace(/\n+$/, '').split('\n')
    return lines.slice(-n).join('\n')
  } catch {
    return '(no build log)'
  }
}

/**
 * Spawn a command, appending its stdout+stderr to the log fd. `onLine` sees each stdout line.
 * Resolves on exit code 0, rejects otherwise.
 */
function runLogged(cmd, args, { cwd, logFd, onLine, env }) {
  fs.writeSync(logFd, `\n$ ${[cmd, ...args].join(' ')}\n`)
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let pending = ''
    child.stdout.on('data', (chunk) => {
      fs.writeSync(logFd, chunk)
      if (!onLine) return
      pending += chunk.toString('utf8')
      const lines = pending.split('\n')
      pending = lines.pop() ?? ''
      for (const line of lines) onLine(line)
    })
    child.stderr.on('data', (chunk) => fs.writeSync(logFd, chunk))
    child.on('error', (error) => reject(new Error(`${cmd}: ${error.message}`)))
    child.on('close', (code, signal) => {
      if (pending && onLine) onLine(pending)
      fs.writeSync(logFd, `[exit ${code ?? signal}]\n`)
      if (code === 0) resolve()
      else reject(new Error(`${cmd} ${args[0] ?? ''} failed (${signal ? `signal ${signal}` : `exit ${code}`})`))
    })
  })
}

function defaultJobs(env) {
  const fromEnv = Number.parseInt(env[WORKER_JOBS_ENV] ?? '', 10)
  if (Number.isInteger(fromEnv) && fromEnv > 0) return fromEnv
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length
}

async function buildWorker({ packageDir, version, cacheDir, identity, jobs, keepBuild, env, log }) {
  const t0 = Date.now()
  const platform = process.platform
  const arch = process.arch
  const binName = workerBinaryName(platform)
  const logPath = path.join(cacheDir, LOG_FILE)
  const srcDir = path.join(cacheDir, 'src')
  const buildDir = path.join(cacheDir, 'build')
  const finalBin = path.join(cacheDir, binName)

  log(`building mediasoup-worker ${version} for ${platform}-${arch} from ${path.join(packageDir, 'worker')}`)
  log('checking prerequisites (meson, ninja, pkg-config, compilers, system libraries)')
  const prereq = checkPrerequisites(env)
  log(`  meson ${prereq.toolchain.meson}, ninja ${prereq.toolchain.ninja}, ${prereq.toolchain.cxx}`)

  const logFd = fs.openSync(logPath, 'w')
  let logOpen = true
  const closeLog = () => {
    if (logOpen) fs.closeSync(logFd)
    logOpen = false
  }
  const phase = (name, detail) => {
    const line = `[${formatDuration(Date.now() - t0)}] ${name}${detail ? `: ${detail}` : ''}`
    fs.writeSync(logFd, `\n==== ${line}\n`)
    log(line)
  }
  try {
    fs.writeSync(
      logFd,
      `mediasoup-worker ${version} ${platform}-${arch} build started ${new Date().toISOString()}\n` +
        `package: ${packageDir}\ntoolchain: ${JSON.stringify(prereq.toolchain)}\nsystem libraries: ${JSON.stringify(prereq.systemLibraries)}\n`
    )

    phase('copy', `worker sources -> ${srcDir}`)
    fs.rmSync(srcDir, { recursive: true, force: true })
    fs.rmSync(buildDir, { recursive: true, force: true })
    fs.mkdirSync(srcDir, { recursive: true })
    for (const entry of WORKER_SOURCE_ENTRIES) {
      fs.cpSync(path.join(packageDir, 'worker', entry), path.join(srcDir, entry), { recursive: true })
    }

    phase('patch', `meson.build + deps/libwebrtc/meson.build -> system libraries (${identity.patchChecksum.slice(0, 19)})`)
    fs.writeFileSync(path.join(srcDir, 'meson.build'), identity.patched.top)
    fs.writeFileSync(path.join(srcDir, 'deps', 'libwebrtc', 'meson.build'), identity.patched.libwebrtc)
    fs.writeSync(logFd, SYSTEM_DEPS_BLOCK)

    const buildEnv = { ...env }

    phase('configure', `meson setup ${CONFIGURE_ARGS.join(' ')}`)
    await runLogged('meson', ['setup', buildDir, srcDir, ...CONFIGURE_ARGS], { cwd: cacheDir, logFd, env: buildEnv })

    phase('compile', `ninja -j ${jobs} mediasoup-worker`)
    const compileStart = Date.now()
    let lastReport = 0
    let last = ''
    await runLogged('ninja', ['-C', buildDir, '-j', String(jobs), 'mediasoup-worker'], {
      cwd: cacheDir,
      logFd,
      env: buildEnv,
      onLine: (line) => {
        const m = /^\[(\d+)\/(\d+)\]/.exec(line)
        if (!m) return
        last = `[${m[1]}/${m[2]}]`
        const now = Date.now()
        if (now - lastReport >= PROGRESS_INTERVAL_MS || m[1] === m[2]) {
          lastReport = now
          const pct = Math.floor((100 * Number(m[1])) / Number(m[2]))
          log(`  compile ${last} ${pct}% (${formatDuration(now - compileStart)})`)
        }
      }
    })
    const compileMs = Date.now() - compileStart

    phase('install', finalBin)
    const built = path.join(buildDir, binName)
    const tmpBin = `${finalBin}.tmp-${process.pid}`
    fs.copyFileSync(built, tmpBin)
    fs.chmodSync(tmpBin, 0o755)
    const probe = probeWorker(tmpBin)
    if (!probe.ok) {
      fs.rmSync(tmpBin, { force: true })
      throw new Error(`the freshly built worker does not run on this machine (${probe.detail}; expected exit ${WORKER_PROBE_EXIT_CODE})`)
    }
    fs.renameSync(tmpBin, finalBin)
    const durationMs = Date.now() - t0
    const stamp = {
      mediasoupVersion: version,
      platform,
      arch,
      binary: finalBin,
      binarySha256: sha256(fs.readFileSync(finalBin)),
      builtAt: new Date().toISOString(),
      durationMs,
      compileMs,
      jobs,
      patchChecksum: identity.patchChecksum,
      recipeVersion: identity.recipeVersion,
      configureArgs: identity.configureArgs,
      toolchain: prereq.toolchain,
      systemLibraries: prereq.systemLibraries,
      packageDir,
      node: process.version
    }
    writeFileAtomic(path.join(cacheDir, STAMP_FILE), JSON.stringify(stamp, null, 2) + '\n')
    fs.writeSync(logFd, `\nbuild finished in ${formatDuration(durationMs)}\n`)
    if (!keepBuild) {
      fs.rmSync(srcDir, { recursive: true, force: true })
      fs.rmSync(buildDir, { recursive: true, force: true })
    }
    log(`built in ${formatDuration(durationMs)} (compile ${formatDuration(compileMs)}, -j ${jobs})`)
    return finalBin
  } catch (error) {
    try {
      fs.writeSync(logFd, `\nBUILD FAILED: ${error.message}\n`)
    } catch {
      // The log file is best effort; the failure is reported below either way.
    }
    closeLog()
    log(`build failed: ${error.message}`)
    log(`---- last ${LOG_TAIL_LINES} lines of ${logPath} ----`)
    for (const line of tailLines(logPath, LOG_TAIL_LINES).split('\n')) log(line)
    log(`---- full log: ${logPath}`)
    if (error instanceof MediasoupWorkerError) {
      error.logPath ??= logPath
      throw error
    }
    throw new MediasoupWorkerError(`mediasoup-worker build failed: ${error.message} (log: ${logPath})`, { logPath })
  } finally {
    closeLog()
  }
}

/**
 * Resolve the paths involved without touching anything.
 * @param {{ repoRoot?: string, packageDir?: string, env?: NodeJS.ProcessEnv }} [options]
 */
export function describeMediasoupWorker(options = {}) {
  const repoRoot = path.resolve(options.repoRoot ?? REPO_ROOT)
  const env = options.env ?? process.env
  const packageDir = path.resolve(options.packageDir ?? path.join(repoRoot, 'node_modules', 'mediasoup'))
  const pkg = readMediasoupPackage(packageDir)
  const binName = workerBinaryName()
  const cacheDir = workerCacheDir({ repoRoot, version: pkg.version, env })
  return {
    repoRoot,
    packageDir,
    version: pkg.version,
    envBin: env[WORKER_BIN_ENV] ? path.resolve(env[WORKER_BIN_ENV]) : undefined,
    packageBin: path.join(packageDir, 'worker', 'out', 'Release', binName),
    cacheDir,
    cacheBin: path.join(cacheDir, binName)
  }
}

/**
 * The path an existing worker would be used from, or undefined (no build, no probing beyond "is an executable").
 * Order: $MEDIASOUP_WORKER_BIN, the package's worker/out/Release, the cache.
 */
export function findExistingMediasoupWorker(options = {}) {
  const d = describeMediasoupWorker(options)
  return [d.envBin, d.packageBin, d.cacheBin].find((p) => p !== undefined && isExecutableFile(p))
}

/**
 * Return the absolute path of a working mediasoup-worker, building it into the cache if needed.
 * @param {{
 *   repoRoot?: string,            // default: the directory above scripts/
 *   packageDir?: string,          // default: <repoRoot>/node_modules/mediasoup
 *   log?: (line: string) => void, // progress lines; default: stderr
 *   env?: NodeJS.ProcessEnv,
 *   force?: boolean,              // rebuild the cache even if it is current (ignores $MEDIASOUP_WORKER_BIN)
 *   jobs?: number,                // ninja -j; default $MEDIASOUP_WORKER_JOBS or the CPU count
 *   keepBuild?: boolean           // keep <cache>/src and <cache>/build after a successful build
 * }} [options]
 * @returns {Promise<string>}
 */
export async function ensureMediasoupWorker(options = {}) {
  const t0 = Date.now()
  const log = options.log ?? defaultLog
  const env = options.env ?? process.env
  const d = describeMediasoupWorker({ ...options, env })
  const done = (bin, how) => {
    log(`${how}: ${bin} (${formatDuration(Date.now() - t0)})`)
    return bin
  }

  if (!options.force && d.envBin !== undefined) {
    if (isExecutableFile(d.envBin)) return done(d.envBin, `using ${WORKER_BIN_ENV}`)
    log(`${WORKER_BIN_ENV}=${env[WORKER_BIN_ENV]} is not an executable file (yet); looking elsewhere`)
  }
  if (!options.force && isExecutableFile(d.packageBin)) {
    const probe = probeWorker(d.packageBin)
    if (probe.ok) return done(d.packageBin, 'using the worker inside the mediasoup package')
    log(`ignoring ${d.packageBin}: it does not run here (${probe.detail})`)
  }

  const platform = process.platform
  const arch = process.arch
  // undefined when the package ships no worker sources (pruned node_modules): then a cache built for the same
  // version is accepted as is, and building is impossible.
  const identity = fs.existsSync(path.join(d.packageDir, 'worker', 'meson.build')) ? computeBuildIdentity(d.packageDir) : undefined
  const stampPath = path.join(d.cacheDir, STAMP_FILE)
  const cacheHit = () => {
    if (!isExecutableFile(d.cacheBin)) return false
    const stamp = readJson(stampPath)
    const current = identity
      ? isStampCurrent(stamp, { version: d.version, platform, arch, identity })
      : stamp?.mediasoupVersion === d.version && stamp?.platform === platform && stamp?.arch === arch
    if (!current) return false
    const probe = probeWorker(d.cacheBin)
    if (!probe.ok) log(`cached worker does not run any more (${probe.detail}); rebuilding`)
    return probe.ok
  }
  if (!options.force && cacheHit()) return done(d.cacheBin, 'cache hit')

  if (identity === undefined) {
    throw new MediasoupWorkerError(
      `cannot build mediasoup-worker: ${path.join(d.packageDir, 'worker')} has no sources (reinstall mediasoup ${d.version})`,
      { exitCode: 2 }
    )
  }
  fs.mkdirSync(d.cacheDir, { recursive: true })
  const lock = await acquireLock(d.cacheDir, log)
  try {
    // Another process may have finished the same build while we waited for the lock.
    if (lock.waited && cacheHit()) return done(d.cacheBin, 'cache hit (built by the other process)')
    const bin = await buildWorker({
      packageDir: d.packageDir,
      version: d.version,
      cacheDir: d.cacheDir,
      identity,
      jobs: options.jobs ?? defaultJobs(env),
      keepBuild: options.keepBuild ?? false,
      env,
      log
    })
    return done(bin, 'built')
  } finally {
    lock.release()
  }
}

const USAGE = `Usage: node scripts/mediasoup-worker.mjs [options]

Locate or build mediasoup-worker (the mediasoup C++ worker) against system libraries and print its path.

Options:
  --package-dir DIR   installed mediasoup package (default: <repo>/node_modules/mediasoup)
  --repo-root DIR     repository root (default: the directory above scripts/)
  --print-path        print the path that would be used if it exists, exit 1 if nothing is built (never builds)
  --force             rebuild into the cache even if it is current
  --jobs N            ninja parallelism (default: $${WORKER_JOBS_ENV} or the CPU count)
  --keep-build        keep <cache>/src and <cache>/build after building
  -q, --quiet         no progress output
  -h, --help          this help

Environment:
  ${WORKER_BIN_ENV}          use this worker binary if it is an executable file
  ${WORKER_CACHE_DIR_ENV}   cache root instead of <repo>/.cache/mediasoup-worker
                                (the binary goes to <root>/<version>-<platform>-<arch>/mediasoup-worker)

mediasoup's own postinstall must be skipped when installing node modules, otherwise it tries to download a
prebuilt worker from GitHub and then pip-install meson, and fails:
  ${WORKER_BIN_ENV}="$PWD/.cache/mediasoup-worker/<version>-linux-x64/mediasoup-worker" npm install
(any non-empty value works). Build prerequisites on Debian/Ubuntu:
  apt-get install -y --no-install-recommends ${DEBIAN_PACKAGES.join(' ')}

Exit codes: 0 ok, 1 build failed / not built (--print-path), 2 usage or missing mediasoup package,
3 missing build prerequisites (the apt-get line to run is printed).`

async function main(argv) {
  let args
  try {
    args = parseCli(argv, {
      options: {
        'package-dir': { type: 'string' },
        'repo-root': { type: 'string' },
        'print-path': { type: 'boolean', default: false },
        force: { type: 'boolean', default: false },
        jobs: { type: 'string' },
        'keep-build': { type: 'boolean', default: false },
        quiet: { type: 'boolean', short: 'q', default: false },
        help: { type: 'boolean', short: 'h', default: false }
      }
    }).values
  } catch (error) {
    if (!(error instanceof UsageError)) throw error
    process.stderr.write(`mediasoup-worker: ${error.message}\n\n${USAGE}\n`)
    return 2
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`)
    return 0
  }
  const jobs = args.jobs === undefined ? undefined : Number.parseInt(args.jobs, 10)
  if (jobs !== undefined && !(jobs > 0)) {
    process.stderr.write(`--jobs must be a positive integer\n`)
    return 2
  }
  const common = {
    repoRoot: args['repo-root'] ? path.resolve(args['repo-root']) : undefined,
    packageDir: args['package-dir'] ? path.resolve(args['package-dir']) : undefined
  }
  try {
    if (args['print-path']) {
      const found = findExistingMediasoupWorker(common)
      if (found === undefined) {
        const d = describeMediasoupWorker(common)
        process.stderr.write(`mediasoup-worker ${d.version} is not built (expected ${d.cacheBin}); run: node scripts/mediasoup-worker.mjs\n`)
        return 1
      }
      process.stdout.write(`${found}\n`)
      return 0
    }
    const bin = await ensureMediasoupWorker({
      ...common,
      force: args.force,
      jobs,
      keepBuild: args['keep-build'],
      log: args.quiet ? () => undefined : defaultLog
    })
    process.stdout.write(`${bin}\n`)
    return 0
  } catch (error) {
    if (error instanceof MediasoupWorkerError) {
      process.stderr.write(`[mediasoup-worker] ERROR: ${error.message}\n`)
      return error.exitCode
    }
    process.stderr.write(`[mediasoup-worker] ERROR: ${error.stack ?? error}\n`)
    return 1
  }
}

function invokedDirectly() {
  if (!process.argv[1]) return false
  try {
    return fs.realpathSync(process.argv[1]) === fs.realpathSync(fileURLToPath(import.meta.url))
  } catch {
    return false
  }
}

if (invokedDirectly()) {
  process.exitCode = await main(process.argv.slice(2))
}

#!/usr/bin/env node
// Brings a fresh clone to a runnable state, idempotently: system packages (apt), npm dependencies, the mediasoup
// worker, the Electron binary when it can be downloaded. `npm start` and `npm test` call it first; a second run with
// nothing to do takes about a second. Node builtins only (it runs before node_modules exists).
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { platform } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { commandExists, electronBinary, fail, hashFiles, parseCli, parseOrExit, repoRoot, run, say, UsageError } from './lib.mjs'

/** Debian packages by purpose. The worker build libs are needed only while no worker binary exists. */
export const APT_PACKAGES = {
  workerBuild: ['meson', 'ninja-build', 'pkg-config', 'g++', 'libssl-dev', 'nlohmann-json3-dev', 'libuv1-dev', 'libsrtp2-dev', 'libusrsctp-dev', 'libabsl-dev'],
  // espeak-ng: the embedded text-to-speech voice.
  runtime: ['espeak-ng'],
  // chromium: browser mode and the end-to-end tests; sox: test audio; iproute2: network-namespace tests;
  // xvfb + xdotool: real X11 key events for the talk key test and `bench uplink`'s key-down figure; dbus-daemon: a
  // private session bus for the Wayland GlobalShortcuts portal test.
  test: ['chromium', 'sox', 'iproute2', 'espeak-ng', 'xvfb', 'xdotool', 'dbus-daemon']
}

function checkNode() {
  const [major, minor] = process.versions.node.split('.').map(Number)
  if (major < 20 || (major === 20 && minor < 19)) fail(`Node.js ${process.versions.node} is too old: install Node.js 20.19 or newer (22 LTS recommended).`)
}

function missingDebianPackages(names) {
  return names.filter((name) => {
    const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', name], { encoding: 'utf8' })
    return r.status !== 0 || !r.stdout.includes('install ok installed')
  })
}

async function ensureSystemPackages(purposes) {
  const wanted = [...new Set(purposes.flatMap((p) => APT_PACKAGES[p]))]
  if (platform() !== 'linux' || !commandExists('dpkg-query')) {
    say(`not a Debian-based system: make sure these (or your platform's equivalents) are installed: ${wanted.join(' ')}`)
    return
  }
  const missing = missingDebianPackages(wanted)
  if (missing.length === 0) return
  const line = `apt-get install -y --no-install-recommends ${missing.join(' ')}`
  if (process.getuid?.() !== 0) {
    fail(`missing system packages: ${missing.join(', ')}\nInstall them with:\n\n    sudo apt-get update && sudo ${line}\n\nthen run the command again.`)
  }
  say(`installing system packages: ${missing.join(' ')}`)
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  if ((await run('apt-get', ['update', '-qq'], { env })) !== 0) fail('apt-get update failed (see above)')
  if ((await run('apt-get', line.split(' ').slice(1), { env })) !== 0) fail(`apt-get install failed (see above). Command was: ${line}`)
}

const STAMP = join(repoRoot, 'node_modules', '.voice-assistant-deps')

export function depsFingerprint() {
  return `${hashFiles([join(repoRoot, 'package.json'), join(repoRoot, 'package-lock.json'), join(repoRoot, '.npmrc')])} node-${process.versions.node}`
}

async function ensureNpmDeps() {
  const fingerprint = depsFingerprint()
  if (existsSync(STAMP) && readFileSync(STAMP, 'utf8') === fingerprint) return
  const hasLock = existsSync(join(repoRoot, 'package-lock.json'))
  say(`installing npm dependencies (${hasLock ? 'npm ci' : 'npm install'}) — the first time takes a minute or two`)
  const env = {
    ...process.env,
    // The Electron binary is fetched separately below, so a machine without access to its download host still
    // installs everything else.
    ELECTRON_SKIP_BINARY_DOWNLOAD: '1',
    // On Linux the mediasoup worker is built by scripts/mediasoup-worker.mjs against system libraries; this tells
    // mediasoup's own postinstall not to download or build one. Elsewhere its prebuilt worker is used.
    ...(platform() === 'linux' ? { MEDIASOUP_WORKER_BIN: process.env.MEDIASOUP_WORKER_BIN ?? 'built-by-scripts/mediasoup-worker.mjs' } : {})
  }
  const code = await run('npm', [hasLock ? 'ci' : 'install', '--no-fund', '--no-audit'], { env })
  if (code !== 0) fail('npm dependencies could not be installed (see the npm output above). Check your connection to the npm registry and run the command again.')
  mkdirSync(join(repoRoot, 'node_modules'), { recursive: true })
  writeFileSync(STAMP, fingerprint)
}

async function ensureElectronBinary() {
  if (electronBinary()) return
  const marker = join(repoRoot, 'node_modules', '.electron-download-failed')
  if (existsSync(marker) && readFileSync(marker, 'utf8') === depsFingerprint()) return // tried already for these deps
  if (process.env.CI === 'true' || process.env.VOICE_SKIP_ELECTRON === '1') return
  say('downloading the Electron binary')
  const r = spawnSync(process.execPath, [join(repoRoot, 'node_modules', 'electron', 'install.js')], { encoding: 'utf8', cwd: repoRoot, timeout: 300_000 })
  if (r.status === 0 && electronBinary()) return
  writeFileSync(marker, depsFingerprint())
  say('the Electron binary could not be downloaded (no access to its download host); the app will run in browser mode.')
}

async function ensureMediasoupWorker() {
  const { ensureMediasoupWorker: ensure } = await import(pathToFileURL(join(repoRoot, 'scripts', 'mediasoup-worker.mjs')).href)
  try {
    return await ensure({ repoRoot, log: (line) => say(line) })
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error))
  }
}

function workerAlreadyBuilt() {
  const r = spawnSync(process.execPath, [join(repoRoot, 'scripts', 'mediasoup-worker.mjs'), '--print-path'], { encoding: 'utf8', cwd: repoRoot })
  return r.status === 0
}

/** purpose: 'start' or 'test'. */
export async function bootstrap(purpose = 'start') {
  const t0 = Date.now()
  checkNode()
  const purposes = purpose === 'test' ? ['runtime', 'test'] : ['runtime']
  // Decide on worker build libs before npm: the check needs mediasoup installed, so install deps first if absent.
  await ensureSystemPackages(purposes)
  await ensureNpmDeps()
  if (platform() === 'linux' && !workerAlreadyBuilt()) await ensureSystemPackages(['workerBuild'])
  const workerPath = await ensureMediasoupWorker()
  await ensureElectronBinary()
  const seconds = ((Date.now() - t0) / 1000).toFixed(1)
  say(`ready in ${seconds} s (mediasoup worker: ${workerPath})`)
  return { workerPath }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const purpose = parseOrExit('setup', () => {
    const given = parseCli(process.argv.slice(2), { options: {}, positionals: ['start|test'] }).positionals[0] ?? 'start'
    if (given !== 'start' && given !== 'test') throw new UsageError(`the purpose is start or test, got ${JSON.stringify(given)}`)
    return given
  }, 'usage: node scripts/bootstrap.mjs [start|test]')
  await bootstrap(purpose)
}

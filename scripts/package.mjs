#!/usr/bin/env node
// `npm run package`: installers with electron-builder (config: electron-builder.yml).
//
//   npm run package                      installers for this OS (Linux: AppImage + deb, Windows: NSIS, macOS: dmg)
//   npm run package -- --dir             only the unpacked app folder (dist/<os>-unpacked)
//   npm run package -- --layout-only     the unpacked folder with a PLACEHOLDER Electron executable: for inspecting
//                                        the packaged layout where Electron cannot be downloaded; it does not run
//
// Steps: bootstrap (deps + the mediasoup worker), electron-vite build, stage the worker into
// .cache/package/mediasoup-worker/ (electron-builder.yml copies it to <resources>/mediasoup-worker/), electron-builder.
// Each OS's installer is built on that OS: the mediasoup worker is native code compiled on the build machine.
// electron-builder downloads the Electron zip (github.com) unless node_modules/electron/dist holds the binary, and
// the AppImage/deb/NSIS/dmg tools on first use.
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { electronBinary, fail, parseCli, parseOrExit, repoRoot, run, say } from './lib.mjs'

export const STAGED_WORKER_DIR = join(repoRoot, '.cache', 'package', 'mediasoup-worker')

/** Copy the worker binary to where electron-builder.yml's extraResources expects it. */
export function stageMediasoupWorker(workerPath, platform = process.platform) {
  if (!workerPath || !existsSync(workerPath)) throw new Error(`mediasoup worker not found at ${workerPath}: run npm run setup`)
  rmSync(STAGED_WORKER_DIR, { recursive: true, force: true })
  mkdirSync(STAGED_WORKER_DIR, { recursive: true })
  const name = platform === 'win32' ? 'mediasoup-worker.exe' : 'mediasoup-worker'
  const target = join(STAGED_WORKER_DIR, name)
  copyFileSync(workerPath, target)
  chmodSync(target, 0o755)
  return target
}

/** A folder that looks like an unpacked Electron distribution to electron-builder: one placeholder executable. */
export function placeholderElectronDist(platform = process.platform) {
  const dir = mkdtempSync(join(tmpdir(), 'va-electron-placeholder-'))
  const exe = platform === 'win32' ? 'electron.exe' : 'electron'
  writeFileSync(join(dir, exe), '#!/bin/sh\necho "placeholder Electron executable: this folder is a layout check, not a runnable app" >&2\nexit 1\n', { mode: 0o755 })
  return dir
}

/**
 * Run electron-builder for this OS. layoutOnly: --dir with a placeholder Electron and no fuse flipping (fuses are
 * written into the real Electron binary), nothing downloaded. Resolves with the output folder.
 */
export async function packageApp({ dir = false, layoutOnly = false, outputDir = join(repoRoot, 'dist') } = {}) {
  const { build, Platform } = await import(pathToFileURL(join(repoRoot, 'node_modules', 'electron-builder', 'out', 'index.js')).href)
  const platform = process.platform === 'darwin' ? Platform.MAC : process.platform === 'win32' ? Platform.WINDOWS : Platform.LINUX
  const config = { directories: { output: outputDir } }
  let placeholder = null
  if (layoutOnly) {
    placeholder = placeholderElectronDist()
    Object.assign(config, { electronDist: placeholder, electronFuses: null })
  } else {
    const local = electronBinary()
    if (local) config.electronDist = join(repoRoot, 'node_modules', 'electron', 'dist')
  }
  const targets = platform.createTarget(dir || layoutOnly ? 'dir' : null)
  try {
    const artifacts = await build({ projectDir: repoRoot, targets, config, publish: 'never' })
    return { outputDir, artifacts }
  } finally {
    if (placeholder) rmSync(placeholder, { recursive: true, force: true })
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseOrExit('package', () => parseCli(process.argv.slice(2), { options: { dir: { type: 'boolean' }, 'layout-only': { type: 'boolean' } } }))
  const layoutOnly = values['layout-only'] ?? false
  const dir = values.dir ?? false
  const { bootstrap } = await import('./bootstrap.mjs')
  const { workerPath } = await bootstrap('start')
  say('building the app (electron-vite build)')
  if ((await run(process.execPath, [join(repoRoot, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build'])) !== 0) fail('the build failed (see above)')
  say(`staging the mediasoup worker (${basename(stageMediasoupWorker(workerPath))})`)
  if (!layoutOnly && !electronBinary()) {
    say('note: the Electron binary is not installed, so electron-builder will download the Electron zip from github.com;')
    say('      without access to it, use --layout-only to assemble (not run) the packaged layout.')
  }
  try {
    const { outputDir, artifacts } = await packageApp({ dir, layoutOnly })
    say(`done: ${outputDir}`)
    for (const a of artifacts) say(`  ${a}`)
    if (layoutOnly) say('the *-unpacked folder has a placeholder Electron executable: inspect its resources/, do not run it')
  } catch (error) {
    fail(`electron-builder failed: ${error instanceof Error ? error.message : String(error)}`)
  }
}

import { existsSync } from 'node:fs'
import { join } from 'node:path'
import {
  nodeWorkerBinaryFs,
  resolveMediasoupWorkerBinary,
  type WorkerBinaryFs
} from './mediasoupWorkerBinary'

/**
 * The ONE place that knows where runtime files live in development (the repository) and in a packaged app
 * (electron-builder output). Packaged layout, set by electron-builder.yml and scripts/package.mjs:
 *
 *   <resourcesPath>/app.asar                     out/**, package.json, JS dependencies
 *   <resourcesPath>/app.asar.unpacked/node_modules/onnxruntime-node/…   native binding + libonnxruntime (asarUnpack:
 *                                                 a .node file and the shared library it loads must be real files)
 *   <resourcesPath>/resources/…                  resources/ (icons, Silero ONNX, model catalog) as plain files
 *   <resourcesPath>/mediasoup-worker/mediasoup-worker[.exe]   the C++ worker (extraResources; it is spawned)
 *
 * The mediasoup worker lookup is delegated to resolveMediasoupWorkerBinary (src/node/mediasoupWorkerBinary.ts),
 * which already handles the packaged location; this module only feeds it the right resourcesPath.
 */

export interface AppLayout {
  /** Folder holding the app's package.json: the repository in development, <resourcesPath>/app.asar when packaged. */
  appRoot: string
  /** Electron's app.isPackaged (false in browser mode, tests and `electron .`). */
  isPackaged: boolean
  /** Electron's process.resourcesPath; only meaningful when packaged. */
  resourcesPath: string | null
  platform: NodeJS.Platform
  arch: string
}

function packagedResources(layout: AppLayout): string {
  if (!layout.resourcesPath) throw new Error('a packaged app layout needs resourcesPath (Electron process.resourcesPath)')
  return layout.resourcesPath
}

/** The resources/ folder (icons, bundled models, catalog). */
export function resourcesDir(layout: AppLayout): string {
  return layout.isPackaged ? join(packagedResources(layout), 'resources') : join(layout.appRoot, 'resources')
}

export function iconsDir(layout: AppLayout): string {
  return join(resourcesDir(layout), 'icons')
}

/** Where a node module's files are on disk: unpacked next to the asar when packaged. */
export function unpackedModuleDir(layout: AppLayout, moduleName: string): string {
  return layout.isPackaged
    ? join(packagedResources(layout), 'app.asar.unpacked', 'node_modules', moduleName)
    : join(layout.appRoot, 'node_modules', moduleName)
}

/** onnxruntime-node's native binding for this platform/arch (it requires bin/napi-v6/<platform>/<arch>/…). */
export function onnxRuntimeBindingPath(layout: AppLayout): string {
  return join(unpackedModuleDir(layout, 'onnxruntime-node'), 'bin', 'napi-v6', layout.platform, layout.arch, 'onnxruntime_binding.node')
}

/** The mediasoup worker binary (throws with build instructions when none exists). */
export function mediasoupWorkerPath(layout: AppLayout, opts: { env?: NodeJS.ProcessEnv; fs?: WorkerBinaryFs } = {}): string {
  return resolveMediasoupWorkerBinary({
    env: opts.env ?? process.env,
    repoRoot: layout.appRoot,
    // Only a packaged app has a worker under resourcesPath; in `electron .` resourcesPath is Electron's own folder.
    resourcesPath: layout.isPackaged ? packagedResources(layout) : undefined,
    platform: layout.platform,
    arch: layout.arch,
    fs: opts.fs ?? nodeWorkerBinaryFs
  })
}

export interface RuntimeResourceCheck {
  name: 'resources' | 'onnxruntime-node binding' | 'mediasoup worker'
  path: string | null
  ok: boolean
  problem: string | null
}

/** Check everything the app needs at run time; used at startup (clear error) and by the packaged-layout test. */
export function checkRuntimeResources(
  layout: AppLayout,
  opts: { env?: NodeJS.ProcessEnv; fs?: WorkerBinaryFs; exists?: (p: string) => boolean } = {}
): RuntimeResourceCheck[] {
  const exists = opts.exists ?? existsSync
  const checks: RuntimeResourceCheck[] = []
  const res = resourcesDir(layout)
  checks.push({ name: 'resources', path: res, ok: exists(join(res, 'icons')), problem: exists(join(res, 'icons')) ? null : `${res}/icons is missing` })
  const ort = onnxRuntimeBindingPath(layout)
  checks.push({ name: 'onnxruntime-node binding', path: ort, ok: exists(ort), problem: exists(ort) ? null : `${ort} is missing (onnxruntime-node has no build for ${layout.platform}/${layout.arch}, or it was not unpacked from the asar)` })
  try {
    const worker = mediasoupWorkerPath(layout, opts)
    checks.push({ name: 'mediasoup worker', path: worker, ok: true, problem: null })
  } catch (error) {
    checks.push({ name: 'mediasoup worker', path: null, ok: false, problem: (error as Error).message })
  }
  return checks
}

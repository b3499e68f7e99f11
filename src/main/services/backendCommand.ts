import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { BackendCommand } from './backendService'
import { type LogLevel } from '../../shared/logging/logger'

/** The repository (or packaged app) root: the nearest folder upward holding this project's package.json. */
export function findAppRoot(startDir: string, exists: (p: string) => boolean = existsSync, read: (p: string) => string = (p) => readFileSync(p, 'utf8')): string {
  let dir = startDir
  for (;;) {
    const pkg = join(dir, 'package.json')
    if (exists(pkg)) {
      try {
        if ((JSON.parse(read(pkg)) as { name?: string }).name === 'voice-assistant') return dir
      } catch {
        // not ours; keep walking
      }
    }
    const parent = dirname(dir)
    if (parent === dir) throw new Error(`cannot find the voice-assistant package.json above ${startDir}`)
    dir = parent
  }
}

export interface ResolveBackendCommandInput {
  /** Folder of the running main bundle (out/main when built, src/main/services under tests/tsx). */
  moduleDir: string
  appRoot: string
  execPath: string
  isElectron: boolean
  exists?: (p: string) => boolean
  /** The renderer's page origins, read at each backend start (see BackendCommand.appOrigins). */
  appOrigins?: () => readonly string[]
  /** The app's log level, passed on as the backend's `--log-level` (its JSON lines are re-logged into the app's log). */
  logLevel?: LogLevel
}

/**
 * How to run the embedded backend: the built bundle next to the main bundle when present (Electron runs it with
 * ELECTRON_RUN_AS_NODE), else the TypeScript entry through tsx (development and tests). One desktop user needs one
 * mediasoup worker; standalone servers choose their own count.
 */
export function resolveBackendCommand(input: ResolveBackendCommandInput): BackendCommand {
  const exists = input.exists ?? existsSync
  const common = ['--listen', '127.0.0.1', '--workers', '1', ...(input.logLevel ? ['--log-level', input.logLevel] : [])]
  const built = join(input.moduleDir, 'server.js')
  const origins = input.appOrigins ? { appOrigins: input.appOrigins } : {}
  if (exists(built)) {
    return { command: input.execPath, args: [built, ...common], env: input.isElectron ? { ELECTRON_RUN_AS_NODE: '1' } : {}, cwd: input.appRoot, ...origins }
  }
  const source = join(input.appRoot, 'src', 'server', 'main.ts')
  if (!exists(source)) throw new Error(`neither ${built} nor ${source} exists: run npm run build`)
  return { command: input.execPath, args: ['--import', 'tsx', source, ...common], env: {}, cwd: input.appRoot, ...origins }
}

/** The origins of browser mode's pages when it serves on loopback `port` (opened as 127.0.0.1 or as localhost). */
export function browserModeOrigins(port: number): string[] {
  return [`http://127.0.0.1:${port}`, `http://localhost:${port}`]
}

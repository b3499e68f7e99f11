// Shared helpers for the project scripts. Node builtins only: these run before node_modules exists.
import { spawnSync, spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..')

export function say(line) {
  process.stdout.write(`[setup] ${line}\n`)
}

export function fail(message) {
  process.stderr.write(`\n[setup] ${message}\n`)
  process.exit(1)
}

export function hashFiles(paths) {
  const h = createHash('sha256')
  for (const p of paths) h.update(existsSync(p) ? readFileSync(p) : `missing:${p}`)
  return h.digest('hex').slice(0, 16)
}

/** Run a command with inherited output; resolves with its exit code. */
export function run(command, args, options = {}) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: 'inherit', cwd: repoRoot, ...options })
    child.on('error', (error) => {
      process.stderr.write(`[setup] could not run ${command}: ${error.message}\n`)
      resolve(127)
    })
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)))
  })
}

export function commandExists(name) {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0
}

/** Path of the Electron binary if it was downloaded, else null. */
export function electronBinary() {
  const pathTxt = join(repoRoot, 'node_modules', 'electron', 'path.txt')
  if (!existsSync(pathTxt)) return null
  const bin = join(repoRoot, 'node_modules', 'electron', 'dist', readFileSync(pathTxt, 'utf8').trim())
  return existsSync(bin) ? bin : null
}

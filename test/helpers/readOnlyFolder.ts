import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const repo = join(import.meta.dirname, '..', '..')

/** Why a real read-only folder cannot be made here (root ignores permission bits, so it takes a read-only mount). */
export function readOnlyFolderUnavailableReason(): string | null {
  if (process.platform !== 'linux') return 'needs Linux mount namespaces'
  if (process.getuid?.() !== 0) return 'a read-only mount in a private mount namespace needs root (CAP_SYS_ADMIN)'
  const probe = spawnSync('unshare', ['--mount', '--propagation', 'private', 'true'], { encoding: 'utf8' })
  return probe.status === 0 ? null : `unshare --mount failed: ${probe.stderr.trim() || probe.error?.message}`
}

/**
 * Run a TypeScript script (through tsx) with `folder` as its first argument, where `folder` is a tmpfs holding
 * `files` and then remounted read-only (EROFS on every write). The mount lives in a private mount namespace of the
 * child only: nothing on this machine sees it, and it is gone when the child exits. Returns the child's stdout.
 */
export function runWithReadOnlyFolder(files: Record<string, string>, script: string): { stdout: string; stderr: string; status: number | null } {
  const folder = mkdtempSync(join(tmpdir(), 'va-readonly-'))
  try {
    const writes = Object.entries(files)
      .map(([name, text]) => `printf '%s' '${Buffer.from(text).toString('base64')}' | base64 -d > "$1/${name}"`)
      .join(' && ')
    const shell = `mount -t tmpfs -o size=1m tmpfs "$1" && ${writes || 'true'} && mount -o remount,ro "$1" && exec "$2" --import tsx "$3" "$1"`
    const result = spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', shell, 'sh', folder, process.execPath, script], {
      cwd: repo,
      encoding: 'utf8',
      timeout: 60_000
    })
    return { stdout: result.stdout, stderr: result.stderr, status: result.status }
  } finally {
    rmSync(folder, { recursive: true, force: true })
  }
}

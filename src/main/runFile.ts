import { chmod, lstat, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { runFileSchema, type RunFile } from '../shared/contract/talk'
import { describeIssues } from '../shared/contract/errors'
import { defaultUserDataDir } from '../node/userData'

/**
 * The browser-mode run file: how `npm run talk -- --toggle` (and `npm start -- --toggle`) find the running services —
 * the port and the per-run api token, written when browser mode is up and removed when it stops. It lives in a
 * per-user folder with mode 0600 (the token lets its reader drive the app, like the printed URL does). A file left
 * behind by a process that is gone is reported as stale and never used.
 */

export const RUN_FILE_NAME = 'browser-mode.json'
/** A run file is a few dozen bytes; anything much larger is not ours. */
const MAX_RUN_FILE_BYTES = 4096

/**
 * Where the run file lives. VOICE_ASSISTANT_USER_DATA (one profile per folder: tests, several installs) keeps it in
 * that folder; otherwise $XDG_RUNTIME_DIR/voice-assistant (per user, mode 0700, emptied at logout, so a crash does
 * not leave it for the next session), else the user data folder.
 */
export function runFilePath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.VOICE_ASSISTANT_USER_DATA) return join(env.VOICE_ASSISTANT_USER_DATA, RUN_FILE_NAME)
  if (env.XDG_RUNTIME_DIR) return join(env.XDG_RUNTIME_DIR, 'voice-assistant', RUN_FILE_NAME)
  return join(defaultUserDataDir(env), RUN_FILE_NAME)
}

/** Write atomically (temp file with mode 0600, then rename), creating the folder with mode 0700. */
export async function writeRunFile(path: string, info: RunFile): Promise<void> {
  const checked = runFileSchema.parse(info)
  await mkdir(join(path, '..'), { recursive: true, mode: 0o700 })
  const temp = `${path}.${process.pid}.tmp`
  await writeFile(temp, `${JSON.stringify(checked)}\n`, { mode: 0o600 })
  await chmod(temp, 0o600) // the umask cannot widen it, but an existing temp file keeps its old mode
  await rename(temp, path)
}

/** Remove the run file if it is still this process's (a newer instance may have replaced it). */
export async function removeRunFile(path: string, pid: number = process.pid): Promise<void> {
  const found = await readRunFile(path, () => true)
  if (found.state === 'running' && found.info.pid === pid) await rm(path, { force: true })
}

/** Whether a process with this id exists (EPERM: it exists but belongs to someone else). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

export type RunFileLookup =
  | { state: 'running'; path: string; info: RunFile }
  | { state: 'missing'; path: string }
  | { state: 'stale'; path: string; info: RunFile }
  | { state: 'invalid'; path: string; reason: string }

/** Read and check the run file: present, ours to trust (owned by this user, not writable by others), well formed, and
 * its process alive. */
export async function readRunFile(path: string, isAlive: (pid: number) => boolean = processAlive): Promise<RunFileLookup> {
  let stat
  try {
    stat = await lstat(path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { state: 'missing', path }
    return { state: 'invalid', path, reason: (error as Error).message }
  }
  if (!stat.isFile()) return { state: 'invalid', path, reason: 'it is not a regular file' }
  if (stat.size > MAX_RUN_FILE_BYTES) return { state: 'invalid', path, reason: `it is ${stat.size} bytes, larger than a run file can be` }
  if (process.platform !== 'win32') {
    if (typeof process.getuid === 'function' && stat.uid !== process.getuid()) return { state: 'invalid', path, reason: 'it belongs to another user' }
    if ((stat.mode & 0o022) !== 0) return { state: 'invalid', path, reason: `others may write it (mode ${(stat.mode & 0o777).toString(8)})` }
  }
  let json: unknown
  try {
    json = JSON.parse(await readFile(path, 'utf8'))
  } catch (error) {
    return { state: 'invalid', path, reason: `it is not valid JSON (${(error as Error).message})` }
  }
  const parsed = runFileSchema.safeParse(json)
  if (!parsed.success) return { state: 'invalid', path, reason: describeIssues(parsed.error).join('; ') }
  return isAlive(parsed.data.pid) ? { state: 'running', path, info: parsed.data } : { state: 'stale', path, info: parsed.data }
}

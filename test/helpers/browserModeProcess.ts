import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import WebSocket from 'ws'
import { readRunFile, runFilePath } from '../../src/main/runFile'
import type { RunFile } from '../../src/shared/contract/talk'
import { repoRoot } from './browserApp'

export interface BrowserModeProcess {
  child: ChildProcess
  userDataDir: string
  /** Environment that reaches this instance (its profile folder, so its run file). */
  env: NodeJS.ProcessEnv
  runFile: RunFile
  output(): string
  /** SIGTERM and wait for the exit (the app removes its run file). */
  stop(): Promise<void>
}

/**
 * The real browser-mode entry (out/main/browser.js, built by electron-vite) in its own process and profile folder,
 * as `npm start` runs it without Electron; resolves once its run file says it is up. Its backend is set to a remote
 * URL on loopback where nothing listens, so no backend process is started (a test that kills the app leaves no
 * orphan behind); pass `embeddedBackend` for the real one. `args` are added to its command line (e.g. --log-level debug).
 */
export async function startBrowserModeProcess(opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; embeddedBackend?: boolean; args?: string[] } = {}): Promise<BrowserModeProcess> {
  const userDataDir = await mkdtemp(join(tmpdir(), 'va-browser-proc-'))
  if (!opts.embeddedBackend) await writeFile(join(userDataDir, 'settings.json'), JSON.stringify({ version: 1, backend: { mode: 'remote', remoteUrl: 'ws://127.0.0.1:9/' } }))
  const env: NodeJS.ProcessEnv = { ...process.env, ...opts.env, VOICE_ASSISTANT_USER_DATA: userDataDir }
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k]
  const child = spawn(process.execPath, [join(repoRoot, 'out', 'main', 'browser.js'), '--no-open', ...(opts.args ?? [])], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  const keep = (d: Buffer): void => {
    if (output.length < 200_000) output += d.toString()
  }
  child.stdout!.on('data', keep)
  child.stderr!.on('data', keep)
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000)
  for (;;) {
    const found = await readRunFile(runFilePath(env))
    if (found.state === 'running' && found.info.pid === child.pid) {
      return {
        child,
        userDataDir,
        env,
        runFile: found.info,
        output: () => output,
        stop: () =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve()
            child.once('exit', () => resolve())
            child.kill('SIGTERM')
          })
      }
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`browser mode did not come up (exit ${child.exitCode}):\n${output}`)
    }
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** A window's api connection (as the renderer has): every frame it gets, and calls. */
export async function connectApi(run: Pick<RunFile, 'port' | 'token'>): Promise<{
  events(name: string): unknown[]
  call(method: string, params?: unknown): Promise<unknown>
  close(): void
}> {
  const ws = new WebSocket(`ws://127.0.0.1:${run.port}/api?token=${run.token}`)
  const frames: Array<{ type: string; id?: number; event?: string; payload?: unknown; outcome?: { ok: boolean; result?: unknown; error?: { message: string } } }> = []
  const waiting = new Map<number, (f: (typeof frames)[number]) => void>()
  ws.on('message', (d) => {
    const frame = JSON.parse(d.toString()) as (typeof frames)[number]
    frames.push(frame)
    if (frame.type === 'response' && frame.id !== undefined) waiting.get(frame.id)?.(frame)
  })
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', reject)
  })
  let nextId = 1
  return {
    events: (name) => frames.filter((f) => f.type === 'event' && f.event === name).map((f) => f.payload),
    call: (method, params = {}) =>
      new Promise((resolve, reject) => {
        const id = nextId++
        waiting.set(id, (f) => (f.outcome?.ok ? resolve(f.outcome.result) : reject(new Error(f.outcome?.error?.message ?? 'failed'))))
        ws.send(JSON.stringify({ type: 'request', id, method, params }))
      }),
    close: () => ws.close()
  }
}

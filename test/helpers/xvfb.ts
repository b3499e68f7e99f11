import { spawn, spawnSync, type ChildProcess } from 'node:child_process'

export type XServer = {
  ok: true
  display: string
  close(): Promise<void>
  /** Stop it only after this process has exited: for a process that has X connections open itself (a server that
   * goes away under a live Xlib connection makes Xlib end the process, at exit with a segmentation fault). */
  closeAfterExit(): void
} | { ok: false; reason: string }

/**
 * A private X server (Xvfb) for tests that need real X11 input: it picks a free display itself (-displayfd) and
 * listens on its local socket only. Resolves { ok: false, reason } when no X server can be started here.
 */
export async function startXvfb(timeoutMs = 10_000): Promise<XServer> {
  if (spawnSync('sh', ['-c', 'command -v Xvfb'], { stdio: 'ignore' }).status !== 0) return { ok: false, reason: 'Xvfb is not installed (apt-get install xvfb)' }
  const child: ChildProcess = spawn('Xvfb', ['-displayfd', '3', '-screen', '0', '640x480x24', '-nolisten', 'tcp', '-noreset'], { stdio: ['ignore', 'ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr!.on('data', (d: Buffer) => {
    if (stderr.length < 4096) stderr += d.toString()
  })
  const display = await new Promise<string | null>((resolve) => {
    const timer = setTimeout(() => resolve(null), timeoutMs)
    const fd3 = child.stdio[3] as NodeJS.ReadableStream
    let text = ''
    fd3.on('data', (d: Buffer) => {
      text += d.toString()
      if (text.includes('\n')) {
        clearTimeout(timer)
        resolve(`:${text.trim()}`)
      }
    })
    child.once('exit', () => {
      clearTimeout(timer)
      resolve(null)
    })
    child.once('error', () => {
      clearTimeout(timer)
      resolve(null)
    })
  })
  if (!display) {
    child.kill('SIGKILL')
    return { ok: false, reason: `Xvfb did not start: ${stderr.trim().split('\n').at(-1) ?? 'no output'}` }
  }
  return {
    ok: true,
    display,
    closeAfterExit: () => {
      // A watcher stops the server once this process is gone for good: its X connections close only when the kernel
      // ends it, after Node's own teardown (which already closes pipes, so an end-of-file would be too early).
      const watcher = spawn('sh', ['-c', `while kill -0 ${process.pid} 2>/dev/null; do sleep 0.2; done; kill ${child.pid}`], { stdio: 'ignore' })
      watcher.unref()
      child.unref()
      for (const stream of child.stdio) (stream as { unref?: () => void } | null)?.unref?.()
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve()
        child.once('exit', () => resolve())
        child.kill('SIGTERM')
      })
  }
}

/** Run xdotool on a display (it injects through XTEST: synthetic events, as remappers make). Throws on failure. */
export function xdotool(display: string, args: string[]): void {
  const r = spawnSync('xdotool', args, { env: { ...process.env, DISPLAY: display }, encoding: 'utf8', timeout: 10_000 })
  if (r.error) throw new Error(`xdotool could not run (${r.error.message}); apt-get install xdotool`)
  if (r.status !== 0) throw new Error(`xdotool ${args.join(' ')} failed: ${r.stderr.trim()}`)
}

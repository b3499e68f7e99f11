import { spawnSync } from 'node:child_process'
import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { readRunFile, runFilePath } from '../../src/main/runFile'
import { repoRoot } from '../helpers/browserApp'
import { connectApi, startBrowserModeProcess, type BrowserModeProcess } from '../helpers/browserModeProcess'

/**
 * The command-line talk trigger end to end: the real browser-mode app in its own process (no display, so no key hook:
 * the CLI is the talk key), `npm run talk` (tsx src/main/talkCli.ts) and `npm start -- --toggle` (the built entry)
 * finding it through its run file, and the run file's life: 0600 while running, gone after a clean stop, reported
 * stale after a crash.
 */
function run(args: string[], env: NodeJS.ProcessEnv): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, args, { cwd: repoRoot, env, encoding: 'utf8', timeout: 60_000 })
  return { status: r.status, stdout: r.stdout.trim(), stderr: r.stderr.trim() }
}
const talkCli = (flag: string, env: NodeJS.ProcessEnv) => run(['--import', 'tsx', join(repoRoot, 'src', 'main', 'talkCli.ts'), flag], env)
const startEntry = (flag: string, env: NodeJS.ProcessEnv) => run([join(repoRoot, 'out', 'main', 'browser.js'), flag], env)

describe('command-line talk trigger against a running browser-mode app', () => {
  let app: BrowserModeProcess | null = null
  afterEach(async () => {
    await app?.stop()
    app = null
  })

  it('--toggle starts and sends, --cancel drops; the window gets the commands; the status names the CLI binding', async () => {
    app = await startBrowserModeProcess({ env: { DISPLAY: undefined, WAYLAND_DISPLAY: undefined } })
    const window = await connectApi(app.runFile)
    const commands = (): unknown[] => window.events('userCommand')
    if (process.platform !== 'win32') expect((await stat(runFilePath(app.env))).mode & 0o777).toBe(0o600)
    const status = (await window.call('getTalkKeyStatus')) as { source: string; detail: string; cliBinding: string }
    expect(status.source).toBe('none')
    expect(status.cliBinding).toBe(`npm --prefix ${repoRoot} run --silent talk -- --toggle`)

    expect(talkCli('--toggle', app.env)).toEqual({ status: 0, stdout: 'talk: --toggle → listening', stderr: '' })
    await expect.poll(commands).toEqual([{ command: 'startListening' }])
    await new Promise((r) => setTimeout(r, 200)) // past the 150 ms debounce
    expect(startEntry('--toggle', app.env)).toMatchObject({ status: 0, stdout: 'talk: --toggle → processing' }) // npm start -- --toggle
    await expect.poll(commands).toEqual([{ command: 'startListening' }, { command: 'stopListening' }])
    await new Promise((r) => setTimeout(r, 200))
    expect(talkCli('--talk-start', app.env).stdout).toBe('talk: --talk-start → listening')
    expect(talkCli('--cancel', app.env).stdout).toBe('talk: --cancel → idle')
    await expect.poll(commands).toHaveLength(4)
    expect(talkCli('--cancel', app.env).stdout).toBe('talk: --cancel → idle (nothing to do)')
    window.close()
  })

  it('a clean stop removes the run file; after a crash the left-over file is reported stale and ignored', async () => {
    app = await startBrowserModeProcess({ env: { DISPLAY: undefined, WAYLAND_DISPLAY: undefined } })
    const { env } = app
    await app.stop()
    expect((await readRunFile(runFilePath(env))).state).toBe('missing')
    expect(talkCli('--toggle', env)).toMatchObject({ status: 3, stderr: expect.stringContaining('no running Voice Assistant (browser mode) was found') })

    app = await startBrowserModeProcess({ env: { DISPLAY: undefined, WAYLAND_DISPLAY: undefined } })
    const crashed = app
    await new Promise<void>((resolve) => {
      crashed.child.once('exit', () => resolve())
      crashed.child.kill('SIGKILL')
    })
    const stale = talkCli('--toggle', crashed.env)
    expect(stale.status).toBe(3)
    expect(stale.stderr).toBe(`talk: ignoring the stale run file ${runFilePath(crashed.env)}: process ${crashed.runFile.pid} is gone (the app did not shut down cleanly). Start the app with npm start.`)
    expect(startEntry('--show', crashed.env).status).toBe(3)
  })
})

import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { startBrowserMode, type BrowserModeServer } from '../../../src/main/browserMode'
import { wirePushToTalk, type TalkKeyService } from '../../../src/main/hotkeys/pushToTalkHotkey'
import { runFilePath, writeRunFile } from '../../../src/main/runFile'
import type { AppCore } from '../../../src/main/services/appCore'
import { EXIT_NO_APP, runTalkCli } from '../../../src/main/talkClient'
import { startOfflineCore } from '../../helpers/offlineCore'

async function cli(argv: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = []
  const err: string[] = []
  const code = await runTalkCli(argv, env, (l) => out.push(l), (l) => err.push(l))
  return { code, out, err }
}

describe('talk CLI: command line and run file', () => {
  it('needs exactly one known command (exit 2 with the usage)', async () => {
    const env = { VOICE_ASSISTANT_USER_DATA: await mkdtemp(join(tmpdir(), 'va-talk-')) }
    for (const [argv, message] of [
      [[], 'talk: name one command'],
      [['--toggle', '--cancel'], 'talk: one command at a time, got --toggle and --cancel'],
      [['--tggle'], 'talk: unknown option --tggle; known: --toggle, --talk-start, --talk-stop, --cancel, --show, --help (-h)']
    ] as const) {
      const r = await cli([...argv], env)
      expect(r.code).toBe(2)
      expect(r.err[0]).toBe(message)
      expect(r.err[1]).toMatch(/^usage: npm run talk -- --toggle/)
    }
    expect((await cli(['--help'], env)).code).toBe(0)
  })

  it('no run file, a stale one, or an untrustworthy one: exit 3 with what to do', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'va-talk-'))
    const env = { VOICE_ASSISTANT_USER_DATA: dir }
    const missing = await cli(['--toggle'], env)
    expect(missing.code).toBe(EXIT_NO_APP)
    expect(missing.err[0]).toContain(`no running Voice Assistant (browser mode) was found: ${runFilePath(env)} does not exist. Start it with npm start`)
    await writeRunFile(runFilePath(env), { version: 1, pid: 999_999_999, port: 40000, token: 'abcdefghijklmnopqrstuvwx', startedAt: 0 })
    const stale = await cli(['--toggle'], env)
    expect(stale.code).toBe(EXIT_NO_APP)
    expect(stale.err[0]).toBe(`talk: ignoring the stale run file ${runFilePath(env)}: process 999999999 is gone (the app did not shut down cleanly). Start the app with npm start.`)
    await writeFile(runFilePath(env), 'not json', { mode: 0o600 })
    expect((await cli(['--toggle'], env)).err[0]).toMatch(/^talk: ignoring the run file .*: it is not valid JSON/)
  })
})

describe('talk CLI against the browser-mode api', () => {
  let core: AppCore | null = null
  let server: BrowserModeServer | null = null
  let talk: TalkKeyService | null = null
  afterEach(async () => {
    talk?.dispose()
    await server?.close()
    await core?.stop()
    core = server = talk = null
  })

  async function startApp(withTalkKey = true) {
    const userDataDir = await mkdtemp(join(tmpdir(), 'va-talk-app-'))
    await writeFile(join(userDataDir, 'settings.json'), '{ broken') // leaves a notice for the first window
    core = await startOfflineCore({ userDataDir })
    server = await startBrowserMode({ core, rendererDir: userDataDir })
    if (withTalkKey) {
      talk = wirePushToTalk(core, { loadUiohook: async () => null, platform: 'linux', cliBinding: 'npm run talk -- --toggle' })
      core.talkKey = talk
    }
    const env = { VOICE_ASSISTANT_USER_DATA: userDataDir }
    await writeRunFile(runFilePath(env), { version: 1, pid: process.pid, port: server.port, token: server.token, startedAt: Date.now() })
    return { env, core, server }
  }

  it('sends the command with the run\'s token; the window gets the userCommand and keeps its pending notices', async () => {
    const { env, core, server } = await startApp()
    const window = new WebSocket(`ws://127.0.0.1:${server.port}/api?token=${server.token}`)
    const frames: Array<{ type: string; event?: string; payload?: unknown }> = []
    window.on('message', (d) => frames.push(JSON.parse(d.toString())))
    await new Promise((r) => window.once('open', r))
    await expect.poll(() => frames.filter((f) => f.event === 'notice').length).toBe(1) // the window took the settings notice
    const first = await cli(['--toggle'], env)
    expect(first).toEqual({ code: 0, out: ['talk: --toggle → listening'], err: [] })
    await expect.poll(() => frames.filter((f) => f.event === 'userCommand').map((f) => f.payload)).toEqual([{ command: 'startListening' }])
    expect(await cli(['--talk-start'], env)).toMatchObject({ code: 0, out: ['talk: --talk-start → listening (nothing to do)'] })
    expect(await cli(['--cancel'], env)).toMatchObject({ code: 0, out: ['talk: --cancel → idle'] })
    await expect.poll(() => frames.filter((f) => f.event === 'userCommand').length).toBe(2)
    window.close()
    expect(core.talkKey?.status().source).toBe('none')
  })

  it('a talk client that connects first leaves the notices for the window', async () => {
    const { env, core } = await startApp()
    expect((await cli(['--toggle'], env)).code).toBe(0)
    expect(core.drainNotices().map((n) => n.level)).toEqual(['warning'])
  })

  it('a wrong token is refused (exit 1, says so); an app without the talk key says that', async () => {
    const { env, server } = await startApp(false)
    const noTalk = await cli(['--toggle'], env)
    expect(noTalk).toMatchObject({ code: 1, err: ['talk: the app refused --toggle: the talk key is not set up in this process'] })
    await writeRunFile(runFilePath(env), { version: 1, pid: process.pid, port: server.port, token: 'x'.repeat(24), startedAt: 0 })
    const refused = await cli(['--toggle'], env)
    expect(refused.code).toBe(1)
    expect(refused.err[0]).toBe(`talk: the app on port ${server.port} refused the connection (HTTP 401); the run file's token is not this run's`)
  })
})

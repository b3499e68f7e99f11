import WebSocket from 'ws'
import { wsServerFrameSchema } from '../shared/contract/api'
import { TALK_COMMANDS, talkCommandResultSchema, type RunFile, type TalkCommand, type TalkCommandResult } from '../shared/contract/talk'
import { parseCli, UsageError } from '../node/cli'
import { readRunFile, runFilePath } from './runFile'

/**
 * The talk client. `npm run talk -- --toggle | --talk-start | --talk-stop | --cancel | --show`: send one talk command to the running
 * browser-mode app, found through its run file (src/main/runFile.ts), over its api WebSocket with the run's token.
 * Bind it to a key in the desktop's keyboard settings. (The desktop app takes the same flags on its own executable:
 * the second instance hands them to the first.) Exit codes: 0 sent, 1 the app did not answer as it should, 2 bad
 * command line, 3 no running app (no run file, a stale one, or one that cannot be trusted).
 */

export const USAGE = `usage: npm run talk -- --toggle | --talk-start | --talk-stop | --cancel | --show
  --toggle      start talking, or end and send what was heard
  --talk-start  start talking (bind to a key press)
  --talk-stop   end and send (bind to the key's release)
  --cancel      drop what is being heard
  --show        open the app`

export const EXIT_NO_APP = 3

/** Marks the talk client's api connection, so browser mode does not hand it the window's pending notices. */
export const TALK_CLIENT_PARAM = 'client=talk'

/** Send one command to the browser-mode api; rejects with a sentence saying what went wrong. */
export async function sendTalkCommand(info: Pick<RunFile, 'port' | 'token'>, command: TalkCommand, timeoutMs = 3000): Promise<TalkCommandResult> {
  const url = `ws://127.0.0.1:${info.port}/api?token=${encodeURIComponent(info.token)}&${TALK_CLIENT_PARAM}`
  const ws = new WebSocket(url, { handshakeTimeout: timeoutMs, maxPayload: 1024 * 1024 })
  try {
    return await new Promise<TalkCommandResult>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the app on port ${info.port} did not answer within ${timeoutMs} ms`)), timeoutMs)
      const fail = (message: string): void => {
        clearTimeout(timer)
        reject(new Error(message))
      }
      ws.on('unexpected-response', (_req, res) => fail(`the app on port ${info.port} refused the connection (HTTP ${res.statusCode}); the run file's token is not this run's`))
      ws.on('error', (error) => fail(`could not reach the app on port ${info.port} (${error.message}); if it is not running, its run file is stale`))
      ws.on('close', () => fail(`the app on port ${info.port} closed the connection before answering`))
      ws.on('open', () => ws.send(JSON.stringify({ type: 'request', id: 1, method: 'talkCommand', params: { command } })))
      ws.on('message', (data) => {
        let frame
        try {
          frame = wsServerFrameSchema.safeParse(JSON.parse(data.toString()))
        } catch {
          return fail('the app sent a frame that is not JSON')
        }
        if (!frame.success || frame.data.type !== 'response' || frame.data.id !== 1) return // events for windows: not ours
        const { outcome } = frame.data
        if (!outcome.ok) return fail(`the app refused --${command}: ${outcome.error.message}${outcome.error.issues ? ` (${outcome.error.issues.join('; ')})` : ''}`)
        const result = talkCommandResultSchema.safeParse(outcome.result)
        if (!result.success) return fail('the app answered with something that is not a talk command result')
        clearTimeout(timer)
        resolve(result.data)
      })
    })
  } finally {
    ws.removeAllListeners('close')
    ws.on('error', () => undefined)
    ws.terminate()
  }
}

/** Run the CLI; returns the exit code. */
export async function runTalkCli(argv: readonly string[], env: NodeJS.ProcessEnv, out: (line: string) => void, err: (line: string) => void): Promise<number> {
  let command: TalkCommand
  try {
    const flag = { type: 'boolean' } as const
    const { values } = parseCli(argv, {
      options: { toggle: flag, 'talk-start': flag, 'talk-stop': flag, cancel: flag, show: flag, help: { type: 'boolean', short: 'h' } }
    })
    if (values.help) {
      out(USAGE)
      return 0
    }
    const given = TALK_COMMANDS.filter((c) => values[c] === true)
    if (given.length !== 1) throw new UsageError(given.length === 0 ? 'name one command' : `one command at a time, got ${given.map((c) => `--${c}`).join(' and ')}`)
    command = given[0]!
  } catch (error) {
    if (!(error instanceof UsageError)) throw error
    err(`talk: ${error.message}`)
    err(USAGE)
    return 2
  }
  const path = runFilePath(env)
  const found = await readRunFile(path)
  if (found.state === 'missing') {
    err(`talk: no running Voice Assistant (browser mode) was found: ${path} does not exist. Start it with npm start; the desktop app takes --${command} on its own executable.`)
    return EXIT_NO_APP
  }
  if (found.state === 'stale') {
    err(`talk: ignoring the stale run file ${path}: process ${found.info.pid} is gone (the app did not shut down cleanly). Start the app with npm start.`)
    return EXIT_NO_APP
  }
  if (found.state === 'invalid') {
    err(`talk: ignoring the run file ${path}: ${found.reason}.`)
    return EXIT_NO_APP
  }
  try {
    const result = await sendTalkCommand(found.info, command)
    out(`talk: --${command} → ${result.phase}${result.applied ? '' : ' (nothing to do)'}`)
    return 0
  } catch (error) {
    err(`talk: ${(error as Error).message}`)
    return 1
  }
}

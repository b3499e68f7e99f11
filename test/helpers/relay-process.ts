import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'

const repo = join(import.meta.dirname, '..', '..')

export interface RelayProcess {
  proc: ChildProcess
  publicUdp: { ip: string; port: number }
  publicTcp: { ip: string; port: number } | null
  controlUrl: string
  /** stderr lines (logs), for failure messages. */
  logs: string[]
}

/**
 * How to start the relay CLI: the built `out/main/relay.js` (plain node, starts about twice as fast, which matters for
 * the restart measurements) when it is at least as new as every relay source file; otherwise the TypeScript source
 * through tsx, so a stale build is never measured.
 */
export function relayEntryCommand(): { args: string[]; built: boolean } {
  const built = join(repo, 'out', 'main', 'relay.js')
  const dirs = ['src/server/relay', 'src/shared/contract']
  const sources = dirs.flatMap((d) => readdirSync(join(repo, d)).map((f) => join(repo, d, f)))
  if (existsSync(built) && statSync(built).mtimeMs >= Math.max(...sources.map((f) => statSync(f).mtimeMs))) return { args: [built], built: true }
  return { args: ['--import', 'tsx', join(repo, 'src/server/relay/main.ts')], built: false }
}

/**
 * Run the relay CLI (see relayEntryCommand) as a child process and wait for its ready line.
 * `prefix` runs it inside something else, e.g. ['ip', 'netns', 'exec', 'ns1'].
 */
export async function spawnRelay(opts: { args: string[]; token: string; prefix?: string[]; env?: Record<string, string> }): Promise<RelayProcess> {
  const cmd = [...(opts.prefix ?? []), process.execPath, ...relayEntryCommand().args, ...opts.args]
  const proc = spawn(cmd[0]!, cmd.slice(1), { cwd: repo, env: { ...process.env, ...opts.env, RELAY_CONTROL_TOKEN: opts.token }, stdio: ['ignore', 'pipe', 'pipe'] })
  const logs: string[] = []
  createInterface({ input: proc.stderr! }).on('line', (l) => {
    logs.push(l)
    if (process.env.MEDIA_DEBUG) console.error(l)
  })
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: proc.stdout! }).once('line', resolve)
    proc.once('exit', (code) => reject(new Error(`relay exited with ${code}: ${logs.join('\n')}`)))
  })
  const ready = JSON.parse(line) as { event: string; message?: string } & Omit<RelayProcess, 'proc' | 'logs'>
  if (ready.event !== 'ready') throw new Error(`relay did not start: ${ready.message}`)
  return { proc, publicUdp: ready.publicUdp, publicTcp: ready.publicTcp, controlUrl: ready.controlUrl, logs }
}

export async function killRelay(relay: RelayProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (relay.proc.exitCode !== null || relay.proc.signalCode !== null) return
  const exited = new Promise((r) => relay.proc.once('exit', r))
  relay.proc.kill(signal)
  await exited
}

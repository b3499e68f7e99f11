import { readFileSync } from 'node:fs'
import { parseCli, UsageError } from '../../node/cli'
import { installProcessCrashHandlers } from '../../node/crash/processCrashHandlers'
import { createPinoLogger, type PinoLevel } from '../../node/logging/pinoLogger'
import { isLogLevel } from '../../shared/logging/logger'
import { createForwardTimers } from './forwardTimer'
import { startRelay, type RelayOptions } from './relay'

/**
 * Edge relay entry: `npm run relay -- --listen 0.0.0.0 --port 3478 --announced-ip 203.0.113.7 --upstream-ip 10.0.0.1
 * --control 10.0.0.1:7010 --token-file /etc/voice/relay.token`. The token may also come from RELAY_CONTROL_TOKEN.
 * stdout: exactly one JSON line `{"event":"ready",...}` (or `{"event":"error",...}`); logs go to stderr as pino JSON
 * lines, `--log-level debug|info|warn|error|none` (default info).
 * With --measure-forward, each SIGUSR2 prints one more line, `{"event":"forward_time","up":{...},"down":{...}}` (the
 * relay's own per-packet forwarding time since the last one; see forwardTimer.ts), and resets the histograms.
 * Built as out/main/relay.js (electron-vite): `node out/main/relay.js ...` runs it without tsx.
 */
const USAGE = `usage: npm run relay -- [--listen <ip>] [--port <udp+tcp port>] [--announced-ip <ip>] [--upstream-ip <ip>]
       [--control <ip>:<port>] [--token-file <file>] [--no-tcp] [--flow-idle-ms <ms>] [--orphan-route-ms <ms>]
       [--max-flows <n>] [--max-flows-per-ufrag <n>] [--max-flows-per-address <n>] [--max-tcp-connections <n>]
       [--measure-forward] [--log-level debug|info|warn|error|none]
  The control token is read from --token-file or the RELAY_CONTROL_TOKEN environment variable (>= 16 chars).
  Flow limits: per ufrag 8 (a new flow replaces the oldest), per client address 32 (more are refused); in all, what
  the open-files limit (ulimit -n) leaves after a reserve for the control channel (printed at start).`

/** The relay's options from its command line; a UsageError (message and usage) for anything it cannot run. */
export function parseRelayArgs(argv: string[], env: Record<string, string | undefined>): RelayOptions & { logLevel: PinoLevel } {
  const usage = (message: string): UsageError => new UsageError(`${message}\n${USAGE}`)
  let values
  try {
    values = parseCli(argv, {
      options: {
        listen: { type: 'string' },
        port: { type: 'string' },
        'announced-ip': { type: 'string' },
        'upstream-ip': { type: 'string' },
        control: { type: 'string' },
        'token-file': { type: 'string' },
        'no-tcp': { type: 'boolean' },
        'measure-forward': { type: 'boolean' },
        'flow-idle-ms': { type: 'string' },
        'orphan-route-ms': { type: 'string' },
        'max-flows': { type: 'string' },
        'max-flows-per-ufrag': { type: 'string' },
        'max-flows-per-address': { type: 'string' },
        'max-tcp-connections': { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' }
      }
    }).values
  } catch (error) {
    throw error instanceof UsageError ? usage(error.message) : error
  }
  if (values.help) throw new UsageError(USAGE)
  const int = (flag: string, v: string | undefined, min: number, max: number): number | undefined => {
    if (v === undefined) return undefined
    if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw usage(`${flag} expects a whole number ${min}..${max}, got ${JSON.stringify(v)}`)
    return Number(v)
  }
  const str = (flag: string, v: string | undefined): string | undefined => {
    if (v === '') throw usage(`${flag} needs a value`)
    return v
  }
  const control = str('--control', values.control)
  const controlMatch = control === undefined ? null : /^(.*):(\d+)$/.exec(control)
  if (control !== undefined && !controlMatch) throw usage(`--control expects <ip>:<port>, got ${JSON.stringify(control)}`)
  const tokenFile = str('--token-file', values['token-file'])
  let token = env.RELAY_CONTROL_TOKEN ?? ''
  if (tokenFile !== undefined) {
    try {
      token = readFileSync(tokenFile, 'utf8').trim()
    } catch (error) {
      throw new UsageError(`cannot read --token-file ${tokenFile}: ${(error as Error).message}`)
    }
  }
  const logLevel = values['log-level'] ?? 'info'
  if (logLevel !== 'none' && !isLogLevel(logLevel)) throw usage(`--log-level expects debug, info, warn, error or none, got ${JSON.stringify(logLevel)}`)
  const o: RelayOptions & { logLevel: PinoLevel } = {
    logLevel: logLevel === 'none' ? 'silent' : logLevel,
    bindIp: str('--listen', values.listen) ?? '127.0.0.1',
    port: int('--port', values.port, 0, 65535) ?? 3478,
    announcedIp: str('--announced-ip', values['announced-ip']),
    upstreamIp: str('--upstream-ip', values['upstream-ip']),
    controlIp: controlMatch ? controlMatch[1]!.replace(/^\[|\]$/g, '') : '127.0.0.1',
    controlPort: (controlMatch ? int('--control', controlMatch[2], 0, 65535) : undefined) ?? 7010,
    token,
    tcp: !values['no-tcp'],
    flowIdleMs: int('--flow-idle-ms', values['flow-idle-ms'], 1000, 600_000),
    orphanRouteMs: int('--orphan-route-ms', values['orphan-route-ms'], 0, 3_600_000),
    // Limits left out fall to startRelay's defaults (derived from the open-files limit).
    ...definedOnly({
      maxFlows: int('--max-flows', values['max-flows'], 1, 1_000_000),
      maxFlowsPerUfrag: int('--max-flows-per-ufrag', values['max-flows-per-ufrag'], 1, 1000),
      maxFlowsPerAddress: int('--max-flows-per-address', values['max-flows-per-address'], 1, 1_000_000),
      maxTcpConnections: int('--max-tcp-connections', values['max-tcp-connections'], 0, 1_000_000)
    }),
    ...(values['measure-forward'] ? { forwardTimers: createForwardTimers() } : {})
  }
  if (o.token.length < 16) throw usage('a control token of at least 16 characters is required (--token-file or RELAY_CONTROL_TOKEN)')
  return o
}

async function main(): Promise<void> {
  // Exit on an uncaught exception: a relay in an unknown state could misroute media; its supervisor restarts it and
  // the backends re-register.
  const uninstallEarlyCrashHandlers = installProcessCrashHandlers(process, { processName: 'relay', onUncaughtException: 'exit' })
  let opts: ReturnType<typeof parseRelayArgs>
  try {
    opts = parseRelayArgs(process.argv.slice(2), process.env)
  } catch (error) {
    process.stderr.write(`relay: ${(error as Error).message}\n`)
    process.exit(2)
  }
  const logger = createPinoLogger({ level: opts.logLevel, name: 'relay' })
  uninstallEarlyCrashHandlers()
  installProcessCrashHandlers(process, { processName: 'relay', onUncaughtException: 'exit', logger })
  try {
    const relay = await startRelay({ ...opts, logger })
    process.stdout.write(
      JSON.stringify({ event: 'ready', relayId: relay.relayId, publicUdp: relay.publicUdp, publicTcp: relay.publicTcp, controlUrl: relay.controlUrl, pid: process.pid }) + '\n'
    )
    let closing = false
    const shutdown = (signal: string): void => {
      if (closing) return
      closing = true
      logger.info('shutting down', { signal, stats: relay.stats() })
      void relay.close().finally(() => process.exit(0))
    }
    process.on('SIGINT', () => shutdown('SIGINT'))
    process.on('SIGTERM', () => shutdown('SIGTERM'))
    const timers = opts.forwardTimers
    if (timers) {
      process.on('SIGUSR2', () => {
        process.stdout.write(JSON.stringify({ event: 'forward_time', up: timers.up.summary(), down: timers.down.summary() }) + '\n')
        timers.up.reset()
        timers.down.reset()
      })
    }
    if (process.env.RELAY_STATS_EVERY_MS) {
      setInterval(() => logger.info('relay stats', { stats: relay.stats() }), Math.max(1000, Number(process.env.RELAY_STATS_EVERY_MS) || 10_000)).unref()
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    process.stdout.write(JSON.stringify({ event: 'error', message }) + '\n')
    logger.error('could not start', { error })
    process.exit(1)
  }
}

// Run as the entry: src/server/relay/main.ts (tsx) or the built out/main/relay.js.
if (process.argv[1] && /(relay[/\\]main\.[tj]s|[/\\]main[/\\]relay\.[cm]?js)$/.test(process.argv[1])) void main()

function definedOnly<T extends Record<string, number | undefined>>(o: T): { [K in keyof T]?: number } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: number }
}

import { readFileSync } from 'node:fs'
import { createForwardTimers } from './forwardTimer'
import { startRelay, type RelayOptions } from './relay'

/**
 * Edge relay entry: `npm run relay -- --listen 0.0.0.0 --port 3478 --announced-ip 203.0.113.7 --upstream-ip 10.0.0.1
 * --control 10.0.0.1:7010 --token-file /etc/voice/relay.token`. The token may also come from RELAY_CONTROL_TOKEN.
 * stdout: exactly one JSON line `{"event":"ready",...}` (or `{"event":"error",...}`); logs go to stderr.
 * With --measure-forward, each SIGUSR2 prints one more line, `{"event":"forward_time","up":{...},"down":{...}}` (the
 * relay's own per-packet forwarding time since the last one; see forwardTimer.ts), and resets the histograms.
 * Built as out/main/relay.js (electron-vite): `node out/main/relay.js ...` runs it without tsx.
 */
const USAGE = `usage: npm run relay -- [--listen <ip>] [--port <udp+tcp port>] [--announced-ip <ip>] [--upstream-ip <ip>]
       [--control <ip>:<port>] [--token-file <file>] [--no-tcp] [--flow-idle-ms <ms>] [--orphan-route-ms <ms>]
       [--max-flows <n>] [--max-flows-per-ufrag <n>] [--max-flows-per-address <n>] [--max-tcp-connections <n>]
       [--measure-forward]
  The control token is read from --token-file or the RELAY_CONTROL_TOKEN environment variable (>= 16 chars).
  Flow limits: per ufrag 8 (a new flow replaces the oldest), per client address 32 (more are refused); in all, what
  the open-files limit (ulimit -n) leaves after a reserve for the control channel (printed at start).`

export function parseRelayArgs(argv: string[], env: Record<string, string | undefined>): RelayOptions {
  const o: RelayOptions = { bindIp: '127.0.0.1', port: 3478, controlIp: '127.0.0.1', controlPort: 7010, token: env.RELAY_CONTROL_TOKEN ?? '', tcp: true }
  const int = (flag: string, v: string | undefined, min: number, max: number): number => {
    if (v === undefined || !/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw new Error(`${flag} expects a whole number ${min}..${max}, got ${JSON.stringify(v)}\n${USAGE}`)
    return Number(v)
  }
  const str = (flag: string, v: string | undefined): string => {
    if (!v) throw new Error(`${flag} needs a value\n${USAGE}`)
    return v
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    switch (arg) {
      case '--help':
      case '-h':
        throw new Error(USAGE)
      case '--listen':
        o.bindIp = str(arg, argv[++i])
        break
      case '--port':
        o.port = int(arg, argv[++i], 0, 65535)
        break
      case '--announced-ip':
        o.announcedIp = str(arg, argv[++i])
        break
      case '--upstream-ip':
        o.upstreamIp = str(arg, argv[++i])
        break
      case '--control': {
        const v = str(arg, argv[++i])
        const m = /^(.*):(\d+)$/.exec(v)
        if (!m) throw new Error(`--control expects <ip>:<port>, got ${JSON.stringify(v)}\n${USAGE}`)
        o.controlIp = m[1]!.replace(/^\[|\]$/g, '')
        o.controlPort = int(arg, m[2], 0, 65535)
        break
      }
      case '--token-file': {
        const file = str(arg, argv[++i])
        try {
          o.token = readFileSync(file, 'utf8').trim()
        } catch (error) {
          throw new Error(`cannot read --token-file ${file}: ${(error as Error).message}`, { cause: error })
        }
        break
      }
      case '--no-tcp':
        o.tcp = false
        break
      case '--measure-forward':
        o.forwardTimers = createForwardTimers()
        break
      case '--flow-idle-ms':
        o.flowIdleMs = int(arg, argv[++i], 1000, 600_000)
        break
      case '--orphan-route-ms':
        o.orphanRouteMs = int(arg, argv[++i], 0, 3_600_000)
        break
      case '--max-flows':
        o.maxFlows = int(arg, argv[++i], 1, 1_000_000)
        break
      case '--max-flows-per-ufrag':
        o.maxFlowsPerUfrag = int(arg, argv[++i], 1, 1000)
        break
      case '--max-flows-per-address':
        o.maxFlowsPerAddress = int(arg, argv[++i], 1, 1_000_000)
        break
      case '--max-tcp-connections':
        o.maxTcpConnections = int(arg, argv[++i], 0, 1_000_000)
        break
      default:
        throw new Error(`unknown option ${arg}\n${USAGE}`)
    }
  }
  if (o.token.length < 16) throw new Error(`a control token of at least 16 characters is required (--token-file or RELAY_CONTROL_TOKEN)\n${USAGE}`)
  return o
}

async function main(): Promise<void> {
  const log = (line: string): void => void process.stderr.write(`[relay] ${line}\n`)
  let opts: RelayOptions
  try {
    opts = parseRelayArgs(process.argv.slice(2), process.env)
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`)
    process.exit(2)
  }
  try {
    const relay = await startRelay({ ...opts, log })
    process.stdout.write(
      JSON.stringify({ event: 'ready', relayId: relay.relayId, publicUdp: relay.publicUdp, publicTcp: relay.publicTcp, controlUrl: relay.controlUrl, pid: process.pid }) + '\n'
    )
    let closing = false
    const shutdown = (signal: string): void => {
      if (closing) return
      closing = true
      log(`${signal}: ${JSON.stringify(relay.stats())}`)
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
      setInterval(() => log(JSON.stringify(relay.stats())), Math.max(1000, Number(process.env.RELAY_STATS_EVERY_MS) || 10_000)).unref()
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    process.stdout.write(JSON.stringify({ event: 'error', message }) + '\n')
    log(`could not start: ${message}`)
    process.exit(1)
  }
}

// Run as the entry: src/server/relay/main.ts (tsx) or the built out/main/relay.js.
if (process.argv[1] && /(relay[/\\]main\.[tj]s|[/\\]main[/\\]relay\.[cm]?js)$/.test(process.argv[1])) void main()

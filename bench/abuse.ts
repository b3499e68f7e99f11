import { numberOption, parseCli, parseOrExit, UsageError } from '../src/node/cli'
import { DEFAULT_FAIR_LIMITS } from '../src/server/limits/fairLimits'
import { descendants } from '../test/helpers/processTree'
import { relayFlowFlood } from './_abuseRelay'
import { restartStorm } from './_abuseRestart'
import { SIGNALING_ATTACKS, signalingAttacks, signalingTimeouts, type SignalingAttack } from './_abuseSignaling'

/**
 * abuse: each attack of issue 14 in turn, on loopback only, every loop bounded in count and time. Per attack: what was
 * refused and how, the target's memory (RSS; baseline and peak), and what a legitimate client saw meanwhile.
 * Signaling (bench/_abuseSignaling.ts): a standalone backend (operator tokens, --client-providers public-https,
 * default limits); the legitimate client joins and leaves every 600 ms (join latency p50/p95, failures).
 *   unauthenticated   upgrades without a token
 *   bad_token         forged signature, expired, malformed, and a valid token from a foreign Origin
 *   ssrf              a valid client points its voice session's STT at a loopback-only HTTP service (and friends)
 *   join_flood        2000 joins from one client: half leave at once, half keep the session and reconnect
 *   silent_sockets    raw TCP connections that never send a byte, and WebSocket clients that never send a request
 *   half_open_peers   joined clients that stop answering pings (their link is "gone"); time until their sessions close
 * Relay (bench/_abuseRelay.ts): the edge relay under `ulimit -n 256`;
 *   relay_flow_flood  900 signed flows from one client with one session's credentials, then with 40 sessions', then
 *                     from 30 addresses; flows held, evicted and refused, and a legitimate client's media (delivered
 *                     of sent, client → relay → worker p50/p95), new flows and new control connections meanwhile
 * Lifecycle (bench/_abuseRestart.ts): the app's BackendService with a real embedded backend;
 *   restart_storm     8 concurrent "Restart backend" calls: backends and mediasoup workers alive after (goal 1 and 1),
 *                     time until ready, and a legitimate join right after
 * The quick attacks (unauthenticated, bad_token, join_flood, relay_flow_flood) repeat their bounded round until
 * --seconds have passed (at most 20 rounds), so the legitimate client is measured across the attack, not beside it.
 * At the end every process this bench started must be gone (counted in /proc); leftoverProcesses says how many were not.
 */
const ALL_ATTACKS = [...SIGNALING_ATTACKS, 'relay_flow_flood', 'restart_storm'] as const
type Attack = (typeof ALL_ATTACKS)[number]
const USAGE = `usage: npm run bench -- abuse [--attempts 500] [--flood 2000] [--silent 200] [--half-open 20] [--seconds 5] [--timeouts default|fast]
    [--relay-flows 900] [--relay-fd-limit 256] [--restarts 8] [--only <attack>,...]
  --timeouts fast: ping 1 s, pong 1 s, idle 3 s, grace 3 s (a quick run; the default timeouts meet the 30 s goal)
  attacks: ${ALL_ATTACKS.join(', ')}`
if (process.argv.includes('--help') || process.argv.includes('-h')) {
  console.log(USAGE)
  process.exit(0)
}
const o = parseOrExit(
  'bench abuse',
  () => {
    const { values } = parseCli(process.argv.slice(2), {
      options: {
        attempts: { type: 'string' },
        flood: { type: 'string' },
        silent: { type: 'string' },
        'half-open': { type: 'string' },
        seconds: { type: 'string' },
        timeouts: { type: 'string', default: 'default' },
        'relay-flows': { type: 'string' },
        'relay-fd-limit': { type: 'string' },
        restarts: { type: 'string' },
        only: { type: 'string' },
        help: { type: 'boolean', short: 'h' }
      }
    })
    if (values.timeouts !== 'default' && values.timeouts !== 'fast') throw new UsageError(`--timeouts must be default or fast, got ${JSON.stringify(values.timeouts)}`)
    const only = values.only === undefined ? [...ALL_ATTACKS] : values.only.split(',').map((s) => s.trim())
    const unknown = only.filter((a) => !(ALL_ATTACKS as readonly string[]).includes(a))
    if (unknown.length || only.length === 0) throw new UsageError(`--only takes attacks from ${ALL_ATTACKS.join(', ')}; got ${JSON.stringify(values.only)}`)
    const whole = (label: string, raw: string | undefined, fallback: number, min: number, max: number): number => numberOption(label, raw, fallback, { min, max, integer: true })
    return {
      attempts: whole('--attempts', values.attempts, 500, 1, 5000),
      flood: whole('--flood', values.flood, 2000, 1, 10_000),
      silent: whole('--silent', values.silent, 200, 1, 1000),
      halfOpen: whole('--half-open', values['half-open'], 20, 1, 40),
      minAttackMs: whole('--seconds', values.seconds, 5, 1, 60) * 1000,
      fast: values.timeouts === 'fast',
      relayFlows: whole('--relay-flows', values['relay-flows'], 900, 1, 5000),
      // Below 128 the relay's reserve (64 descriptors) leaves it almost no flows; the probe of issue 14 ran at 256.
      relayFdLimit: whole('--relay-fd-limit', values['relay-fd-limit'], 256, 128, 65_536),
      restarts: whole('--restarts', values.restarts, 8, 2, 32),
      only: new Set(only as Attack[])
    }
  },
  USAGE
)
const run = (attack: Attack): boolean => o.only.has(attack)

// Whatever fails, every process this bench started is stopped before it exits.
const cleanups: Array<() => Promise<void>> = []
const onCleanup = (c: () => Promise<void>): void => void cleanups.push(c)
const runCleanups = async (): Promise<void> => {
  for (const c of cleanups.splice(0).reverse()) await c().catch((e: unknown) => console.error(`abuse: cleanup failed: ${String(e)}`))
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void runCleanups().finally(() => process.exit(130)))
const attacks: Record<string, unknown> = {}
try {
  if (SIGNALING_ATTACKS.some((a: SignalingAttack) => run(a))) Object.assign(attacks, (await signalingAttacks({ ...o, run, onCleanup })).attacks)
  if (run('relay_flow_flood')) attacks.relay_flow_flood = await relayFlowFlood({ flows: o.relayFlows, ufrags: 40, addresses: 30, descriptorLimit: o.relayFdLimit, minAttackMs: o.minAttackMs, onCleanup })
  if (run('restart_storm')) attacks.restart_storm = await restartStorm({ restarts: o.restarts, onCleanup })
} finally {
  await runCleanups()
}

// Every child has been awaited; give /proc a moment to drop exited processes, then count what is left. tsx's esbuild
// service (the TypeScript loader of this process, started before any attack) is not ours to count.
const ours = (): ReturnType<typeof descendants> => descendants().filter((p) => !/\/esbuild --service=/.test(p.cmdline))
let left = ours()
for (let i = 0; i < 20 && left.length; i++) {
  await new Promise((r) => setTimeout(r, 100))
  left = ours()
}
for (const p of left) console.error(`abuse: left behind: ${p.pid} ${p.cmdline}`)
if (left.length) process.exitCode = 1
console.log(JSON.stringify({ bench: 'abuse', timeouts: signalingTimeouts(o.fast), limits: DEFAULT_FAIR_LIMITS, attacks, leftoverProcesses: left.length }))

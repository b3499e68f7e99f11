import { isIP } from 'node:net'
import type { ParseArgsConfig } from 'node:util'
import { parseCli, UsageError } from '../node/cli'
import { defaultModelsDir } from '../node/models/modelsDir'
import { z } from 'zod'
import { clientProvidersPolicySchema, sessionPipelineSchema, type ClientProvidersPolicy, type SessionPipelineName } from '../shared/contract/signaling'
import { parseDuration } from './auth/accessToken'
import { parseOriginEntry } from './auth/originPolicy'
import type { FairLimits } from './limits/fairLimits'
import type { SignalingTimeouts } from './signalingServer'
import type { LogLevel } from '../shared/logging/logger'

/** Backend configuration: from CLI flags (standalone) or from the app's launcher (embedded, loopback). */
export const backendConfigSchema = z.object({
  /** Address the WebRTC server and signaling listen on. */
  listenIp: z.string().min(1),
  /** Address put into ICE candidates (the public/relay address); defaults to listenIp. */
  announcedIp: z.string().min(1).nullable(),
  /** The single RTC port of the first worker's WebRtcServer (UDP + TCP); worker i uses rtcPort + i. 0 = pick free. */
  rtcPort: z.number().int().min(0).max(65535),
  /** Signaling WebSocket port; 0 = pick a free one. */
  signalingPort: z.number().int().min(0).max(65535),
  /** Number of mediasoup workers; default one per core. */
  workers: z.number().int().min(1).max(64),
  /**
   * `--log-level`: the backend's own JSON log lines and its mediasoup workers' (which have no info level: info keeps
   * them at warn, their default). `none` silences both.
   */
  logLevel: z.enum(['debug', 'info', 'warn', 'error', 'none']),
  /** Pipeline for joins that do not name one (`--pipeline echo|click`); unset = the session manager's default (echo). */
  defaultPipeline: sessionPipelineSchema.optional(),
  /**
   * Where the on-device speech models are (`--models-dir`; the embedded backend gets the app's `<userData>/models`);
   * the voice loop transcribes on the device with the one installed there. Unset = no on-device STT (tests and
   * benches that start a backend in-process); the command line always sets it (default: defaultModelsDir()).
   */
  modelsDir: z.string().min(1).optional()
})
export type BackendConfig = z.infer<typeof backendConfigSchema>

export function defaultBackendConfig(cpuCount: number): BackendConfig {
  return { listenIp: '127.0.0.1', announcedIp: null, rtcPort: 0, signalingPort: 0, workers: Math.max(1, cpuCount), logLevel: 'info' }
}

/** mediasoup's worker log level for a backend log level (mediasoup has debug, warn, error and none). */
export function mediasoupLogLevel(level: BackendConfig['logLevel']): 'debug' | 'warn' | 'error' | 'none' {
  return level === 'info' ? 'warn' : level
}

/** The backend logger's level for a backend log level (pino's 'silent' for none). */
export function loggerLevel(level: BackendConfig['logLevel']): LogLevel | 'silent' {
  return level === 'none' ? 'silent' : level
}

/** Environment variable holding a standalone backend's token secret (or use --token-secret-file). */
export const TOKEN_SECRET_ENV = 'VOICE_ASSISTANT_TOKEN_SECRET'

/** A standalone backend's access settings, from its flags (main.ts reads the files and builds the gate). */
export interface StandaloneAccessFlags {
  tokenSecretFile: string | null
  /** --allow-origin, repeatable: page origins (besides the desktop app's) that may connect. */
  allowOrigins: string[]
  clientProviders: ClientProvidersPolicy
  /** --providers: the operator's providers file (auth/operatorProviders.ts). */
  providersFile: string | null
  limits: Partial<FairLimits>
  timeouts: Partial<SignalingTimeouts>
  sessionGraceMs: number | null
}

/** `--metrics-port` / `--metrics-listen`: where the Prometheus endpoint listens (src/server/metrics). */
export interface MetricsFlags {
  /** 0 = a free port (the ready line names it). */
  port: number
  /** Loopback unless the operator says otherwise. */
  listen: string
}

export type ServerCommand =
  | { command: 'serve'; config: BackendConfig; access: StandaloneAccessFlags; metrics: MetricsFlags | null }
  | { command: 'token'; subject: string | null; ttlMs: number; scope: SessionPipelineName[]; tokenSecretFile: string | null }
  | { command: 'secret'; out: string | null }

const PIPELINES = sessionPipelineSchema.options.join('|')
export const USAGE = `usage:
  npm run server -- [options]                 run the backend
  npm run server -- token --ttl <12h|30m|7d> [--scope ${PIPELINES}]... [--subject <name>] [--token-secret-file <file>]
                                              issue an access token (prints it on stdout)
  npm run server -- secret [--out <file>]     make a token secret (a file with mode 0600, or stdout)
options:
  --listen <ip>  --announced-ip <ip>  --port <rtc-port>  --signaling-port <port>  --workers <n>
  --log-level debug|info|warn|error|none (default info; JSON lines on stderr)  --pipeline ${PIPELINES}
  --models-dir <dir>  the on-device speech models (default $VOICE_ASSISTANT_MODELS_DIR, else <user data>/models;
                      install one with: npm run models -- install --models-dir <dir>)
  access:   --token-secret-file <file> (or $${TOKEN_SECRET_ENV})  --allow-origin <origin> (repeatable)
            --client-providers none|public-https|any  --providers <file.json>
  limits:   --max-sessions <n>  --sessions-per-principal <n>  --sessions-per-address <n>  --connections-per-address <n>
            --join-burst <n>  --joins-per-second <n>
  liveness: --ping-interval-ms <ms>  --pong-timeout-ms <ms>  --idle-timeout-ms <ms>  --session-grace-ms <ms>
  metrics:  --metrics-port <port>  Prometheus text at http://<addr>:<port>/metrics (its own port, never signaling's)
            --metrics-listen <ip>  the address it listens on (default 127.0.0.1)`

const SERVE_OPTIONS = {
  listen: { type: 'string' },
  'announced-ip': { type: 'string' },
  port: { type: 'string' },
  'signaling-port': { type: 'string' },
  workers: { type: 'string' },
  'log-level': { type: 'string' },
  pipeline: { type: 'string' },
  'models-dir': { type: 'string' },
  'token-secret-file': { type: 'string' },
  'allow-origin': { type: 'string', multiple: true },
  'client-providers': { type: 'string' },
  providers: { type: 'string' },
  'max-sessions': { type: 'string' },
  'sessions-per-principal': { type: 'string' },
  'sessions-per-address': { type: 'string' },
  'connections-per-address': { type: 'string' },
  'join-burst': { type: 'string' },
  'joins-per-second': { type: 'string' },
  'ping-interval-ms': { type: 'string' },
  'pong-timeout-ms': { type: 'string' },
  'idle-timeout-ms': { type: 'string' },
  'session-grace-ms': { type: 'string' },
  'metrics-port': { type: 'string' },
  'metrics-listen': { type: 'string' },
  help: { type: 'boolean', short: 'h' }
} satisfies ParseArgsConfig['options']

const TOKEN_OPTIONS = {
  ttl: { type: 'string' },
  scope: { type: 'string', multiple: true },
  subject: { type: 'string' },
  'token-secret-file': { type: 'string' },
  help: { type: 'boolean', short: 'h' }
} satisfies ParseArgsConfig['options']

const SECRET_OPTIONS = { out: { type: 'string' }, help: { type: 'boolean', short: 'h' } } satisfies ParseArgsConfig['options']

/** Usage errors: main.ts prints the message and exits 2. */
export { UsageError }

/**
 * Parse `npm run server` arguments (node:util parseArgs, strict): an unknown flag or a missing value is a UsageError
 * that names the flag and lists the known ones.
 */
export function parseServerArgs(argv: string[], defaults: BackendConfig, env: NodeJS.ProcessEnv = process.env): ServerCommand {
  const [first, ...rest] = argv
  if (first === 'token') {
    const v = strictParse(rest, TOKEN_OPTIONS, 'token')
    if (v.help) throw new UsageError(USAGE)
    if (!v.ttl) throw new UsageError(`token needs --ttl (how long it is valid, e.g. --ttl 12h)\n${USAGE}`)
    let ttlMs: number
    try {
      ttlMs = parseDuration(v.ttl)
    } catch (error) {
      throw new UsageError(`--ttl: ${(error as Error).message}`)
    }
    const scope = (v.scope ?? []).flatMap((s) => s.split(',')).filter(Boolean)
    for (const s of scope) if (!sessionPipelineSchema.safeParse(s).success) throw new UsageError(`--scope ${JSON.stringify(s)} is not a pipeline (${PIPELINES})`)
    return { command: 'token', subject: v.subject ?? null, ttlMs, scope: [...new Set(scope)] as SessionPipelineName[], tokenSecretFile: v['token-secret-file'] ?? null }
  }
  if (first === 'secret') {
    const v = strictParse(rest, SECRET_OPTIONS, 'secret')
    if (v.help) throw new UsageError(USAGE)
    return { command: 'secret', out: v.out ?? null }
  }
  const v = strictParse(argv, SERVE_OPTIONS, null)
  if (v.help) throw new UsageError(USAGE)
  const int = (flag: keyof typeof SERVE_OPTIONS): number | undefined => {
    const value = v[flag]
    if (value === undefined) return undefined
    if (typeof value !== 'string' || !/^\d+$/.test(value)) throw new UsageError(`--${flag} expects a whole number, got ${JSON.stringify(value)}\n${USAGE}`)
    return Number(value)
  }
  const raw: Record<string, unknown> = { ...defaults }
  if (v.listen !== undefined) raw.listenIp = v.listen
  if (v['announced-ip'] !== undefined) raw.announcedIp = v['announced-ip']
  if (v['log-level'] !== undefined) raw.logLevel = v['log-level']
  if (v.pipeline !== undefined) raw.defaultPipeline = v.pipeline
  raw.modelsDir = v['models-dir'] ?? defaults.modelsDir ?? defaultModelsDir(env)
  for (const [flag, key] of [['port', 'rtcPort'], ['signaling-port', 'signalingPort'], ['workers', 'workers']] as const) {
    const n = int(flag)
    if (n !== undefined) raw[key] = n
  }
  const parsed = backendConfigSchema.safeParse(raw)
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)
    throw new UsageError(`invalid server options: ${lines.join('; ')}\n${USAGE}`)
  }
  const clientProviders = clientProvidersPolicySchema.safeParse(v['client-providers'] ?? 'none')
  if (!clientProviders.success) throw new UsageError(`--client-providers must be none, public-https or any, not ${JSON.stringify(v['client-providers'])}`)
  let allowOrigins: string[]
  try {
    allowOrigins = (v['allow-origin'] ?? []).map(parseOriginEntry)
  } catch (error) {
    throw new UsageError((error as Error).message)
  }
  const limits: Partial<FairLimits> = {}
  const setLimit = (flag: keyof typeof SERVE_OPTIONS, key: keyof FairLimits, min: number): void => {
    const n = int(flag)
    if (n === undefined) return
    if (n < min) throw new UsageError(`--${flag} must be at least ${min}`)
    limits[key] = n
  }
  setLimit('max-sessions', 'maxSessions', 1)
  setLimit('sessions-per-principal', 'sessionsPerPrincipal', 1)
  setLimit('sessions-per-address', 'sessionsPerAddress', 1)
  setLimit('connections-per-address', 'connectionsPerAddress', 1)
  setLimit('join-burst', 'joinBurst', 1)
  if (v['joins-per-second'] !== undefined) {
    const rate = Number(v['joins-per-second'])
    if (!/^\d+(\.\d+)?$/.test(v['joins-per-second']) || rate <= 0) throw new UsageError(`--joins-per-second expects a number above zero, got ${JSON.stringify(v['joins-per-second'])}`)
    limits.joinsPerSecond = rate
  }
  const timeouts: Partial<SignalingTimeouts> = {}
  const setTimeoutFlag = (flag: keyof typeof SERVE_OPTIONS, key: keyof SignalingTimeouts): void => {
    const n = int(flag)
    if (n === undefined) return
    if (n < 50) throw new UsageError(`--${flag} must be at least 50 ms`)
    timeouts[key] = n
  }
  setTimeoutFlag('ping-interval-ms', 'pingIntervalMs')
  setTimeoutFlag('pong-timeout-ms', 'pongTimeoutMs')
  setTimeoutFlag('idle-timeout-ms', 'idleTimeoutMs')
  return {
    command: 'serve',
    config: parsed.data,
    metrics: metricsFlags(int('metrics-port'), v['metrics-listen'], parsed.data),
    access: {
      tokenSecretFile: v['token-secret-file'] ?? null,
      allowOrigins,
      clientProviders: clientProviders.data,
      providersFile: v.providers ?? null,
      limits,
      timeouts,
      sessionGraceMs: int('session-grace-ms') ?? null
    }
  }
}

/** The metrics endpoint's flags, checked: a port of its own (not signaling's, not a worker's RTC port), an IP address. */
function metricsFlags(port: number | undefined, listen: string | undefined, config: BackendConfig): MetricsFlags | null {
  if (port === undefined) {
    if (listen !== undefined) throw new UsageError('--metrics-listen needs --metrics-port (the port the metrics are served on)')
    return null
  }
  if (port > 65535) throw new UsageError(`--metrics-port must be a port number (0-65535; 0 picks a free one), got ${port}`)
  if (port !== 0 && port === config.signalingPort) throw new UsageError(`--metrics-port ${port} is the signaling port: the metrics need a port of their own`)
  if (port !== 0 && config.rtcPort !== 0 && port >= config.rtcPort && port < config.rtcPort + config.workers) {
    throw new UsageError(`--metrics-port ${port} is one of the workers' RTC ports (${config.rtcPort}-${config.rtcPort + config.workers - 1}): the metrics need a port of their own`)
  }
  const address = listen ?? '127.0.0.1'
  if (address !== 'localhost' && isIP(address.replace(/^\[|\]$/g, '')) === 0) throw new UsageError(`--metrics-listen expects an IP address (e.g. 127.0.0.1, 0.0.0.0, ::1), got ${JSON.stringify(address)}`)
  return { port, listen: address.replace(/^\[|\]$/g, '') }
}

function strictParse<O extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: O, subcommand: string | null) {
  try {
    return parseCli(args, { options }).values
  } catch (error) {
    if (error instanceof UsageError) throw new UsageError(`${subcommand ? `${subcommand}: ` : ''}${error.message}\n${USAGE}`)
    throw error
  }
}

/** Loopback: the only addresses a backend without authentication may listen on. */
export function isLoopbackAddress(ip: string): boolean {
  const bare = ip.replace(/^\[|\]$/g, '')
  if (bare === 'localhost') return true
  if (isIP(bare) === 4) return bare.startsWith('127.')
  return bare === '::1' || /^::ffff:127\./i.test(bare)
}

/**
 * Why a standalone backend must not start as configured, or null: listening beyond loopback without a token secret
 * would let anyone who can reach the port use it (and its providers). The message carries the exact commands.
 */
export function listenRefusal(listenIp: string, hasTokenSecret: boolean): string | null {
  if (hasTokenSecret || isLoopbackAddress(listenIp)) return null
  return [
    `refusing to listen on ${listenIp} without a token secret: anyone who can reach this port could use the backend.`,
    'Make a secret once, start with it, and issue each user a token:',
    '  npm run server -- secret --out ./token-secret',
    `  npm run server -- --listen ${listenIp} --token-secret-file ./token-secret`,
    '  npm run server -- token --ttl 12h --subject alice --token-secret-file ./token-secret',
    `(or set $${TOKEN_SECRET_ENV} instead of --token-secret-file)`
  ].join('\n')
}

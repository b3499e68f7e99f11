import { randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { EMBEDDED_ORIGINS_ENV, EMBEDDED_SECRET_ENV } from '../shared/contract/signaling'
import { checkSecret, issueAccessToken, makeSecret } from './auth/accessToken'
import { createConnectionGate } from './auth/connectionGate'
import { loadOperatorProviders } from './auth/operatorProviders'
import { APP_ORIGIN } from './auth/originPolicy'
import { ProviderAuthority } from './auth/providerAuthority'
import { startBackend, type BackendAccess } from './backend'
import { defaultBackendConfig, isLoopbackAddress, listenRefusal, parseServerArgs, TOKEN_SECRET_ENV, UsageError, loggerLevel, type ServerCommand, type StandaloneAccessFlags } from './config'
import { relayOptionsFromEnv } from './relay/backendRelay'
import { startOperatorMetrics, type OperatorMetrics } from './metrics/operatorMetrics'
import { installProcessCrashHandlers } from '../node/crash/processCrashHandlers'
import { createPinoLogger } from '../node/logging/pinoLogger'
import type { Logger } from '../shared/logging/logger'

/**
 * Backend entry. Standalone: `npm run server -- --listen 0.0.0.0 --announced-ip <public ip> --port 40000
 * --token-secret-file ./token-secret`; `npm run server -- token --ttl 12h` issues access tokens.
 * Embedded: the app spawns this file with its per-run secret in the environment and reads the one JSON line
 * `{"event":"ready",...}` from stdout. Logs go to stderr as pino JSON lines (level from --log-level; the app re-logs
 * them into its own log file at their level), so stdout stays machine-readable. Usage errors and the token/secret
 * commands' messages stay plain text on stderr: they are for the person at the terminal.
 */

async function main(): Promise<void> {
  // Exit on an uncaught exception: the app's BackendService (or the operator's supervisor) restarts a clean backend.
  const uninstallEarlyCrashHandlers = installProcessCrashHandlers(process, { processName: 'backend', onUncaughtException: 'exit' })
  let command: ServerCommand
  try {
    command = parseServerArgs(process.argv.slice(2), defaultBackendConfig(availableParallelism()))
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`)
    process.exit(2)
  }
  if (command.command === 'secret') return makeSecretCommand(command.out)
  if (command.command === 'token') {
    const secret = await tokenSecret(command.tokenSecretFile)
    if (!secret) usageExit(`token: no token secret: set $${TOKEN_SECRET_ENV} or pass --token-secret-file (make one with: npm run server -- secret --out ./token-secret)`)
    const subject = command.subject ?? `user-${randomBytes(4).toString('hex')}`
    const token = issueAccessToken(secret, { sub: subject, scope: command.scope.length ? command.scope : undefined, ttlMs: command.ttlMs })
    process.stderr.write(`access token for ${subject}, pipelines ${command.scope.length ? command.scope.join(', ') : 'all'}, valid until ${new Date(Date.now() + command.ttlMs).toISOString()}.\nClients connect with ws(s)://<host>:<port>/signaling?token=<token>\n`)
    process.stdout.write(`${token}\n`)
    return
  }
  const { config, access: flags } = command
  const logger = createPinoLogger({ level: loggerLevel(config.logLevel), name: 'backend' })
  // From here on a crash is reported through the backend's own logger (its JSON lines reach the app's log file).
  uninstallEarlyCrashHandlers()
  installProcessCrashHandlers(process, { processName: 'backend', onUncaughtException: 'exit', logger })
  let access: BackendAccess
  let urlToken: string | null = null
  let relay
  try {
    relay = relayOptionsFromEnv(process.env)
    const embeddedSecret = takeEnv(EMBEDDED_SECRET_ENV)
    const appOrigins = (takeEnv(EMBEDDED_ORIGINS_ENV) ?? '').split(/\s+/).filter(Boolean)
    if (embeddedSecret) {
      // Embedded: the app that started us is the only client; it configures providers as its user chose (loopback ones too).
      access = {
        gate: createConnectionGate({ auth: { kind: 'app-secret', secret: embeddedSecret }, origins: { allowed: appOrigins } }),
        providers: new ProviderAuthority({ clientProviders: 'any' }),
        limits: flags.limits,
        timeouts: flags.timeouts
      }
      urlToken = embeddedSecret
    } else {
      access = await standaloneAccess(config.listenIp, flags, logger)
    }
  } catch (error) {
    if (error instanceof UsageError) usageExit(error.message)
    process.stderr.write(`${(error as Error).message}\n`)
    process.exit(2)
  }
  let operatorMetrics: OperatorMetrics | null = null
  if (command.metrics) {
    operatorMetrics = await startOperatorMetrics(command.metrics, logger.child({ part: 'metrics' })).catch((error: Error) => usageExit(error.message))
    if (!isLoopbackAddress(command.metrics.listen)) logger.warn('metrics are reachable beyond this machine, without authentication (counts and timings only)', { url: operatorMetrics.server.url })
  }
  let backend: Awaited<ReturnType<typeof startBackend>>
  try {
    backend = await startBackend(config, {
      logger,
      metrics: operatorMetrics?.metrics,
      relay,
      access,
      ...(flags.sessionGraceMs !== null ? { sessions: { detachedGraceMs: flags.sessionGraceMs } } : {}),
      onFatal: (error) => {
        logger.error('fatal: the backend cannot go on', { error })
        process.stdout.write(JSON.stringify({ event: 'fatal', message: error.message }) + '\n')
        process.exit(1)
      }
    })
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    process.stdout.write(JSON.stringify({ event: 'error', message }) + '\n')
    logger.error('could not start', { error })
    process.exit(1)
  }
  process.stdout.write(
    JSON.stringify({
      event: 'ready',
      signalingUrl: urlToken ? `${backend.signalingUrl}?token=${encodeURIComponent(urlToken)}` : backend.signalingUrl,
      workers: backend.workers.length,
      rtcPorts: backend.workers.map((w) => w.rtcPort),
      pid: process.pid,
      ...(operatorMetrics ? { metricsUrl: operatorMetrics.server.url } : {})
    }) + '\n'
  )
  let closing = false
  const shutdown = (signal: string): void => {
    if (closing) return
    closing = true
    logger.info('shutting down', { signal })
    void backend
      .close()
      .then(() => operatorMetrics?.close())
      .finally(() => process.exit(0))
  }
  process.on('SIGINT', () => shutdown('SIGINT'))
  process.on('SIGTERM', () => shutdown('SIGTERM'))
  // Embedded mode: the app holds our stdin; when the app dies, stdin closes and we exit instead of lingering.
  if (process.env.VOICE_BACKEND_EXIT_ON_STDIN_END === '1') {
    process.stdin.on('end', () => shutdown('parent gone'))
    process.stdin.resume()
  }
}

/** A standalone backend: operator tokens (required beyond loopback), the Origin allow-list, the operator's providers. */
async function standaloneAccess(listenIp: string, flags: StandaloneAccessFlags, logger: Logger): Promise<BackendAccess> {
  const secret = await tokenSecret(flags.tokenSecretFile)
  const refusal = listenRefusal(listenIp, secret !== null)
  if (refusal) throw new UsageError(refusal)
  const operator = flags.providersFile ? await loadOperatorProviders(flags.providersFile, process.env) : undefined
  logger.info('access', {
    auth: secret ? 'access tokens required' : 'no authentication (loopback only)',
    origins: ['none (Node clients)', APP_ORIGIN, ...flags.allowOrigins],
    clientProviders: flags.clientProviders,
    operatorProviders: operator ? Object.fromEntries(Object.entries(operator).map(([stage, list]) => [stage, list.length])) : null
  })
  return {
    gate: createConnectionGate({ auth: secret ? { kind: 'tokens', secret } : { kind: 'open' }, origins: { allowed: [APP_ORIGIN, ...flags.allowOrigins] } }),
    providers: new ProviderAuthority({ clientProviders: flags.clientProviders, operator }),
    limits: flags.limits,
    timeouts: flags.timeouts
  }
}

/** The operator's token secret: --token-secret-file, else $VOICE_ASSISTANT_TOKEN_SECRET; null if neither is set. */
async function tokenSecret(file: string | null): Promise<string | null> {
  const fromEnv = takeEnv(TOKEN_SECRET_ENV)
  let raw: string | null = fromEnv
  if (file) {
    try {
      raw = await readFile(file, 'utf8')
    } catch (error) {
      usageExit(`cannot read the token secret file ${file}: ${(error as Error).message}`)
    }
  }
  if (raw === null) return null
  try {
    return checkSecret(raw)
  } catch (error) {
    usageExit(`${(error as Error).message}; make a new one with: npm run server -- secret --out ./token-secret`)
  }
}

async function makeSecretCommand(out: string | null): Promise<void> {
  const secret = makeSecret()
  if (!out) {
    process.stdout.write(`${secret}\n`)
    return
  }
  try {
    await writeFile(out, `${secret}\n`, { mode: 0o600, flag: 'wx' })
  } catch (error) {
    usageExit(`cannot write ${out}: ${(error as Error).message}${(error as NodeJS.ErrnoException).code === 'EEXIST' ? ' (it exists; an existing secret is never overwritten)' : ''}`)
  }
  process.stderr.write(`wrote a new token secret to ${out} (mode 0600). Start with --token-secret-file ${out}\n`)
}

/** Read and remove an environment variable, so the processes we start (mediasoup worker, espeak-ng) never see it. */
function takeEnv(name: string): string | null {
  const value = process.env[name]
  delete process.env[name]
  return value ? value : null
}

function usageExit(message: string): never {
  process.stderr.write(`${message}\n`)
  process.exit(2)
}

void main()

import { availableParallelism } from 'node:os'
import { startBackend } from './backend'
import { defaultBackendConfig, parseBackendArgs } from './config'
import { relayOptionsFromEnv } from './relay/backendRelay'

/**
 * Backend entry. Standalone: `npm run server -- --listen 0.0.0.0 --announced-ip <public ip> --port 40000`.
 * Embedded: the app spawns this file and reads the one JSON line `{"event":"ready",...}` from stdout.
 * Human logs go to stderr so stdout stays machine-readable.
 */
async function main(): Promise<void> {
  const log = (line: string): void => void process.stderr.write(`[backend] ${line}\n`)
  let config
  let relay
  try {
    config = parseBackendArgs(process.argv.slice(2), defaultBackendConfig(availableParallelism()))
    relay = relayOptionsFromEnv(process.env)
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`)
    process.exit(2)
  }
  let backend: Awaited<ReturnType<typeof startBackend>>
  try {
    backend = await startBackend(config, {
      log,
      relay,
      onFatal: (error) => {
        log(`fatal: ${error.message}`)
        process.stdout.write(JSON.stringify({ event: 'fatal', message: error.message }) + '\n')
        process.exit(1)
      }
    })
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    process.stdout.write(JSON.stringify({ event: 'error', message }) + '\n')
    log(`could not start: ${message}`)
    process.exit(1)
  }
  process.stdout.write(
    JSON.stringify({
      event: 'ready',
      signalingUrl: backend.signalingUrl,
      workers: backend.workers.length,
      rtcPorts: backend.workers.map((w) => w.rtcPort),
      pid: process.pid
    }) + '\n'
  )
  let closing = false
  const shutdown = (signal: string): void => {
    if (closing) return
    closing = true
    log(`${signal}: shutting down`)
    void backend.close().finally(() => process.exit(0))
  }
  process.on('SIGINT', () => shutdown('SIGINT'))
  process.on('SIGTERM', () => shutdown('SIGTERM'))
  // Embedded mode: the app holds our stdin; when the app dies, stdin closes and we exit instead of lingering.
  if (process.env.VOICE_BACKEND_EXIT_ON_STDIN_END === '1') {
    process.stdin.on('end', () => shutdown('parent gone'))
    process.stdin.resume()
  }
}

void main()

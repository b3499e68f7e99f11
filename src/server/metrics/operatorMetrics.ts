import { Registry } from 'prom-client'
import { silentLogger, type Logger } from '../../shared/logging/logger'
import type { MetricsFlags } from '../config'
import { startMetricsServer, type MetricsServer } from './metricsServer'
import { ServerMetrics } from './serverMetrics'

export interface OperatorMetrics {
  /** Give to startBackend ({ metrics }). */
  readonly metrics: ServerMetrics
  readonly server: MetricsServer
  close(): Promise<void>
}

/**
 * A standalone backend's metrics (`--metrics-port`): a Registry of its own with the backend's metrics and Node's
 * default ones, served on its own port. Started before the backend, so a port that is taken fails the start at once
 * (with a message naming it) instead of after the workers are up.
 */
export async function startOperatorMetrics(flags: MetricsFlags, logger: Logger = silentLogger): Promise<OperatorMetrics> {
  const registry = new Registry()
  const metrics = new ServerMetrics({ registry, logger })
  let server: MetricsServer
  try {
    server = await startMetricsServer(registry, { port: flags.port, host: flags.listen, logger })
  } catch (error) {
    metrics.close()
    const code = (error as NodeJS.ErrnoException).code
    const why = code === 'EADDRINUSE' ? 'the port is in use' : code === 'EADDRNOTAVAIL' ? 'no interface of this machine has that address' : code === 'EACCES' ? 'permission denied (ports below 1024 need privileges)' : (error as Error).message
    throw new Error(`cannot serve metrics on ${flags.listen}:${flags.port}: ${why}`, { cause: error })
  }
  return {
    metrics,
    server,
    close: async () => {
      metrics.close()
      await server.close()
    }
  }
}

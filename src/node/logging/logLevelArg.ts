import { isLogLevel, type LogLevel } from '../../shared/logging/logger'

/**
 * `--log-level <level>` or `--log-level=<level>` from a command line that is not parsed strictly (Electron's, which
 * carries Chromium's switches): the level, null when absent, or an error naming the levels.
 */
export function logLevelFromArgv(argv: readonly string[]): { ok: true; level: LogLevel | null } | { ok: false; error: string } {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === '--') break
    if (arg !== '--log-level' && !arg.startsWith('--log-level=')) continue
    const value = arg === '--log-level' ? argv[i + 1] : arg.slice('--log-level='.length)
    return isLogLevel(value) ? { ok: true, level: value } : { ok: false, error: `--log-level expects debug, info, warn or error, got ${JSON.stringify(value ?? null)}` }
  }
  return { ok: true, level: null }
}

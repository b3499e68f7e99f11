import { describe, expect, it } from 'vitest'
import { logLevelFromArgv } from '../../../../src/node/logging/logLevelArg'

describe('logLevelFromArgv', () => {
  it('reads --log-level <level> and --log-level=<level> among other switches', () => {
    expect(logLevelFromArgv(['/electron', '.', '--no-sandbox', '--log-level', 'debug'])).toEqual({ ok: true, level: 'debug' })
    expect(logLevelFromArgv(['--log-level=warn', '--toggle'])).toEqual({ ok: true, level: 'warn' })
    expect(logLevelFromArgv(['--toggle'])).toEqual({ ok: true, level: null })
    expect(logLevelFromArgv(['--', '--log-level', 'debug'])).toEqual({ ok: true, level: null })
  })

  it('refuses a level it does not know, naming the levels', () => {
    expect(logLevelFromArgv(['--log-level', 'verbose'])).toEqual({ ok: false, error: '--log-level expects debug, info, warn or error, got "verbose"' })
    expect(logLevelFromArgv(['--log-level'])).toEqual({ ok: false, error: '--log-level expects debug, info, warn or error, got null' })
  })
})

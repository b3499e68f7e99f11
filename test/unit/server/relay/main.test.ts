import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { UsageError } from '../../../../src/node/cli'
import { parseRelayArgs } from '../../../../src/server/relay/main'

const env = { RELAY_CONTROL_TOKEN: 'x'.repeat(16) }

describe('relay command line (parseArgs, strict)', () => {
  it('defaults: loopback, port 3478, control on 127.0.0.1:7010, TCP on', () => {
    expect(parseRelayArgs([], env)).toMatchObject({ bindIp: '127.0.0.1', port: 3478, controlIp: '127.0.0.1', controlPort: 7010, token: env.RELAY_CONTROL_TOKEN, tcp: true })
  })

  it('--log-level sets the JSON log level (default info; none is silent) and refuses other words', () => {
    expect(parseRelayArgs([], env).logLevel).toBe('info')
    expect(parseRelayArgs(['--log-level', 'debug'], env).logLevel).toBe('debug')
    expect(parseRelayArgs(['--log-level', 'none'], env).logLevel).toBe('silent')
    expect(() => parseRelayArgs(['--log-level', 'loud'], env)).toThrow(/--log-level expects debug, info, warn, error or none, got "loud"/)
  })

  it('reads every flag', () => {
    const dir = mkdtempSync(join(tmpdir(), 'relay-main-'))
    writeFileSync(join(dir, 'token'), `${'t'.repeat(20)}\n`)
    const o = parseRelayArgs(
      ['--listen', '0.0.0.0', '--port', '0', '--announced-ip', '203.0.113.7', '--upstream-ip', '10.0.0.1', '--control', '[::1]:7011', '--token-file', join(dir, 'token'), '--no-tcp', '--flow-idle-ms', '5000', '--orphan-route-ms', '0'],
      {}
    )
    expect(o).toMatchObject({ bindIp: '0.0.0.0', port: 0, announcedIp: '203.0.113.7', upstreamIp: '10.0.0.1', controlIp: '::1', controlPort: 7011, token: 't'.repeat(20), tcp: false, flowIdleMs: 5000, orphanRouteMs: 0 })
  })

  it('an unknown flag is a usage error naming the known ones', () => {
    expect(() => parseRelayArgs(['--lisen', '0.0.0.0'], env)).toThrow(UsageError)
    expect(() => parseRelayArgs(['--lisen', '0.0.0.0'], env)).toThrow(/^unknown option --lisen; known: --listen, --port, .*--orphan-route-ms, .*--help \(-h\)\nusage: npm run relay/)
  })

  it('refuses bad values with what it expected', () => {
    expect(() => parseRelayArgs(['--port', '70000'], env)).toThrow(/--port expects a whole number 0\.\.65535, got "70000"/)
    expect(() => parseRelayArgs(['--port'], env)).toThrow(UsageError)
    expect(() => parseRelayArgs(['--control', 'nohost'], env)).toThrow(/--control expects <ip>:<port>/)
    expect(() => parseRelayArgs(['--flow-idle-ms', '10'], env)).toThrow(/--flow-idle-ms expects a whole number 1000\.\.600000/)
    expect(() => parseRelayArgs(['--listen', ''], env)).toThrow(/--listen needs a value/)
    expect(() => parseRelayArgs(['--token-file', '/nonexistent/relay.token'], env)).toThrow(/cannot read --token-file/)
    expect(() => parseRelayArgs([], {})).toThrow(/control token of at least 16 characters/)
  })
})

describe('relay CLI: flow limit flags', () => {
  it('takes the limits as whole numbers and leaves the defaults to startRelay otherwise', () => {
    expect(parseRelayArgs([], env)).not.toHaveProperty('maxFlows')
    const o = parseRelayArgs(['--max-flows', '5000', '--max-flows-per-ufrag', '4', '--max-flows-per-address', '64', '--max-tcp-connections', '100'], env)
    expect(o).toMatchObject({ maxFlows: 5000, maxFlowsPerUfrag: 4, maxFlowsPerAddress: 64, maxTcpConnections: 100 })
    expect(() => parseRelayArgs(['--max-flows-per-ufrag', '0'], env)).toThrow(/--max-flows-per-ufrag expects a whole number 1\.\.1000/)
    expect(() => parseRelayArgs(['--max-flows', 'lots'], env)).toThrow(/--max-flows expects a whole number/)
  })
})

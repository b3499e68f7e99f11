import { describe, expect, it } from 'vitest'
import { parseRelayArgs } from '../../../../src/server/relay/main'

const env = { RELAY_CONTROL_TOKEN: 'token-0123456789abcdef' }

describe('relay CLI: flow limit flags', () => {
  it('takes the limits as whole numbers and leaves the defaults to startRelay otherwise', () => {
    expect(parseRelayArgs([], env)).not.toHaveProperty('maxFlows')
    const o = parseRelayArgs(['--max-flows', '5000', '--max-flows-per-ufrag', '4', '--max-flows-per-address', '64', '--max-tcp-connections', '100'], env)
    expect(o).toMatchObject({ maxFlows: 5000, maxFlowsPerUfrag: 4, maxFlowsPerAddress: 64, maxTcpConnections: 100 })
    expect(() => parseRelayArgs(['--max-flows-per-ufrag', '0'], env)).toThrow(/--max-flows-per-ufrag expects a whole number 1\.\.1000/)
    expect(() => parseRelayArgs(['--max-flows', 'lots'], env)).toThrow(/--max-flows expects a whole number/)
  })
})

import { connect, type Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { RoutingTable } from '../../../../src/server/relay/routingTable'
import { TcpRelay } from '../../../../src/server/relay/tcpRelay'
import type { UdpFlowHandle } from '../../../../src/server/relay/udpRelay'

const cleanups: Array<() => unknown> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

/** Connect from `localAddress`; resolves 'open' if the relay keeps the connection for 300 ms, 'closed' if it drops it. */
async function tryConnect(port: number, localAddress: string): Promise<{ state: 'open' | 'closed'; socket: Socket }> {
  const socket = connect({ port, host: '127.0.0.1', localAddress })
  cleanups.push(() => socket.destroy())
  socket.on('error', () => undefined)
  const state = await new Promise<'open' | 'closed'>((resolve) => {
    socket.once('close', () => resolve('closed'))
    socket.once('connect', () => setTimeout(() => resolve(socket.destroyed ? 'closed' : 'open'), 300))
  })
  return { state, socket }
}

describe('TcpRelay connection limits', () => {
  it('refuses connections beyond the per-address and total caps, and takes new ones when others close', async () => {
    const table = new RoutingTable<UdpFlowHandle>({ flowIdleMs: 30_000, orphanRouteMs: 60_000 })
    const relay = await TcpRelay.start({ bindIp: '127.0.0.1', port: 0, table, maxConnections: 2, maxConnectionsPerAddress: 1, firstFrameTimeoutMs: 10_000 })
    cleanups.push(() => relay.close())
    const { port } = relay.address
    const a1 = await tryConnect(port, '127.0.0.2')
    expect(a1.state).toBe('open')
    expect((await tryConnect(port, '127.0.0.2')).state).toBe('closed')
    expect((await tryConnect(port, '127.0.0.3')).state).toBe('open')
    expect((await tryConnect(port, '127.0.0.4')).state).toBe('closed')
    expect(relay.counters.rejected).toMatchObject({ address_limit: 1, connection_limit: 1 })
    a1.socket.destroy()
    await new Promise((r) => setTimeout(r, 100))
    expect((await tryConnect(port, '127.0.0.4')).state).toBe('open')
  })
})

import { createSocket } from 'node:dgram'
import { createServer } from 'node:net'
import { describe, expect, it } from 'vitest'
import { findFreeRtcPort } from '../../../src/server/net'

describe('findFreeRtcPort', () => {
  it('returns a port that both a TCP server and a UDP socket can then bind on loopback', async () => {
    const port = await findFreeRtcPort('127.0.0.1')
    expect(port).toBeGreaterThan(0)
    const tcp = createServer()
    await new Promise<void>((resolve, reject) => tcp.once('error', reject).listen(port, '127.0.0.1', () => resolve()))
    const udp = createSocket('udp4')
    await new Promise<void>((resolve, reject) => udp.once('error', reject).bind(port, '127.0.0.1', () => resolve()))
    await new Promise<void>((resolve) => udp.close(() => resolve()))
    await new Promise<void>((resolve) => tcp.close(() => resolve()))
  })
  it('fails with a clear error when no attempt finds a free port', async () => {
    await expect(findFreeRtcPort('127.0.0.1', 0)).rejects.toThrow('could not find a free TCP+UDP port on 127.0.0.1')
  })
})

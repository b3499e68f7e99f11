import { createServer } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { startOperatorMetrics, type OperatorMetrics } from '../../../../src/server/metrics/operatorMetrics'
import { promValue } from '../../../helpers/promText'

const open: OperatorMetrics[] = []
afterEach(async () => {
  for (const s of open.splice(0)) await s.close()
})

describe('startOperatorMetrics: the standalone backend’s metrics', () => {
  it('serves the backend metrics and Node’s default ones on loopback', async () => {
    const m = await startOperatorMetrics({ port: 0, listen: '127.0.0.1' })
    open.push(m)
    const text = await (await fetch(m.server.url)).text()
    expect(promValue(text, 'voice_assistant_sessions_open')).toBe(0)
    expect(text).toMatch(/^voice_assistant_process_resident_memory_bytes /m)
  })

  it('a port in use: an error that names the address and why', async () => {
    const blocker = createServer()
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r))
    const port = (blocker.address() as { port: number }).port
    try {
      await expect(startOperatorMetrics({ port, listen: '127.0.0.1' })).rejects.toThrow(`cannot serve metrics on 127.0.0.1:${port}: the port is in use`)
    } finally {
      blocker.close()
    }
  })

  it('an address this machine does not have: said so', async () => {
    await expect(startOperatorMetrics({ port: 0, listen: '192.0.2.1' })).rejects.toThrow(/cannot serve metrics on 192\.0\.2\.1:0: no interface of this machine has that address/)
  })
})

import { Counter, Registry } from 'prom-client'
import { afterEach, describe, expect, it } from 'vitest'
import { startMetricsServer, type MetricsServer } from '../../../../src/server/metrics/metricsServer'
import { promValue } from '../../../helpers/promText'

const open: Array<{ close(): Promise<void> }> = []
afterEach(async () => {
  for (const s of open.splice(0)) await s.close()
})

describe('startMetricsServer: GET /metrics serves the registry', () => {
  it('Prometheus text at /metrics with its content type; 404 elsewhere, 405 for another method', async () => {
    const registry = new Registry()
    new Counter({ name: 'x_total', help: 'x', registers: [registry] }).inc(3)
    const server: MetricsServer = await startMetricsServer(registry, { port: 0, host: '127.0.0.1' })
    open.push(server)
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/metrics`)
    const res = await fetch(server.url)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8')
    expect(promValue(await res.text(), 'x_total')).toBe(3)
    expect((await fetch(`http://127.0.0.1:${server.port}/`)).status).toBe(404)
    expect((await fetch(`http://127.0.0.1:${server.port}/signaling`)).status).toBe(404)
    expect((await fetch(server.url, { method: 'POST' })).status).toBe(405)
  })

  it('two registries, two servers: each serves only its own', async () => {
    const [r1, r2] = [new Registry(), new Registry()]
    new Counter({ name: 'one_total', help: '1', registers: [r1] })
    new Counter({ name: 'two_total', help: '2', registers: [r2] })
    const s1 = await startMetricsServer(r1, { port: 0, host: '127.0.0.1' })
    const s2 = await startMetricsServer(r2, { port: 0, host: '127.0.0.1' })
    open.push(s1, s2)
    const [t1, t2] = await Promise.all([fetch(s1.url).then((r) => r.text()), fetch(s2.url).then((r) => r.text())])
    expect(t1).toContain('one_total')
    expect(t1).not.toContain('two_total')
    expect(t2).toContain('two_total')
  })
})

import { afterEach, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { BackendService } from '../../../../src/main/services/backendService'
import type { BackendStatus } from '../../../../src/shared/contract/api'
import type { Settings } from '../../../../src/shared/contract/settings'
import type { WebSocketLike } from '../../../../src/shared/signalingClient'
import { FakeChild, startSignalingStub } from '../../../helpers/fakeBackend'
import { MemoryLogger } from '../../../helpers/memoryLogger'

const wsFactory = (url: string): WebSocketLike => new WebSocket(url) as unknown as WebSocketLike
const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

function makeService(backend: Omit<Settings['backend'], 'remoteUrls'> & { remoteUrls?: string[] }, children: FakeChild[], extra: Partial<ConstructorParameters<typeof BackendService>[0]> = {}) {
  const statuses: BackendStatus[] = []
  const service = new BackendService({
    command: { command: 'fake-node', args: ['server.js'] },
    backendSettings: () => ({ remoteUrls: [], ...backend }),
    wsFactory,
    spawn: () => {
      const child = new FakeChild()
      children.push(child)
      return child.asChildProcess()
    },
    healthIntervalMs: 50,
    ...extra
  })
  service.events.on('status', (s) => statuses.push(s))
  cleanups.push(() => service.stop())
  return { service, statuses }
}

describe('BackendService', () => {
  it('embedded: spawns, waits for the ready line, says hello, then reports ready with workers and rtt', async () => {
    const stub = await startSignalingStub({ workers: 3 })
    cleanups.push(stub.close)
    const children: FakeChild[] = []
    const { service, statuses } = makeService({ mode: 'embedded', remoteUrl: null }, children)
    const started = service.start()
    await new Promise((r) => setTimeout(r, 20))
    children[0]!.printLine('not json, just a log line')
    children[0]!.printLine(JSON.stringify({ event: 'ready', signalingUrl: stub.url }))
    const status = await started
    expect(status).toMatchObject({ state: 'ready', kind: 'embedded', signalingUrl: stub.url, workers: 3 })
    expect(status.rttMs).toBeGreaterThanOrEqual(0)
    expect(statuses.map((s) => s.state)).toEqual(['starting', 'ready'])
    // Health pings keep updating the round trip.
    await new Promise((r) => setTimeout(r, 180))
    expect(statuses.length).toBeGreaterThan(2)
    expect(service.status.state).toBe('ready')
  })

  it('embedded: the backend is started with the app\'s models folder, so its voice loop uses the model the user installed', async () => {
    const launched: string[][] = []
    const children: FakeChild[] = []
    const { service } = makeService({ mode: 'embedded', remoteUrl: null }, children, {
      modelsDir: '/home/u/.config/Voice Assistant/models',
      maxStartRetries: 0,
      spawn: (_command, args) => {
        launched.push(args)
        const child = new FakeChild()
        children.push(child)
        return child.asChildProcess()
      }
    })
    const started = service.start()
    await new Promise((r) => setTimeout(r, 10))
    children[0]!.exit(1)
    await started
    expect(launched[0]).toEqual(['server.js', '--models-dir', '/home/u/.config/Voice Assistant/models'])
  })

  it('embedded: an exit before ready becomes an error that includes the stderr tail', async () => {
    const children: FakeChild[] = []
    const { service } = makeService({ mode: 'embedded', remoteUrl: null }, children, { maxStartRetries: 0 })
    const started = service.start()
    await new Promise((r) => setTimeout(r, 10))
    children[0]!.stderr.write('mediasoup worker binary not found: run npm run setup\n')
    await new Promise((r) => setTimeout(r, 10))
    children[0]!.exit(1)
    const status = await started
    expect(status.state).toBe('error')
    expect(status.detail).toContain('exited before it was ready (code 1)')
    expect(status.detail).toContain('run npm run setup')
  })

  it("embedded: the backend's JSON log lines are re-logged at their own level with their fields; any other line is a warning", async () => {
    const children: FakeChild[] = []
    const logger = new MemoryLogger()
    const { service } = makeService({ mode: 'embedded', remoteUrl: null }, children, { maxStartRetries: 0, logger })
    const started = service.start()
    await new Promise((r) => setTimeout(r, 10))
    const stderr = children[0]!.stderr
    stderr.write(`${JSON.stringify({ level: 'error', time: '2026-12-06T16:00:00.000Z', name: 'backend', pid: 7, msg: 'mediasoup worker died', worker: 0 })}\n`)
    stderr.write(`${JSON.stringify({ level: 'debug', msg: 'signaling request', method: 'join' })}\n{"level":"info","msg":\n`)
    stderr.write(`Segmentation fault ${'x'.repeat(100_000)}\n`)
    await new Promise((r) => setTimeout(r, 10))
    children[0]!.exit(1)
    const status = await started
    const relogged = logger.lines.filter((l) => l.fields.source === 'backend')
    expect(relogged.map((l) => [l.level, l.message.slice(0, 30)])).toEqual([
      ['error', 'mediasoup worker died'],
      ['debug', 'signaling request'],
      ['warn', '{"level":"info","msg":'],
      ['warn', `Segmentation fault ${'x'.repeat(11)}`]
    ])
    expect(relogged[0]!.fields).toEqual({ source: 'backend', worker: 0 })
    expect(relogged[3]!.message.length).toBeLessThan(70_000) // bounded, not the whole 100 kB
    expect(logger.find('backend start-up failed')).toEqual([]) // no retries asked for
    // The error's tail is the words of the lines, not their JSON.
    expect(status.detail).toContain('error: mediasoup worker died')
  })

  it('embedded: a startup error line is reported as is', async () => {
    const children: FakeChild[] = []
    const { service } = makeService({ mode: 'embedded', remoteUrl: null }, children, { maxStartRetries: 0 })
    const started = service.start()
    await new Promise((r) => setTimeout(r, 10))
    children[0]!.printLine(JSON.stringify({ event: 'error', message: 'port 40000 in use' }))
    expect((await started).detail).toContain('port 40000 in use')
  })

  it('embedded: times out with a clear message when no ready line comes', async () => {
    const children: FakeChild[] = []
    const { service } = makeService({ mode: 'embedded', remoteUrl: null }, children, { readyTimeoutMs: 100, maxStartRetries: 0 })
    const status = await service.start()
    expect(status).toMatchObject({ state: 'error' })
    expect(status.detail).toContain('did not report ready within 0.1 s')
    // The silent backend is not left running.
    expect(children[0]!.killedWith).toEqual(['SIGTERM'])
  })

  it('embedded: start-up failures are retried with backoff; after the last retry the error is shown', async () => {
    const stub = await startSignalingStub()
    cleanups.push(stub.close)
    const children: FakeChild[] = []
    const { service, statuses } = makeService({ mode: 'embedded', remoteUrl: null }, children, { maxStartRetries: 2 })
    const started = service.start()
    await expect.poll(() => children.length).toBe(1)
    children[0]!.exit(null, 'SIGKILL') // killed before it reported ready
    await expect.poll(() => children.length, { timeout: 3000 }).toBe(2)
    expect(statuses.some((s) => s.state === 'starting' && /exited before it was ready \(SIGKILL\); retrying in \d+ ms \(attempt 2 of 3\)/.test(s.detail ?? ''))).toBe(true)
    children[1]!.printLine(JSON.stringify({ event: 'ready', signalingUrl: stub.url }))
    expect((await started).state).toBe('ready')

    const failing = makeService({ mode: 'embedded', remoteUrl: null }, [], { maxStartRetries: 2, spawn: () => {
      const child = new FakeChild()
      setTimeout(() => child.exit(1), 5)
      return child.asChildProcess()
    } })
    const status = await failing.service.start()
    expect(status.state).toBe('error')
    expect(failing.statuses.filter((s) => s.detail?.includes('retrying in')).length).toBe(2)
  })

  it('concurrent starts run one generation at a time: stale children are killed, one is left', async () => {
    const stub = await startSignalingStub()
    cleanups.push(stub.close)
    const children: FakeChild[] = []
    const { service } = makeService({ mode: 'embedded', remoteUrl: null }, children)
    const first = service.start()
    await expect.poll(() => children.length).toBe(1)
    // Eight restarts while the first backend is still starting: they join one queued start.
    const restarts = Array.from({ length: 8 }, () => service.start())
    await expect.poll(() => children.length).toBe(2)
    expect(children[0]!.killedWith).toEqual(['SIGTERM'])
    children[1]!.printLine(JSON.stringify({ event: 'ready', signalingUrl: stub.url }))
    const outcomes = await Promise.all([first, ...restarts])
    expect(outcomes.slice(1).every((s) => s.state === 'ready')).toBe(true)
    expect(children.length).toBe(2)
    expect(children.filter((c) => c.exitCode === null && c.signalCode === null).length).toBe(1)
    // A stop that arrives behind a start wins: nothing is left running.
    const again = service.start()
    await service.stop()
    await again
    expect(children.every((c) => c.exitCode !== null || c.signalCode !== null)).toBe(true)
    expect(service.status.state).toBe('stopped')
  })

  it('embedded: restarts after an unexpected exit', async () => {
    const stub = await startSignalingStub()
    cleanups.push(stub.close)
    const children: FakeChild[] = []
    const { service, statuses } = makeService({ mode: 'embedded', remoteUrl: null }, children)
    const started = service.start()
    await new Promise((r) => setTimeout(r, 10))
    children[0]!.printLine(JSON.stringify({ event: 'ready', signalingUrl: stub.url }))
    await started
    children[0]!.exit(null, 'SIGSEGV')
    await expect.poll(() => children.length, { timeout: 3000 }).toBe(2)
    expect(statuses.some((s) => s.state === 'starting' && s.detail?.includes('SIGSEGV'))).toBe(true)
    children[1]!.printLine(JSON.stringify({ event: 'ready', signalingUrl: stub.url }))
    await expect.poll(() => service.status.state, { timeout: 3000 }).toBe('ready')
  })

  it('embedded: an unexpected exit is logged with the stderr tail (bounded) and shown as a notice; giving up says so too', async () => {
    const stub = await startSignalingStub()
    cleanups.push(stub.close)
    const children: FakeChild[] = []
    const logger = new MemoryLogger()
    const { service } = makeService({ mode: 'embedded', remoteUrl: null }, children, { logger, maxAutoRestarts: 1 })
    const notices: Array<{ level: string; message: string }> = []
    service.events.on('notice', (n) => notices.push(n))
    const started = service.start()
    await new Promise((r) => setTimeout(r, 10))
    for (let i = 0; i < 60; i++) children[0]!.stderr.write(`[backend] line ${i}\n`)
    children[0]!.printLine(JSON.stringify({ event: 'ready', signalingUrl: stub.url }))
    await started
    children[0]!.stderr.end('Error: worker channel closed\n    at Channel.onClose (channel.js:1:1)\n')
    children[0]!.exit(null, 'SIGSEGV')
    await expect.poll(() => logger.find(/the backend stopped unexpectedly/).length, { timeout: 3000 }).toBe(1)
    const [line] = logger.find(/the backend stopped unexpectedly \(killed by SIGSEGV\); restarting it/, 'error')
    const tail = line!.fields.stderrTail as string[]
    expect(tail).toHaveLength(40)
    expect(tail.at(-1)).toBe('    at Channel.onClose (channel.js:1:1)') // the last words, sent just before the exit
    expect(tail[0]).toBe('[backend] line 22')
    expect(line!.fields).toMatchObject({ exitCode: null, exitSignal: 'SIGSEGV' })
    expect(notices).toHaveLength(1)
    expect(notices[0]!.level).toBe('warning')
    expect(notices[0]!.message).toMatch(/^The backend stopped unexpectedly \(killed by SIGSEGV\); restarting it in \d+ ms\.\nIts last output:\n\[backend\] line 59\nError: worker channel closed\n {4}at Channel/)
    // The restarted one dies too: this time the app gives up, and says so.
    await expect.poll(() => children.length, { timeout: 3000 }).toBe(2)
    children[1]!.printLine(JSON.stringify({ event: 'ready', signalingUrl: stub.url }))
    await expect.poll(() => service.status.state, { timeout: 3000 }).toBe('ready')
    children[1]!.exit(3)
    await expect.poll(() => notices.length, { timeout: 3000 }).toBe(2)
    expect(notices[1]).toMatchObject({ level: 'error', message: expect.stringMatching(/exit code 3\); it stopped 1 time in a row, so it is not restarted/) as string })
    expect(logger.find(/not restarting it/)[0]!.fields).toMatchObject({ exitCode: 3, stderrTail: [] })
  })

  it('remote: without a URL says what to do; with an unreachable URL says it cannot reach it', async () => {
    const none = makeService({ mode: 'remote', remoteUrl: null }, [])
    expect((await none.service.start()).detail).toMatch(/no URL is set/)
    const bad = makeService({ mode: 'remote', remoteUrl: 'ws://127.0.0.1:1/signaling' }, [])
    const status = await bad.service.start()
    expect(status.state).toBe('error')
    expect(status.detail).toMatch(/Cannot reach the backend at ws:\/\/127\.0\.0\.1:1\/signaling/)
    await bad.service.stop()
  })

  it('remote: refuses a backend that speaks another protocol version', async () => {
    const stub = await startSignalingStub({ protocolVersion: 7 })
    cleanups.push(stub.close)
    const { service } = makeService({ mode: 'remote', remoteUrl: stub.url }, [])
    const status = await service.start()
    expect(status.state).toBe('error')
    expect(status.detail).toContain('signaling v7')
  })

  it('stop terminates the child and reports stopped', async () => {
    const stub = await startSignalingStub()
    cleanups.push(stub.close)
    const children: FakeChild[] = []
    const { service } = makeService({ mode: 'embedded', remoteUrl: null }, children)
    const started = service.start()
    await new Promise((r) => setTimeout(r, 10))
    children[0]!.printLine(JSON.stringify({ event: 'ready', signalingUrl: stub.url }))
    await started
    await service.stop()
    expect(children[0]!.killedWith).toEqual(['SIGTERM'])
    expect(service.status.state).toBe('stopped')
    // No automatic restart after a deliberate stop.
    await new Promise((r) => setTimeout(r, 300))
    expect(children.length).toBe(1)
  })
})

import { afterEach, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { startBackend, type RunningBackend } from '../../../src/server/backend'
import { SESSION_NOTIFICATION, type SessionNotification } from '../../../src/shared/contract/signaling'
import { connectSignaling, type SignalingClient, type WebSocketLike } from '../../../src/shared/signalingClient'
import { descendants } from '../../helpers/processTree'
import { MemoryLogger } from '../../helpers/memoryLogger'

const factory = (url: string): WebSocketLike => new WebSocket(url) as unknown as WebSocketLike
const cleanups: Array<() => unknown> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function backend(): Promise<{ backend: RunningBackend; fatal: Error[]; logs: MemoryLogger }> {
  const fatal: Error[] = []
  const logs = new MemoryLogger()
  const b = await startBackend(
    { listenIp: '127.0.0.1', announcedIp: null, rtcPort: 0, signalingPort: 0, workers: 1, logLevel: 'none' },
    { logger: logs, onFatal: (e) => fatal.push(e) }
  )
  cleanups.push(() => b.close())
  return { backend: b, fatal, logs }
}

async function client(url: string): Promise<{ signaling: SignalingClient; notes: SessionNotification[] }> {
  const signaling = await connectSignaling(url, factory)
  cleanups.push(() => signaling.close())
  const notes: SessionNotification[] = []
  signaling.onNotification((name, data) => {
    if (name === SESSION_NOTIFICATION) notes.push(data as SessionNotification)
  })
  return { signaling, notes }
}

const workerPids = (): number[] => descendants().filter((p) => /mediasoup-worker/.test(p.cmdline)).map((p) => p.pid)

describe('WorkerRecovery: a dead mediasoup worker is replaced in its slot (real worker, killed with SIGKILL)', () => {
  it('tells the sessions on it, keeps the backend up, and a new join on the same connection lands on the new worker and port', { timeout: 60_000 }, async () => {
    const { backend: b, fatal, logs } = await backend()
    const a = await client(b.signalingUrl)
    const c = await client(b.signalingUrl)
    const ja = await a.signaling.request('join', { pipeline: 'echo' })
    const jc = await c.signaling.request('join', { pipeline: 'echo' })
    const ta = await a.signaling.request('createTransport', { direction: 'send' })
    const oldPid = b.workers[0]!.worker.pid
    const oldPort = b.workers[0]!.rtcPort
    expect(workerPids()).toEqual([oldPid])

    process.kill(oldPid, 'SIGKILL')
    await expect.poll(() => a.notes.find((n) => n.type === 'sessionLost'), { timeout: 5000 }).toMatchObject({ sessionId: ja.sessionId, detail: { reason: 'worker_died', worker: 0 } })
    await expect.poll(() => c.notes.find((n) => n.type === 'sessionLost'), { timeout: 5000 }).toMatchObject({ sessionId: jc.sessionId })

    // Joining again right away works (it waits for the replacement if it is still starting).
    const again = await a.signaling.request('join', { pipeline: 'echo' })
    expect(again.sessionId).not.toBe(ja.sessionId)
    expect(b.workers[0]!.worker.pid).not.toBe(oldPid)
    expect(b.workers[0]!.rtcPort).toBe(oldPort)
    expect(logs.find('mediasoup worker died')).toMatchObject([{ level: 'error', fields: { worker: 0, pid: oldPid } }])
    expect(logs.find('mediasoup worker replaced')).toMatchObject([{ level: 'info', fields: { worker: 0, rtcPort: oldPort } }])
    const t = await a.signaling.request('createTransport', { direction: 'send' })
    expect(t.iceCandidates[0]!.port).toBe(oldPort)
    expect(t.id).not.toBe(ta.id)
    // The old session is gone: resume says so (the client then joins, as above).
    await expect(c.signaling.request('resume', { sessionId: jc.sessionId, token: jc.token })).rejects.toMatchObject({ code: 'unauthorized' })
    expect((await c.signaling.request('join', {})).worker).toBe(0)
    expect(b.sessions.size).toBe(2)
    expect(await a.signaling.request('hello', { protocolVersion: 1, client: 'test' })).toMatchObject({ workers: 1 })
    expect(fatal).toEqual([])
    expect(workerPids()).toEqual([b.workers[0]!.worker.pid])
  })

  it('a crash loop (more than 5 deaths in a minute) is fatal: the owner restarts the whole backend', { timeout: 60_000 }, async () => {
    const { backend: b, fatal } = await backend()
    for (let death = 1; death <= 6; death++) {
      const pid = b.workers[0]!.worker.pid
      process.kill(pid, 'SIGKILL')
      if (death < 6) await expect.poll(() => b.workers[0]!.worker.pid, { timeout: 10_000 }).not.toBe(pid)
    }
    await expect.poll(() => fatal.length, { timeout: 5000 }).toBe(1)
    expect(fatal[0]!.message).toMatch(/died 6 times within a minute/)
  })
})

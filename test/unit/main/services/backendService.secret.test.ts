import type { SpawnOptions } from 'node:child_process'
import { afterEach, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { createConnectionGate } from '../../../../src/server/auth/connectionGate'
import { BackendService } from '../../../../src/main/services/backendService'
import { EMBEDDED_ORIGINS_ENV, EMBEDDED_SECRET_ENV } from '../../../../src/shared/contract/signaling'
import { connectSignaling, type WebSocketLike } from '../../../../src/shared/signalingClient'
import { FakeChild, startSignalingStub } from '../../../helpers/fakeBackend'

const wsFactory = (url: string): WebSocketLike => new WebSocket(url) as unknown as WebSocketLike
const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

/**
 * The embedded backend's secret: fresh for every start, handed over in the child's environment only (argv is visible
 * to every local user in ps), and back in the ready line's URL, which is what the service (and the renderer, through
 * the status) connects with. The stand-in backend here refuses anything without that secret, as the real one does.
 */
describe('BackendService: the embedded backend\'s per-run secret', () => {
  it('puts a fresh secret and the app origins in the child environment, never in argv, and connects with it', async () => {
    const spawned: Array<{ args: string[]; env: NodeJS.ProcessEnv }> = []
    const children: FakeChild[] = []
    const service = new BackendService({
      command: { command: 'fake-node', args: ['server.js', '--listen', '127.0.0.1'], appOrigins: () => ['app://bundle', 'http://127.0.0.1:5173'] },
      backendSettings: () => ({ mode: 'embedded', remoteUrl: null, remoteUrls: [] }),
      wsFactory,
      spawn: (_command: string, args: string[], options: SpawnOptions) => {
        spawned.push({ args, env: options.env ?? {} })
        const child = new FakeChild()
        children.push(child)
        return child.asChildProcess()
      }
    })
    cleanups.push(() => service.stop())
    for (let run = 0; run < 2; run++) {
      const started = service.start()
      await new Promise((r) => setTimeout(r, 20))
      const { env, args } = spawned[run]!
      const secret = env[EMBEDDED_SECRET_ENV]!
      expect(secret).toMatch(/^[\w-]{43}$/)
      expect(args.join(' ')).not.toContain(secret)
      expect(env[EMBEDDED_ORIGINS_ENV]).toBe('app://bundle http://127.0.0.1:5173')
      const stub = await startSignalingStub({ gate: createConnectionGate({ auth: { kind: 'app-secret', secret }, origins: { allowed: ['app://bundle'] } }) })
      cleanups.push(stub.close)
      await expect(connectSignaling(stub.url, wsFactory)).rejects.toThrow(/401/)
      children[run]!.printLine(JSON.stringify({ event: 'ready', signalingUrl: `${stub.url}?token=${secret}` }))
      expect(await started).toMatchObject({ state: 'ready', signalingUrl: `${stub.url}?token=${secret}` })
    }
    expect(spawned[0]!.env[EMBEDDED_SECRET_ENV]).not.toBe(spawned[1]!.env[EMBEDDED_SECRET_ENV])
  })
})

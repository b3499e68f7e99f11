import { EventEmitter } from 'node:events'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { PassThrough } from 'node:stream'
import type { ChildProcess } from 'node:child_process'
import { attachSignalingServer, type SignalingConnection, type SignalingServerOptions, type SignalingStats } from '../../src/server/signalingServer'
import type { HandlersFor } from '../../src/shared/contract/dispatch'
import { ContractError } from '../../src/shared/contract/errors'
import { signalingMethods, type SignalingMethodName } from '../../src/shared/contract/signaling'

/** The stub has no mediasoup: every media-session method answers `unavailable`. */
const noSessions = (): never => {
  throw new ContractError('unavailable', 'the signaling stub has no media sessions')
}
const stubWithoutMediaSessions = Object.fromEntries(
  (Object.keys(signalingMethods) as SignalingMethodName[]).filter((m) => m !== 'hello' && m !== 'ping').map((m) => [m, noSessions])
) as unknown as Omit<HandlersFor<typeof signalingMethods, SignalingConnection>, 'hello' | 'ping'>

/** A real signaling server (hello + ping) on loopback, standing in for a backend process in unit tests. */
export async function startSignalingStub(
  opts: { workers?: number; protocolVersion?: number } & Pick<SignalingServerOptions, 'gate' | 'timeouts' | 'connectionsPerAddress' | 'logger'> = {}
): Promise<{ url: string; server: Server; stats: SignalingStats; close(): Promise<void> }> {
  const server = createServer()
  const signaling = attachSignalingServer({
    server,
    path: '/signaling',
    gate: opts.gate,
    timeouts: opts.timeouts,
    connectionsPerAddress: opts.connectionsPerAddress,
    logger: opts.logger,
    handlers: {
      hello: () => ({ protocolVersion: opts.protocolVersion ?? 1, serverVersion: 'stub', workers: opts.workers ?? 2 }),
      ping: ({ clientTime }) => ({ clientTime, serverTime: Date.now() }),
      ...stubWithoutMediaSessions
    }
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as AddressInfo
  return {
    url: `ws://127.0.0.1:${port}/signaling`,
    server,
    stats: signaling.stats,
    close: async () => {
      await signaling.close()
      server.closeAllConnections()
      await new Promise<void>((r) => server.close(() => r()))
    }
  }
}

/** A scriptable stand-in for a spawned backend process. */
export class FakeChild extends EventEmitter {
  stdout = new PassThrough()
  stderr = new PassThrough()
  stdin = new PassThrough()
  exitCode: number | null = null
  signalCode: NodeJS.Signals | null = null
  killedWith: NodeJS.Signals[] = []
  kill(signal: NodeJS.Signals = 'SIGTERM'): boolean {
    this.killedWith.push(signal)
    setImmediate(() => this.exit(null, signal))
    return true
  }
  exit(code: number | null, signal: NodeJS.Signals | null = null): void {
    if (this.exitCode !== null || this.signalCode !== null) return
    this.exitCode = code
    this.signalCode = signal
    this.emit('exit', code, signal)
  }
  printLine(line: string): void {
    this.stdout.write(line + '\n')
  }
  asChildProcess(): ChildProcess {
    return this as unknown as ChildProcess
  }
}

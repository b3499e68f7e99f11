import type { Server as HttpServer, IncomingMessage } from 'node:http'
import { WebSocketServer, type WebSocket, type RawData } from 'ws'
import { createDispatcher, type HandlersFor } from '../shared/contract/dispatch'
import { describeIssues } from '../shared/contract/errors'
import {
  MAX_SIGNALING_FRAME_BYTES,
  signalingMethods,
  signalingRequestEnvelopeSchema,
  type SignalingResponse
} from '../shared/contract/signaling'

/** Per-connection context handed to every signaling handler. */
export interface SignalingConnection {
  readonly id: number
  readonly remoteAddress: string
  /** Push a notification to this client. Dropped silently if the socket is gone. */
  notify(notification: string, data: unknown): void
  /** Called when the socket closes; handlers register per-connection cleanup here. */
  onClose(listener: () => void): void
}

export interface SignalingStats {
  connections: number
  requests: number
  errors: number
}

export interface SignalingServerOptions {
  server: HttpServer
  path: string
  handlers: HandlersFor<typeof signalingMethods, SignalingConnection>
  log?: (line: string) => void
}

/**
 * Signaling over WebSocket. Every frame is validated against the shared contract; a bad frame gets an error
 * response (id null if the id could not be read) and the connection stays up. A handler failure never escapes.
 */
export function attachSignalingServer(opts: SignalingServerOptions): { close(): Promise<void>; stats: SignalingStats } {
  const stats: SignalingStats = { connections: 0, requests: 0, errors: 0 }
  const log = opts.log ?? (() => undefined)
  const dispatch = createDispatcher(signalingMethods, opts.handlers, (method, error) =>
    log(`signaling handler ${method} failed: ${error instanceof Error ? error.stack : String(error)}`)
  )
  const wss = new WebSocketServer({ server: opts.server, path: opts.path, maxPayload: MAX_SIGNALING_FRAME_BYTES })
  let nextId = 1

  wss.on('connection', (socket: WebSocket, request: IncomingMessage) => {
    stats.connections++
    const closeListeners: Array<() => void> = []
    const conn: SignalingConnection = {
      id: nextId++,
      remoteAddress: request.socket.remoteAddress ?? 'unknown',
      notify(notification, data) {
        if (socket.readyState === socket.OPEN) socket.send(JSON.stringify({ notification, data }))
      },
      onClose(listener) {
        // A handler that finishes after the socket closed (e.g. a slow join) still gets its cleanup run.
        if (socket.readyState === socket.CLOSED) queueMicrotask(listener)
        else closeListeners.push(listener)
      }
    }
    const send = (response: SignalingResponse): void => {
      if (!response.ok) stats.errors++
      if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(response))
    }
    socket.on('message', (data: RawData, isBinary: boolean) => {
      stats.requests++
      void handleFrame(data, isBinary).catch((error: unknown) => {
        log(`signaling frame failed: ${String(error)}`)
        send({ id: null, ok: false, error: { code: 'internal', message: 'internal error' } })
      })
    })
    socket.on('error', (error) => log(`signaling socket ${conn.id} error: ${error.message}`))
    socket.on('close', () => {
      stats.connections--
      for (const listener of closeListeners.splice(0)) {
        try {
          listener()
        } catch (error) {
          log(`signaling close listener failed: ${String(error)}`)
        }
      }
    })

    async function handleFrame(data: RawData, isBinary: boolean): Promise<void> {
      if (isBinary) return send({ id: null, ok: false, error: { code: 'bad_message', message: 'binary frames are not accepted on signaling' } })
      let json: unknown
      try {
        json = JSON.parse(data.toString())
      } catch {
        return send({ id: null, ok: false, error: { code: 'bad_message', message: 'frame is not valid JSON' } })
      }
      const envelope = signalingRequestEnvelopeSchema.safeParse(json)
      if (!envelope.success) {
        const id = typeof (json as { id?: unknown })?.id === 'number' && Number.isSafeInteger((json as { id: number }).id) ? (json as { id: number }).id : null
        return send({ id, ok: false, error: { code: 'bad_message', message: 'malformed request', issues: describeIssues(envelope.error) } })
      }
      const { id, method, params } = envelope.data
      const outcome = await dispatch(method, params, conn)
      send({ id, ...outcome })
    }
  })

  return {
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate()
        wss.close(() => resolve())
      })
  }
}

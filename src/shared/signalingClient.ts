import { ContractError } from './contract/errors'
import {
  signalingResponseSchema,
  signalingNotificationSchema,
  type SignalingMethodName,
  type SignalingParams,
  type SignalingResult
} from './contract/signaling'

/** The subset of the WebSocket API shared by browsers and the `ws` package. */
export interface WebSocketLike {
  readonly readyState: number
  onopen: ((ev: unknown) => void) | null
  onclose: ((ev: { code: number; reason: string }) => void) | null
  onerror: ((ev: unknown) => void) | null
  onmessage: ((ev: { data: unknown }) => void) | null
  send(data: string): void
  close(code?: number, reason?: string): void
}
export type WebSocketFactory = (url: string) => WebSocketLike

export interface SignalingClient {
  request<M extends SignalingMethodName>(method: M, params: SignalingParams<M>, timeoutMs?: number): Promise<SignalingResult<M>>
  onNotification(listener: (notification: string, data: unknown) => void): () => void
  close(): void
  readonly closed: Promise<{ code: number; reason: string }>
}

/**
 * Open a signaling connection. Resolves once the socket is open; rejects with a clear message if it cannot be.
 * Every pending request is rejected when the socket closes, so no caller waits forever.
 */
export function connectSignaling(url: string, factory: WebSocketFactory, openTimeoutMs = 5000): Promise<SignalingClient> {
  return new Promise((resolve, reject) => {
    let socket: WebSocketLike
    try {
      socket = factory(url)
    } catch (error) {
      reject(new Error(`cannot open signaling ${url}: ${(error as Error).message}`))
      return
    }
    let nextId = 1
    const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: ReturnType<typeof setTimeout> }>()
    const listeners = new Set<(n: string, d: unknown) => void>()
    let resolveClosed!: (v: { code: number; reason: string }) => void
    const closed = new Promise<{ code: number; reason: string }>((r) => (resolveClosed = r))
    const openTimer = setTimeout(() => {
      reject(new Error(`signaling ${url} did not open within ${openTimeoutMs} ms`))
      socket.close()
    }, openTimeoutMs)

    socket.onopen = () => {
      clearTimeout(openTimer)
      resolve(client)
    }
    // The close event that follows carries the outcome; a refused upgrade's status is only in the error (`ws`: "Unexpected
    // server response: 401"; browsers give no detail), so it is kept for the message.
    let openError = ''
    socket.onerror = (ev) => {
      const message = (ev as { message?: unknown } | null)?.message
      if (typeof message === 'string' && message) openError = message
    }
    socket.onclose = (ev) => {
      clearTimeout(openTimer)
      reject(new Error(`signaling ${url} closed before it opened (code ${ev.code}${openError ? `: ${openError}` : ''})`))
      for (const [id, p] of pending) {
        clearTimeout(p.timer)
        p.reject(new ContractError('unavailable', `signaling closed (code ${ev.code}) before request ${id} was answered`))
      }
      pending.clear()
      resolveClosed({ code: ev.code, reason: ev.reason })
    }
    socket.onmessage = (ev) => {
      if (typeof ev.data !== 'string') return
      let json: unknown
      try {
        json = JSON.parse(ev.data)
      } catch {
        return
      }
      const response = signalingResponseSchema.safeParse(json)
      if (response.success) {
        const { id } = response.data
        const p = id === null ? undefined : pending.get(id)
        if (!p) return
        pending.delete(id!)
        clearTimeout(p.timer)
        if (response.data.ok) p.resolve(response.data.result)
        else p.reject(ContractError.fromBody(response.data.error))
        return
      }
      const note = signalingNotificationSchema.safeParse(json)
      if (note.success) for (const l of listeners) l(note.data.notification, note.data.data)
    }

    const client: SignalingClient = {
      closed,
      request(method, params, timeoutMs = 10_000) {
        const id = nextId++
        return new Promise((res, rej) => {
          if (socket.readyState !== 1) {
            rej(new ContractError('unavailable', `signaling is not connected (${method})`))
            return
          }
          const timer = setTimeout(() => {
            pending.delete(id)
            rej(new ContractError('unavailable', `signaling request ${method} timed out after ${timeoutMs} ms`))
          }, timeoutMs)
          pending.set(id, { resolve: res as (v: unknown) => void, reject: rej, timer })
          socket.send(JSON.stringify({ id, method, params }))
        })
      },
      onNotification(listener) {
        listeners.add(listener)
        return () => listeners.delete(listener)
      },
      close() {
        socket.close(1000, 'client closing')
      }
    }
  })
}

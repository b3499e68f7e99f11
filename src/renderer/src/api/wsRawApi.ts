import { apiMethodNames, wsServerFrameSchema, type ApiEventName, type ApiEventPayload } from '../../../shared/contract/api'
import type { Outcome } from '../../../shared/contract/dispatch'
import { backoffDelayMs } from '../../../shared/backoff'
import type { RawVoiceApi } from '../../../shared/rawApi'

export type ConnectionState = 'connecting' | 'open' | 'reconnecting'

/**
 * Browser mode transport: the api over the loopback WebSocket served by the app, authenticated by the per-run
 * token from the page URL. Calls made while (re)connecting are queued, not lost; the socket reconnects with backoff.
 */
export function createWsRawApi(url: string, onState: (state: ConnectionState, detail?: string) => void): RawVoiceApi {
  let socket: WebSocket | null = null
  let attempt = 0
  let nextId = 1
  const queue: string[] = []
  const pending = new Map<number, (outcome: Outcome) => void>()
  const listeners = new Map<string, Set<(payload: unknown) => void>>()

  const connect = (): void => {
    onState(attempt === 0 ? 'connecting' : 'reconnecting')
    const ws = new WebSocket(url)
    socket = ws
    ws.onopen = () => {
      attempt = 0
      onState('open')
      for (const frame of queue.splice(0)) ws.send(frame)
    }
    ws.onmessage = (ev) => {
      if (typeof ev.data !== 'string') return
      let json: unknown
      try {
        json = JSON.parse(ev.data)
      } catch {
        return
      }
      const frame = wsServerFrameSchema.safeParse(json)
      if (!frame.success) return
      if (frame.data.type === 'event') {
        for (const l of listeners.get(frame.data.event) ?? []) l(frame.data.payload)
      } else if (frame.data.id !== null) {
        const resolve = pending.get(frame.data.id)
        pending.delete(frame.data.id)
        resolve?.(frame.data.outcome as Outcome)
      }
    }
    ws.onclose = (ev) => {
      socket = null
      // Requests in flight on a dead socket are answered as unavailable rather than hanging.
      for (const [id, resolve] of pending) {
        resolve({ ok: false, error: { code: 'unavailable', message: `connection to the app services closed (code ${ev.code})` } })
        pending.delete(id)
      }
      const delay = backoffDelayMs(attempt++)
      onState('reconnecting', ev.code === 1006 && attempt > 3 ? 'The app services are not reachable; is `npm start` still running?' : undefined)
      setTimeout(connect, delay)
    }
  }
  connect()

  const call = (method: string, params: unknown): Promise<Outcome> =>
    new Promise((resolve) => {
      const id = nextId++
      pending.set(id, resolve)
      const frame = JSON.stringify({ type: 'request', id, method, params: params ?? {} })
      if (socket && socket.readyState === WebSocket.OPEN) socket.send(frame)
      else queue.push(frame)
    })

  const methods = Object.fromEntries(apiMethodNames.map((m) => [m, (params: unknown) => call(m, params)]))
  return {
    ...methods,
    on<E extends ApiEventName>(event: E, listener: (payload: ApiEventPayload<E>) => void) {
      let set = listeners.get(event)
      if (!set) listeners.set(event, (set = new Set()))
      set.add(listener as (p: unknown) => void)
      return () => set.delete(listener as (p: unknown) => void)
    }
  } as unknown as RawVoiceApi
}

/** The api socket URL for a browser-mode page (token taken from the page URL), or null without a token. */
export function apiSocketUrlFromLocation(loc: Location): string | null {
  const token = new URLSearchParams(loc.search).get('token')
  if (!token) return null
  const proto = loc.protocol === 'https:' ? 'wss:' : 'ws:'
  return `${proto}//${loc.host}/api?token=${encodeURIComponent(token)}`
}

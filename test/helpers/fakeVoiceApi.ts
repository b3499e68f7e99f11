import type { ApiEventName, ApiEventPayload, VoiceApi } from '../../src/shared/contract/api'

/**
 * A VoiceApi for renderer store tests: the methods given (others throw), and events emitted by the test. Records the
 * calls made and which listeners are still subscribed.
 */
export interface FakeVoiceApi {
  api: VoiceApi
  calls: Array<{ method: string; params: unknown }>
  emit<E extends ApiEventName>(event: E, payload: ApiEventPayload<E>): void
  listeners(event: ApiEventName): number
}

export function fakeVoiceApi(methods: Partial<Record<keyof VoiceApi, (params: never) => Promise<unknown>>> = {}): FakeVoiceApi {
  const listeners = new Map<string, Set<(payload: unknown) => void>>()
  const calls: FakeVoiceApi['calls'] = []
  const api = new Proxy({} as VoiceApi, {
    get(_target, name: string) {
      if (name === 'on') {
        return (event: string, listener: (payload: unknown) => void) => {
          const set = listeners.get(event) ?? new Set()
          listeners.set(event, set)
          set.add(listener)
          return () => set.delete(listener)
        }
      }
      if (name === 'then') return undefined // not a thenable
      return (params: unknown) => {
        calls.push({ method: name, params })
        const method = methods[name as keyof VoiceApi]
        if (!method) return Promise.reject(new Error(`${name} is not faked`))
        return method(params as never)
      }
    }
  })
  return {
    api,
    calls,
    emit: (event, payload) => listeners.get(event)?.forEach((l) => l(payload)),
    listeners: (event) => listeners.get(event)?.size ?? 0
  }
}

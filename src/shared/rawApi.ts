import {
  apiMethodNames,
  type ApiEventName,
  type ApiEventPayload,
  type ApiMethodName,
  type ApiParams,
  type VoiceApi
} from './contract/api'
import { unwrapOutcome, type Outcome } from './contract/dispatch'

/** What a transport provides (Electron preload, browser-mode WebSocket): calls that resolve to outcomes. */
export type RawVoiceApi = {
  [M in ApiMethodName]: (params: ApiParams<M>) => Promise<Outcome>
} & {
  on<E extends ApiEventName>(event: E, listener: (payload: ApiEventPayload<E>) => void): () => void
}

/** The renderer's api: each call resolves with its result or rejects with a ContractError carrying the code. */
export function voiceApiFromRaw(raw: RawVoiceApi): VoiceApi {
  const methods = Object.fromEntries(
    apiMethodNames.map((method) => [method, async (params: unknown) => unwrapOutcome(await (raw[method] as (p: unknown) => Promise<Outcome>)(params))])
  )
  return { ...methods, on: raw.on.bind(raw) } as unknown as VoiceApi
}

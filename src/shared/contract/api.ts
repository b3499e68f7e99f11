import { z } from 'zod'
import type { HandlersFor } from './dispatch'
import { errorBodySchema } from './errors'
import { settingsPatchSchema, settingsSchema } from './settings'

/**
 * The app api: what the renderer may ask of the main-process services. The same contract is served over Electron
 * IPC (one channel per method, see ipcChannel) and, in browser mode, over a loopback WebSocket. The renderer talks
 * to one `VoiceApi` object in both modes.
 */

export const appInfoSchema = z.object({
  name: z.string(),
  version: z.string(),
  /** electron: running inside the desktop app. browser: services over a local WebSocket, UI in a browser tab. */
  mode: z.enum(['electron', 'browser']),
  platform: z.string(),
  /** Why the app is in browser mode (e.g. the Electron binary is missing); null in electron mode. */
  modeReason: z.string().nullable()
})
export type AppInfo = z.infer<typeof appInfoSchema>

export const backendStateSchema = z.enum(['stopped', 'starting', 'ready', 'error'])
export type BackendState = z.infer<typeof backendStateSchema>

export const backendStatusSchema = z.object({
  state: backendStateSchema,
  /** embedded backend started by the app, or a remote one from settings. */
  kind: z.enum(['embedded', 'remote']),
  /** Signaling WebSocket URL, once known. */
  signalingUrl: z.string().nullable(),
  /** Human-readable detail: what is happening, or what went wrong and how to fix it. */
  detail: z.string().nullable(),
  workers: z.number().int().nonnegative().nullable(),
  /** Round trip of the last signaling health ping. */
  rttMs: z.number().nonnegative().nullable(),
  /** ms since epoch of the last state change. */
  since: z.number()
})
export type BackendStatus = z.infer<typeof backendStatusSchema>

const noParams = z.object({}).strict()

export const apiMethods = {
  getAppInfo: { params: noParams, result: appInfoSchema },
  /** Clock probe: the caller's send time is echoed with the service's clock, for offset estimation. */
  ping: {
    params: z.object({ clientTime: z.number().finite() }).strict(),
    result: z.object({ clientTime: z.number(), serviceTime: z.number() })
  },
  getSettings: { params: noParams, result: settingsSchema },
  updateSettings: { params: settingsPatchSchema, result: settingsSchema },
  getBackendStatus: { params: noParams, result: backendStatusSchema },
  restartBackend: { params: noParams, result: backendStatusSchema }
} as const

export const apiEvents = {
  backendStatus: backendStatusSchema,
  settingsChanged: settingsSchema,
  /** Something the user should see once (settings reset, model missing, ...). */
  notice: z.object({ level: z.enum(['info', 'warning', 'error']), message: z.string() })
} as const

export type ApiMethodName = keyof typeof apiMethods
export type ApiEventName = keyof typeof apiEvents
export const apiMethodNames = Object.keys(apiMethods) as ApiMethodName[]
export const apiEventNames = Object.keys(apiEvents) as ApiEventName[]

export type ApiParams<M extends ApiMethodName> = z.input<(typeof apiMethods)[M]['params']>
export type ApiResult<M extends ApiMethodName> = z.output<(typeof apiMethods)[M]['result']>
export type ApiEventPayload<E extends ApiEventName> = z.output<(typeof apiEvents)[E]>

/** What the renderer calls, in Electron (preload) and browser mode alike. */
export type VoiceApi = {
  [M in ApiMethodName]: (params: ApiParams<M>) => Promise<ApiResult<M>>
} & {
  on<E extends ApiEventName>(event: E, listener: (payload: ApiEventPayload<E>) => void): () => void
}

/** Service-side implementation: params arrive already validated. */
export type ApiHandlers = HandlersFor<typeof apiMethods>

export function isApiMethodName(name: unknown): name is ApiMethodName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(apiMethods, name)
}
export function isApiEventName(name: unknown): name is ApiEventName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(apiEvents, name)
}

/** Electron IPC channel for one method / for events. */
export const ipcChannel = (method: ApiMethodName): string => `api:${method}`
export const IPC_EVENT_CHANNEL = 'api-event'

/** The outcome of one call; the same shape over IPC and WebSocket, so errors are data, not transport failures. */
export const apiOutcomeSchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), result: z.unknown() }),
  z.object({ ok: z.literal(false), error: errorBodySchema })
])
export type ApiOutcome = z.infer<typeof apiOutcomeSchema>

/** Browser-mode WebSocket frames (text). */
export const wsRequestSchema = z.object({
  type: z.literal('request'),
  id: z.number().int().nonnegative(),
  method: z.string().max(64),
  params: z.unknown()
})
export type WsRequest = z.infer<typeof wsRequestSchema>

export const wsServerFrameSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('response'), id: z.number().int().nonnegative().nullable(), outcome: apiOutcomeSchema }),
  z.object({ type: z.literal('event'), event: z.string(), payload: z.unknown() })
])
export type WsServerFrame = z.infer<typeof wsServerFrameSchema>

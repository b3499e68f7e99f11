import { z } from 'zod'
import type { HandlersFor } from './dispatch'
import { errorBodySchema } from './errors'
import { secretNameSchema, secretsStatusSchema, secretValueSchema } from './secrets'
import { settingsPatchSchema, settingsSchema } from './settings'
import { vadControlSchema, vadEventSchema, vadStatusSchema } from './voice'
import { importModelParamsSchema, importModelResultSchema, modelIdParamsSchema, modelInfoSchema, modelProgressSchema } from './models'
import { transcriptSchema } from './transcript'
import { turnTraceSchema } from '../latency/trace'
import { noticeLevelSchema, optionalNoticeCodeSchema } from './notice'
import { talkCommandParamsSchema, talkCommandResultSchema, talkKeyStatusSchema } from './talk'

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

/** Nearest-backend choice in remote mode with several URLs: every candidate with its measured signaling round trip. */
export const backendRankingSchema = z.object({
  /** Candidates in rank order: reachable ones by median RTT, then the unreachable ones. Empty unless there are ≥2 URLs. */
  backends: z.array(
    z.object({
      url: z.string(),
      /** Median signaling ping RTT of the last probe round; null when none was answered. */
      rttMs: z.number().nonnegative().nullable(),
      lossRatio: z.number().min(0).max(1),
      reachable: z.boolean()
    })
  ),
  /** The backend the app is connected to (or connecting to); null when none. */
  inUse: z.string().nullable(),
  /** The last switch after the backend in use was lost; null when there was none since the last (re)start. */
  lastFailover: z.object({ from: z.string(), to: z.string().nullable(), at: z.number(), reason: z.string() }).nullable(),
  /** ms since epoch of the last probe round; null before the first. */
  probedAt: z.number().nullable()
})
export type BackendRanking = z.infer<typeof backendRankingSchema>

const noParams = z.object({}).strict()

/** What the assistant is doing, as the window, the tray icon and the status pill show it. */
export const assistantActivitySchema = z.enum(['idle', 'listening', 'thinking', 'speaking'])
export type AssistantActivity = z.infer<typeof assistantActivitySchema>
export const assistantStatusSchema = z.object({ activity: assistantActivitySchema, micMuted: z.boolean() })
export type AssistantStatus = z.infer<typeof assistantStatusSchema>

/** Commands from outside the window (tray menu, global hotkeys) that the renderer carries out (it owns the mic). */
export const userCommandSchema = z.object({ command: z.enum(['startListening', 'stopListening', 'toggleMute', 'openSettings', 'toggleLatencyOverlay']) })
export type UserCommand = z.infer<typeof userCommandSchema>

/**
 * An error the window could not handle (window `error`, `unhandledrejection`), for the app's log: the renderer has no
 * file of its own. Bounded: one report is at most a few kB, and the main process logs at most a few a minute.
 */
export const rendererErrorSchema = z
  .object({
    kind: z.enum(['error', 'unhandledrejection']),
    message: z.string().max(2000),
    stack: z.string().max(8000).optional(),
    /** Where it was thrown: `<script url>:<line>:<column>`. */
    source: z.string().max(500).optional()
  })
  .strict()
export type RendererError = z.infer<typeof rendererErrorSchema>

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
  restartBackend: { params: noParams, result: backendStatusSchema },
  /** Remote mode with several URLs: the RTT ranking, the one in use and the last failover. */
  getBackendRanking: { params: noParams, result: backendRankingSchema },
  /** API keys: write-only from the renderer; it learns only whether each key is set. */
  getSecretsStatus: { params: noParams, result: secretsStatusSchema },
  setSecret: { params: z.object({ name: secretNameSchema, value: secretValueSchema }).strict(), result: secretsStatusSchema },
  clearSecret: { params: z.object({ name: secretNameSchema }).strict(), result: secretsStatusSchema },
  getAssistantStatus: { params: noParams, result: assistantStatusSchema },
  /** The renderer reports what the assistant is doing (it owns capture and playback); the tray follows it. */
  reportAssistantStatus: { params: assistantStatusSchema.partial().strict(), result: assistantStatusSchema },
  /** Local VAD (main process): status, and flush/reset of the capture stream (push-to-talk release, mic reopened). */
  getVadStatus: { params: noParams, result: vadStatusSchema },
  vadControl: { params: vadControlSchema, result: vadStatusSchema },
  /** On-device STT models: catalog + install state; downloads report progress via modelDownloadProgress. */
  listModels: { params: noParams, result: z.array(modelInfoSchema) },
  downloadModel: { params: modelIdParamsSchema, result: z.array(modelInfoSchema) },
  cancelDownload: { params: modelIdParamsSchema, result: z.array(modelInfoSchema) },
  deleteModel: { params: modelIdParamsSchema, result: z.array(modelInfoSchema) },
  /**
   * Offline install: a folder or a .tar / .tar.gz archive on this machine holding a catalog model's files, verified
   * against the catalog's SHA-256 before it is installed (nothing is installed otherwise; the error says why).
   */
  importModel: { params: importModelParamsSchema, result: importModelResultSchema },
  /** The desktop app's file dialog for importModel: a folder or an archive; null when the user cancelled. */
  chooseModelSource: { params: z.object({ kind: z.enum(['folder', 'archive']) }).strict(), result: z.object({ path: z.string().nullable() }) },
  /**
   * The renderer joined a backend session: the main process observes it (turn traces → turnTrace events with the
   * backend clock offset, failover notices → notice events) and configures its voice providers from settings + keys.
   */
  observeConversation: {
    params: z.object({ sessionId: z.string().min(1).max(64), token: z.string().min(16).max(128) }).strict(),
    result: z.object({ pipeline: z.string(), providers: z.object({ stt: z.array(z.string()), llm: z.array(z.string()), tts: z.array(z.string()) }).nullable() })
  },
  /** The command-line talk trigger (`npm run talk -- --toggle` in browser mode), or any client: drives push-to-talk. */
  talkCommand: { params: talkCommandParamsSchema, result: talkCommandResultSchema },
  /** How the talk key reaches the app here (key hook, portal, globalShortcut, none) and the command to bind. */
  getTalkKeyStatus: { params: noParams, result: talkKeyStatusSchema },
  /**
   * "Copy diagnostics": one text block for a bug report (versions, OS, settings without secrets, backend state, the
   * recent turns' latency, the log's tail), made on this machine. The desktop app also puts it on the clipboard
   * (`copied`); in browser mode the page copies it. The window sends its turns (they carry its own marks) and, in
   * browser mode, its browser's user agent.
   */
  copyDiagnostics: {
    params: z.object({ turns: z.array(turnTraceSchema).max(20).optional(), userAgent: z.string().max(512).optional() }).strict(),
    result: z.object({ text: z.string().max(2_000_000), copied: z.boolean() })
  },
  /** The window's uncaught errors, into the app's log (logged: false once the per-minute budget is spent). */
  reportRendererError: { params: rendererErrorSchema, result: z.object({ logged: z.boolean() }) }
} as const

export const apiEvents = {
  backendStatus: backendStatusSchema,
  backendRanking: backendRankingSchema,
  settingsChanged: settingsSchema,
  /** Something the user should see once (settings reset, model missing, ...). */
  notice: z.object({ level: noticeLevelSchema, message: z.string(), code: optionalNoticeCodeSchema }),
  assistantStatus: assistantStatusSchema,
  userCommand: userCommandSchema,
  /** Local endpointing: speech_start / speech_end (early) / speech_resume / end_of_utterance. */
  vadEvent: vadEventSchema,
  vadStatus: vadStatusSchema,
  modelDownloadProgress: modelProgressSchema,
  /** A transcript from the on-device fallback STT (backend unreachable, or the user chose local). */
  transcript: transcriptSchema,
  /** One voice turn's timing marks so far (sent again as marks arrive; the latest per turnId wins). */
  turnTrace: turnTraceSchema,
  talkKeyStatus: talkKeyStatusSchema
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

import { z } from 'zod'
import { noticeLevelSchema, optionalNoticeCodeSchema } from './notice'
import { errorBodySchema } from './errors'

/**
 * Signaling between the app (renderer / main) and the backend, over WebSocket text frames.
 * Requests carry a client-chosen id; the backend answers each with exactly one response with that id. Anything the
 * backend cannot parse is answered with id null and a bad_message error; the connection stays open.
 */
export const SIGNALING_PROTOCOL_VERSION = 1

export const signalingRequestEnvelopeSchema = z.object({
  id: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  method: z.string().min(1).max(64),
  params: z.unknown().optional()
})

// --- Media session schemas. WebRTC parameter objects are checked for shape and bounded in size here; mediasoup checks
// their meaning and a rejection comes back as invalid_params.
const mediaIdSchema = z.string().min(1).max(64)
export const sessionPipelineSchema = z.enum(['echo', 'click', 'voice'])
export type SessionPipelineName = z.infer<typeof sessionPipelineSchema>
const transportDirectionSchema = z.enum(['send', 'recv'])
const smallRecordSchema = z.record(z.string().max(64), z.union([z.string().max(256), z.number(), z.boolean()]))
const rtcpFeedbackSchema = z.array(z.object({ type: z.string().max(32), parameter: z.string().max(32).optional() }).strict()).max(16)
const rtpCodecParametersSchema = z
  .object({
    mimeType: z.string().min(3).max(64),
    payloadType: z.number().int().min(0).max(127),
    clockRate: z.number().int().positive().max(192_000),
    channels: z.number().int().min(1).max(8).optional(),
    parameters: smallRecordSchema.optional(),
    rtcpFeedback: rtcpFeedbackSchema.optional()
  })
  .strict()
const rtpHeaderExtensionParametersSchema = z
  .object({ uri: z.string().max(256), id: z.number().int().min(1).max(255), encrypt: z.boolean().optional(), parameters: smallRecordSchema.optional() })
  .strict()
const rtpEncodingSchema = z
  .object({
    ssrc: z.number().int().min(0).max(0xffffffff).optional(),
    rid: z.string().max(32).optional(),
    codecPayloadType: z.number().int().min(0).max(127).optional(),
    rtx: z.object({ ssrc: z.number().int().min(0).max(0xffffffff) }).strict().optional(),
    dtx: z.boolean().optional(),
    scalabilityMode: z.string().max(32).optional(),
    maxBitrate: z.number().int().positive().optional()
  })
  .strict()
export const rtpParametersSchema = z
  .object({
    mid: z.string().max(32).optional(),
    msid: z.string().max(256).optional(),
    codecs: z.array(rtpCodecParametersSchema).min(1).max(8),
    headerExtensions: z.array(rtpHeaderExtensionParametersSchema).max(16).optional(),
    encodings: z.array(rtpEncodingSchema).max(4).optional(),
    rtcp: z.object({ cname: z.string().max(256).optional(), reducedSize: z.boolean().optional(), mux: z.boolean().optional() }).strict().optional()
  })
  .strict()
export const rtpCapabilitiesSchema = z
  .object({
    codecs: z
      .array(
        z
          .object({
            kind: z.enum(['audio', 'video']),
            mimeType: z.string().min(3).max(64),
            preferredPayloadType: z.number().int().min(0).max(127).optional(),
            clockRate: z.number().int().positive().max(192_000),
            channels: z.number().int().min(1).max(8).optional(),
            parameters: smallRecordSchema.optional(),
            rtcpFeedback: rtcpFeedbackSchema.optional()
          })
          .strict()
      )
      .max(64)
      .optional(),
    headerExtensions: z
      .array(
        z
          .object({
            kind: z.enum(['audio', 'video']),
            uri: z.string().max(256),
            preferredId: z.number().int().min(1).max(255),
            preferredEncrypt: z.boolean().optional(),
            direction: z.enum(['sendrecv', 'sendonly', 'recvonly', 'inactive']).optional()
          })
          .strict()
      )
      .max(32)
      .optional()
  })
  .strict()
export const dtlsParametersSchema = z
  .object({
    role: z.enum(['auto', 'client', 'server']).optional(),
    fingerprints: z
      .array(z.object({ algorithm: z.enum(['sha-1', 'sha-224', 'sha-256', 'sha-384', 'sha-512']), value: z.string().min(1).max(256) }).strict())
      .min(1)
      .max(8)
  })
  .strict()
const iceParametersSchema = z.object({ usernameFragment: z.string(), password: z.string(), iceLite: z.boolean().optional() })
const transportOptionsSchema = z.object({
  id: mediaIdSchema,
  iceParameters: iceParametersSchema,
  iceCandidates: z.array(z.looseObject({ foundation: z.string(), ip: z.string(), port: z.number(), protocol: z.enum(['udp', 'tcp']) })),
  dtlsParameters: z.looseObject({ fingerprints: z.array(z.object({ algorithm: z.string(), value: z.string() })) })
})
const sessionJoinedSchema = z.object({
  sessionId: mediaIdSchema,
  token: z.string(),
  pipeline: sessionPipelineSchema,
  worker: z.number().int().nonnegative(),
  /** The router's capabilities (mediasoup RtpCapabilities), for mediasoup-client Device.load. */
  routerRtpCapabilities: z.looseObject({ codecs: z.array(z.unknown()).optional() })
})

/** Server → client notifications about a session (sent on the connection the session is bound to). */
export const sessionNotificationSchema = z.object({
  sessionId: z.string(),
  // uplinkGap: the mic stream came back after the link was down; detail {fromRtpTimestamp, frames}: send those
  // frames with backfillAudio (the server holds newer audio until then).
  // replyRevoked: a reply started early (after a pause, before end_of_utterance) was stopped because the user went on
  // talking; detail {turnId, reason}. The turn continues and is answered again under the same turnId.
  // sessionLost: the session is gone with everything it owned (detail {reason: 'worker_died', worker}); the backend
  // replaces the worker, so `join` again on the same connection (resume would answer unauthorized).
  type: z.enum(['utteranceStart', 'utteranceEnd', 'replyStart', 'replyEnd', 'onset', 'replyPaused', 'replyResumed', 'replyCancelled', 'replyRevoked', 'uplinkGap', 'sessionLost']),
  /** Server clock (ms since epoch) when it happened. */
  serverTime: z.number(),
  detail: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional()
})
export type SessionNotification = z.infer<typeof sessionNotificationSchema>
export const SESSION_NOTIFICATION = 'session'
/** Voice pipeline → observers (observeSession): one turn's trace so far (data: turnTraceSchema, backend clock). */
export const TURN_TRACE_NOTIFICATION = 'turnTrace'
/** Voice pipeline → observers: something the user should see (provider failover, no STT configured). */
export const VOICE_NOTICE_NOTIFICATION = 'voiceNotice'
/** The longest typed turn (characters): a question, not a document. */
export const TYPED_TURN_MAX_CHARS = 2000
/** The note a typed turn's trace carries (the overlay and the history show the turn as typed by it). */
export const TYPED_TURN_NOTE = 'typed in the window: no speech recognition'
export const voiceNoticeSchema = z.object({ level: noticeLevelSchema, message: z.string().max(1000), code: optionalNoticeCodeSchema })

/** One provider in a voice stage's failover chain, as the app's main process configures it (keys included). */
export const voiceProviderConfigSchema = z
  .object({
    kind: z.literal('openai-compatible'),
    baseUrl: z.string().min(1).max(2048),
    /** null: no key (loopback servers usually need none). */
    apiKey: z.string().max(4096).nullable(),
    model: z.string().min(1).max(128),
    label: z.string().max(200).optional(),
    /**
     * 'public': connect only to public addresses, checked at each connection, and follow no redirect. The backend's
     * provider authority sets it on every URL a client brings under --client-providers public-https; a client can
     * only ever restrict itself with it.
     */
    network: z.literal('public').optional()
  })
  .strict()
/** The voice pipeline's providers (the embedded LLM and espeak-ng TTS are always appended last) and prompt. */
export const voiceConfigSchema = z
  .object({
    stt: z.array(voiceProviderConfigSchema).max(4),
    llm: z.array(voiceProviderConfigSchema).max(4),
    tts: z.array(voiceProviderConfigSchema).max(4),
    systemPrompt: z.string().max(4000).optional(),
    /**
     * Turn taking (settings.listening): the pause (ms) after which the reply may start before end_of_utterance when
     * the turn policy cannot tell whether the sentence is finished; the pause after a finished request; the pause
     * waited out after a sentence that stopped mid-way; the words a barge-in needs to stop the reply. The last three
     * are optional: an app from before them leaves the backend's defaults.
     */
    turn: z
      .object({
        replyAfterPauseMs: z.number().int().min(0).max(10_000),
        replyAfterCompleteMs: z.number().int().min(0).max(10_000).optional(),
        unfinishedPauseMs: z.number().int().min(0).max(10_000).optional(),
        bargeInMinWords: z.number().int().min(1).max(20).optional()
      })
      .strict()
      .optional()
  })
  .strict()
export type VoiceConfig = z.infer<typeof voiceConfigSchema>

/**
 * A standalone backend's own providers (its operator's config file), picked by name: the client chooses among them
 * and the backend fills in the URL and key, which the client never sees.
 */
export const operatorProviderRefSchema = z.object({ kind: z.literal('operator'), name: z.string().min(1).max(64) }).strict()
/**
 * What a client asks a voice session to use: its own provider (URL + key; a backend accepts these only if its
 * operator allows client providers, and never towards private addresses unless it allows any) or the operator's.
 */
export const voiceProviderChoiceSchema = z.discriminatedUnion('kind', [voiceProviderConfigSchema, operatorProviderRefSchema])
export const voiceConfigRequestSchema = voiceConfigSchema.extend({
  stt: z.array(voiceProviderChoiceSchema).max(4),
  llm: z.array(voiceProviderChoiceSchema).max(4),
  tts: z.array(voiceProviderChoiceSchema).max(4)
})
export type VoiceConfigRequest = z.infer<typeof voiceConfigRequestSchema>

/**
 * Who may bring their own provider URL/key to a backend: none (only the operator's providers), public-https (https
 * to public addresses only), any (any URL: the embedded backend, whose only client is the app on this machine).
 */
export const clientProvidersPolicySchema = z.enum(['none', 'public-https', 'any'])
export type ClientProvidersPolicy = z.infer<typeof clientProvidersPolicySchema>
const stageNamesSchema = z.object({ stt: z.array(z.string()), llm: z.array(z.string()), tts: z.array(z.string()) })

export const signalingMethods = {
  hello: {
    params: z.object({ protocolVersion: z.number().int(), client: z.string().max(128) }).strict(),
    result: z.object({
      protocolVersion: z.number().int(),
      serverVersion: z.string(),
      workers: z.number().int().nonnegative(),
      /** What observeSession's `voice` may name: the operator's providers by stage, and the client-provider policy. */
      providers: z.object({ clientProviders: clientProvidersPolicySchema, operator: stageNamesSchema }).optional()
    })
  },
  ping: {
    params: z.object({ clientTime: z.number().finite() }).strict(),
    result: z.object({ clientTime: z.number(), serverTime: z.number() })
  },
  // --- Media sessions (src/server/sessions). A connection is bound to at most one session by join/resume; every
  // method below acts only on that session's own transports/producers/consumers, so ids of another session are
  // simply not found.
  /** Start a new session. The token is the only way to resume it from another connection. */
  join: {
    params: z.object({ pipeline: sessionPipelineSchema.optional(), client: z.string().max(128).optional() }).strict(),
    result: sessionJoinedSchema
  },
  /** Re-attach an existing session (after the signaling socket dropped). Its transports, producer and consumer live on. */
  resume: {
    params: z.object({ sessionId: mediaIdSchema, token: z.string().min(16).max(128) }).strict(),
    result: sessionJoinedSchema.extend({
      transports: z.array(z.object({ id: mediaIdSchema, direction: transportDirectionSchema, iceState: z.string() }))
    })
  },
  createTransport: {
    params: z.object({ direction: transportDirectionSchema }).strict(),
    result: transportOptionsSchema
  },
  connectTransport: {
    params: z.object({ transportId: mediaIdSchema, dtlsParameters: dtlsParametersSchema }).strict(),
    result: z.object({})
  },
  restartIce: {
    params: z.object({ transportId: mediaIdSchema }).strict(),
    result: z.object({ iceParameters: iceParametersSchema })
  },
  /** The mic. Only audio; one producer per session (a second one replaces the first). */
  produce: {
    params: z
      .object({ transportId: mediaIdSchema, kind: z.literal('audio'), rtpParameters: rtpParametersSchema, paused: z.boolean().optional() })
      .strict(),
    result: z.object({ id: mediaIdSchema })
  },
  /** Push-to-talk: pause/resume the session's mic producer on the server (the transport stays connected and warm). */
  setProducerPaused: {
    params: z.object({ producerId: mediaIdSchema, paused: z.boolean() }).strict(),
    result: z.object({ paused: z.boolean() })
  },
  /** The reply audio (the session's server-side producer). Created paused; call resumeConsumer once set up. */
  consume: {
    params: z.object({ transportId: mediaIdSchema, rtpCapabilities: rtpCapabilitiesSchema }).strict(),
    result: z.object({ id: mediaIdSchema, producerId: mediaIdSchema, kind: z.literal('audio'), rtpParameters: rtpParametersSchema })
  },
  resumeConsumer: {
    params: z.object({ consumerId: mediaIdSchema }).strict(),
    result: z.object({})
  },
  /** Events the client detects itself (e.g. local VAD), handed to the session pipeline. */
  clientEvent: {
    params: z
      .object({
        /**
         * speechEnd is the early (speculative) end; speechResume withdraws it; endOfUtterance commits the turn.
         * vadActive: the client runs its own VAD and will report every utterance (the server VAD is then a backstop).
         */
        type: z.enum(['speechStart', 'speechEnd', 'pttDown', 'pttUp', 'speechResume', 'endOfUtterance', 'vadActive']),
        clientTime: z.number().finite(),
        /** The client's id for the utterance's turn (its marks and the backend's trace share it). */
        turnId: z.string().min(1).max(128).optional(),
        /** endOfUtterance: why the app's endpointer ended it ('flush': push-to-talk released, commit at once). */
        reason: z.enum(['silence', 'max_length', 'flush']).optional()
      })
      .strict(),
    result: z.object({})
  },
  /**
   * A second connection (the app's main process) watches a session it holds the token of: it receives that session's
   * turnTrace and voiceNotice notifications and may configure the voice pipeline's providers (within the backend's
   * provider authority: a refused provider is answered with `forbidden` and nothing is configured or contacted).
   */
  observeSession: {
    params: z.object({ sessionId: mediaIdSchema, token: z.string().min(16).max(128), voice: voiceConfigRequestSchema.optional() }).strict(),
    result: z.object({ pipeline: sessionPipelineSchema, providers: stageNamesSchema.nullable() })
  },
  /**
   * A typed turn (the window's text box): the text goes through the session's LLM → TTS chain as a turn of its own,
   * skipping speech recognition; the reply plays on the session's reply stream like a spoken turn's. Any connection
   * holding the session's token may send it (the same check as resume and observeSession). `turnId`: the client's id
   * for the turn (its history entry and the trace share it); the backend makes one when absent.
   */
  typedTurn: {
    params: z
      .object({ sessionId: mediaIdSchema, token: z.string().min(16).max(128), text: z.string().trim().min(1).max(TYPED_TURN_MAX_CHARS), turnId: z.string().min(1).max(128).optional() })
      .strict(),
    result: z.object({ turnId: z.string() })
  },
  /**
   * Mic audio the server missed while the link was down (answer to an uplinkGap notification): the client's encoded
   * Opus frames by RTP timestamp, in chunks; `done` when the client has sent all it has for that gap.
   */
  backfillAudio: {
    params: z
      .object({
        frames: z.array(z.object({ rtpTimestamp: z.number().int().min(0).max(0xffffffff), opus: z.base64().max(1600) }).strict()).max(200),
        done: z.boolean()
      })
      .strict(),
    result: z.object({ accepted: z.number().int().nonnegative() })
  },
  /** Close the session and everything it owns. */
  leave: {
    params: z.object({}).strict(),
    result: z.object({})
  }
} as const
export type SignalingMethodName = keyof typeof signalingMethods
export type SignalingParams<M extends SignalingMethodName> = z.input<(typeof signalingMethods)[M]['params']>
export type SignalingResult<M extends SignalingMethodName> = z.output<(typeof signalingMethods)[M]['result']>

export const signalingResponseSchema = z.discriminatedUnion('ok', [
  z.object({ id: z.number().int().nullable(), ok: z.literal(true), result: z.unknown() }),
  z.object({ id: z.number().int().nullable(), ok: z.literal(false), error: errorBodySchema })
])
export type SignalingResponse = z.infer<typeof signalingResponseSchema>

export const signalingNotificationSchema = z.object({
  notification: z.string().max(64),
  data: z.unknown()
})

export const MAX_SIGNALING_FRAME_BYTES = 64 * 1024

/**
 * The embedded backend's launch contract (the app's BackendService → src/server/main.ts): the per-run secret every
 * signaling connection must present (as `?token=`; the backend's ready line carries the URL with it), and the page
 * origins of the app's renderer (space-separated). In the child's environment, never its argv (visible in ps).
 */
export const EMBEDDED_SECRET_ENV = 'VOICE_BACKEND_SECRET'
export const EMBEDDED_ORIGINS_ENV = 'VOICE_BACKEND_APP_ORIGINS'

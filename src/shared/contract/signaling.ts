import { z } from 'zod'
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

export const signalingMethods = {
  hello: {
    params: z.object({ protocolVersion: z.number().int(), client: z.string().max(128) }).strict(),
    result: z.object({
      protocolVersion: z.number().int(),
      serverVersion: z.string(),
      workers: z.number().int().nonnegative()
    })
  },
  ping: {
    params: z.object({ clientTime: z.number().finite() }).strict(),
    result: z.object({ clientTime: z.number(), serverTime: z.number() })
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

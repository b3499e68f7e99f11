import { z } from 'zod'
import { errorBodySchema } from './errors'

/**
 * The relay control channel: backends → edge relay, a WebSocket on a private address (loopback or the internal
 * network). Same envelope and dispatcher as signaling: requests {id, method, params}, one response per id.
 *
 * Why push registration (backend → relay) rather than the relay asking backends: the route must exist before the
 * client's first STUN check arrives, and a backend knows the moment it creates a transport; with push there is no
 * lookup on the packet path and no fan-out query to N backends per new flow. Why it survives relay restarts: the
 * relay keeps no durable state. Each backend holds its own live ufrags and re-sends all of them (replaceAll) every
 * time its control connection (re)opens; the client's next consent check then re-creates the flow.
 *
 * Authentication: the first request must be `hello` with the shared token (compared in constant time); any other
 * method before that is `unauthorized`, and a wrong token closes the connection.
 */
export const RELAY_PROTOCOL_VERSION = 1
export const RELAY_CONTROL_PATH = '/relay-control'
export const MAX_RELAY_CONTROL_FRAME_BYTES = 1024 * 1024

export const relayRequestEnvelopeSchema = z.object({
  id: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  method: z.string().min(1).max(64),
  params: z.unknown().optional()
})

export const relayResponseSchema = z.discriminatedUnion('ok', [
  z.object({ id: z.number().int().nullable(), ok: z.literal(true), result: z.unknown() }),
  z.object({ id: z.number().int().nullable(), ok: z.literal(false), error: errorBodySchema })
])
export type RelayResponse = z.infer<typeof relayResponseSchema>

const hostSchema = z.string().min(1).max(253)
const portSchema = z.number().int().min(1).max(65535)
export const relayAddressSchema = z.object({ ip: hostSchema, port: portSchema }).strict()
export type RelayAddress = z.infer<typeof relayAddressSchema>

/** ICE ufrag / password: RFC 8839 ice-char (ALPHA / DIGIT / "+" / "/"), 4..256 / 22..256 chars. */
export const iceUfragSchema = z.string().regex(/^[A-Za-z0-9+/]{4,256}$/, 'ICE ufrag must be 4-256 ice-chars')
const icePasswordSchema = z.string().regex(/^[A-Za-z0-9+/]{22,256}$/, 'ICE password must be 22-256 ice-chars')

export const relayRouteSchema = z
  .object({
    ufrag: iceUfragSchema,
    /** When given, the relay opens a flow only for a binding request whose MESSAGE-INTEGRITY checks out. */
    password: icePasswordSchema.optional(),
    /** The worker's WebRtcServer (UDP and TCP on the same port), as the relay can reach it. */
    target: z.object({ host: hostSchema, port: portSchema }).strict(),
    /** The relay-side UDP port the worker last saw for this ufrag (its selected tuple); reused after a relay restart. */
    stickyPort: portSchema.optional()
  })
  .strict()
export type RelayRoute = z.infer<typeof relayRouteSchema>

export const relayStatsSchema = z.object({
  routes: z.number().int(),
  flows: z.number().int(),
  tcpConnections: z.number().int(),
  packetsIn: z.number().int(),
  packetsOut: z.number().int(),
  flowsOpened: z.number().int(),
  flowsExpired: z.number().int(),
  /** Flows closed to make room for another (a ufrag at its limit, or a full table given way to a new client). */
  flowsEvicted: z.number().int(),
  /** The flow limits in force (see src/server/relay/flowBudget.ts and routingTable.ts). */
  limits: z.object({ maxFlows: z.number().int(), maxFlowsPerUfrag: z.number().int(), maxFlowsPerAddress: z.number().int(), maxTcpConnections: z.number().int() }),
  dropped: z.record(z.string(), z.number().int())
})
export type RelayStats = z.infer<typeof relayStatsSchema>

export const relayControlMethods = {
  hello: {
    params: z
      .object({
        protocolVersion: z.number().int(),
        /** Stable per backend process; routes belong to it. */
        backendId: z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/),
        token: z.string().min(16).max(256)
      })
      .strict(),
    result: z.object({
      protocolVersion: z.number().int(),
      relayId: z.string(),
      /** What backends put into ICE candidates: the relay's one public port. */
      publicUdp: relayAddressSchema,
      publicTcp: relayAddressSchema.nullable(),
      /** The address the relay's upstream sockets use (what a worker sees as the remote of a relayed tuple). */
      upstreamIp: z.string()
    })
  },
  /** Add or update routes. replaceAll: this is the backend's full set; drop its other routes (used on reconnect). */
  addRoutes: {
    params: z.object({ routes: z.array(relayRouteSchema).max(5000), replaceAll: z.boolean().optional() }).strict(),
    result: z.object({ added: z.number().int(), updated: z.number().int(), conflicts: z.array(z.string()) })
  },
  removeRoutes: {
    params: z.object({ ufrags: z.array(iceUfragSchema).max(5000) }).strict(),
    result: z.object({ removed: z.number().int() })
  },
  stats: {
    params: z.object({}).strict(),
    result: relayStatsSchema
  }
} as const
export type RelayMethodName = keyof typeof relayControlMethods
export type RelayParams<M extends RelayMethodName> = z.input<(typeof relayControlMethods)[M]['params']>
export type RelayResult<M extends RelayMethodName> = z.output<(typeof relayControlMethods)[M]['result']>

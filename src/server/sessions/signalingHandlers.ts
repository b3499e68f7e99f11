import type { types as ms } from 'mediasoup'
import type { HandlersFor } from '../../shared/contract/dispatch'
import { ContractError } from '../../shared/contract/errors'
import { SESSION_NOTIFICATION, type signalingMethods } from '../../shared/contract/signaling'
import type { SignalingConnection } from '../signalingServer'
import type { Session } from './session'
import type { SessionManager } from './sessionManager'

type SessionMethods = 'join' | 'resume' | 'createTransport' | 'connectTransport' | 'restartIce' | 'produce' | 'setProducerPaused' | 'consume' | 'resumeConsumer' | 'clientEvent' | 'backfillAudio' | 'leave'
export type SessionHandlers = Pick<HandlersFor<typeof signalingMethods, SignalingConnection>, SessionMethods>

/**
 * Signaling handlers for media sessions. A connection is bound to at most one session (by join, or resume with the
 * session's token); every other method acts on that session only, so another session's ids are simply not found.
 * A join is counted against the connection's principal and source address (the manager's JoinAdmission) and must be
 * in the principal's scope. When the connection closes, the session is detached (kept for a grace period to be
 * resumed), not closed.
 */
export function createSessionHandlers(manager: SessionManager): SessionHandlers {
  const bound = new Map<number, Session>()
  const watched = new Set<number>()
  /** A bound connection is exempt from signaling's idle timeout (the session may be quiet for minutes). */
  const holds = new Map<number, () => void>()
  const unbind = (connId: number): void => {
    bound.delete(connId)
    holds.get(connId)?.()
    holds.delete(connId)
  }

  const bind = (conn: SignalingConnection, session: Session): void => {
    const previous = bound.get(conn.id)
    if (previous && previous !== session) throw new ContractError('conflict', 'this connection already has a session; leave it first')
    // A resume from a new connection takes the session over from a stale one.
    for (const [connId, s] of bound) if (s === session && connId !== conn.id) unbind(connId)
    bound.set(conn.id, session)
    if (!holds.has(conn.id)) holds.set(conn.id, conn.hold())
    manager.attach(session)
    session.setNotifier((note) => conn.notify(SESSION_NOTIFICATION, note))
    session.onClose(() => {
      if (bound.get(conn.id) === session) unbind(conn.id)
    })
    if (!watched.has(conn.id)) {
      watched.add(conn.id)
      conn.onClose(() => {
        watched.delete(conn.id)
        const s = bound.get(conn.id)
        unbind(conn.id)
        if (s) manager.detach(s)
      })
    }
  }

  const current = (conn: SignalingConnection): Session => {
    const session = bound.get(conn.id)
    if (!session || session.closed) throw new ContractError('unauthorized', 'join or resume a session first')
    return session
  }

  const joined = (session: Session) => ({
    sessionId: session.id,
    token: session.token,
    pipeline: session.pipelineName,
    worker: session.workerIndex,
    routerRtpCapabilities: session.router.rtpCapabilities as { codecs?: unknown[] }
  })

  const transportOptions = (t: ms.WebRtcTransport) => ({
    id: t.id,
    iceParameters: t.iceParameters,
    iceCandidates: t.iceCandidates,
    dtlsParameters: t.dtlsParameters
  })

  return {
    async join({ pipeline }, conn) {
      if (bound.has(conn.id)) throw new ContractError('conflict', 'this connection already has a session; leave it first')
      const name = manager.pipelineFor(pipeline)
      const scope = conn.principal.pipelines
      if (scope && !scope.includes(name)) throw new ContractError('forbidden', `your access token does not allow the ${name} pipeline (its scope: ${scope.join(', ')})`)
      const session = await manager.create(name, { principal: conn.principal.id, address: conn.addressKey })
      try {
        bind(conn, session)
      } catch (error) {
        await session.close()
        throw error
      }
      // The client's next request is its send transport; make it while the client loads its Device.
      session.prepareSendTransport()
      return joined(session)
    },
    resume({ sessionId, token }, conn) {
      const session = manager.resumable(sessionId, token)
      bind(conn, session)
      return {
        ...joined(session),
        transports: [...session.transports.values()].map(({ transport, direction }) => ({ id: transport.id, direction, iceState: transport.iceState }))
      }
    },
    async createTransport({ direction }, conn) {
      return transportOptions(await current(conn).createTransport(direction))
    },
    async connectTransport({ transportId, dtlsParameters }, conn) {
      await current(conn).connectTransport(transportId, dtlsParameters as ms.DtlsParameters)
      return {}
    },
    async restartIce({ transportId }, conn) {
      return { iceParameters: await current(conn).restartIce(transportId) }
    },
    async produce({ transportId, rtpParameters, paused }, conn) {
      const producer = await current(conn).produce(transportId, rtpParameters as ms.RtpParameters, paused ?? false)
      return { id: producer.id }
    },
    async setProducerPaused({ producerId, paused }, conn) {
      return { paused: await current(conn).setProducerPaused(producerId, paused) }
    },
    async consume({ transportId, rtpCapabilities }, conn) {
      const session = current(conn)
      const consumer = await session.consumeReply(transportId, rtpCapabilities as ms.RtpCapabilities)
      return { id: consumer.id, producerId: consumer.producerId, kind: 'audio' as const, rtpParameters: consumer.rtpParameters as never }
    },
    async resumeConsumer({ consumerId }, conn) {
      await current(conn).resumeConsumer(consumerId)
      return {}
    },
    clientEvent(event, conn) {
      current(conn).clientEvent(event)
      return {}
    },
    backfillAudio({ frames, done }, conn) {
      return { accepted: current(conn).backfill(frames, done) }
    },
    async leave(_params, conn) {
      const session = current(conn)
      unbind(conn.id)
      await session.close()
      return {}
    }
  }
}

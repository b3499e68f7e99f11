import { timingSafeEqual } from 'node:crypto'
import { ContractError } from '../../shared/contract/errors'
import type { SessionPipelineName } from '../../shared/contract/signaling'
import type { PipelineFactory } from '../pipelines/types'
import type { WorkerSlot } from './workerSlot'
import { Session } from './session'
import { JoinAdmission } from '../limits/joinAdmission'
import type { FairLimits, SessionOwner } from '../limits/fairLimits'
import type { Logger } from '../../shared/logging/logger'

/**
 * How long a session whose signaling dropped waits to be resumed. With signaling's ping/pong (a dead link is found
 * within 10 s, see DEFAULT_SIGNALING_TIMEOUTS) a half-open peer's session is freed within 25 s; 15 s covers the
 * client's reconnect backoff through its sixth attempt (250 ms doubling: 0.25 + 0.5 + … + 8 s ≈ 15.75 s).
 */
export const DEFAULT_DETACHED_GRACE_MS = 15_000
/** Sessions created without an owner (in-process callers, tests) count against this one. */
const LOCAL_OWNER: SessionOwner = { principal: 'local', address: 'local' }

export interface SessionManagerOptions {
  /** How long a session whose signaling dropped waits to be resumed before it is closed. */
  detachedGraceMs?: number
  /** Shorthand for limits.maxSessions. */
  maxSessions?: number
  /** Fairness limits: join rate, sessions per principal and per address (defaults: DEFAULT_FAIR_LIMITS). */
  limits?: Partial<FairLimits>
  now?: () => number
  defaultPipeline?: SessionPipelineName
  /** The pipelines sessions may run, by name (startBackend passes every one, with a caller's replacements). */
  pipelines?: Partial<Record<SessionPipelineName, PipelineFactory>>
  logger?: Logger
}

/**
 * All sessions of this backend. New sessions go to the worker with the fewest sessions; each session's router lives
 * on that worker and its transports use that worker's single WebRtcServer port. A session whose signaling connection
 * dropped is kept for `detachedGraceMs` so the client can resume it with its token; then it is closed.
 */
export class SessionManager {
  private readonly sessions = new Map<string, Session>()
  private readonly graceTimers = new Map<string, ReturnType<typeof setTimeout>>()
  private readonly perWorker: number[]
  private readonly createdListeners = new Set<(s: Session) => void>()
  private closing = false
  /** Join rate and session quotas; every session is counted against its owner until it closes. */
  readonly admission: JoinAdmission
  private readonly now: () => number
  private readonly graceMs: number

  constructor(private readonly slots: readonly WorkerSlot[], private readonly opts: SessionManagerOptions = {}) {
    this.perWorker = slots.map(() => 0)
    this.admission = new JoinAdmission({ ...opts.limits, ...(opts.maxSessions !== undefined ? { maxSessions: opts.maxSessions } : {}) })
    this.now = opts.now ?? Date.now
    this.graceMs = opts.detachedGraceMs ?? DEFAULT_DETACHED_GRACE_MS
  }

  /** The pipeline a join gets when it names `pipeline` (or none). */
  pipelineFor(pipeline?: SessionPipelineName): SessionPipelineName {
    return pipeline ?? this.opts.defaultPipeline ?? 'echo'
  }

  get size(): number {
    return this.sessions.size
  }

  get sessionsPerWorker(): readonly number[] {
    return [...this.perWorker]
  }

  /** Observe new sessions (tests and benches tap decoded audio this way). */
  onSessionCreated(listener: (s: Session) => void): () => void {
    this.createdListeners.add(listener)
    return () => this.createdListeners.delete(listener)
  }

  /** A new session for `owner`, if the fairness limits admit it (else ContractError limit_exceeded naming the limit). */
  async create(pipeline?: SessionPipelineName, owner: SessionOwner = LOCAL_OWNER): Promise<Session> {
    if (this.closing) throw new ContractError('unavailable', 'backend is shutting down')
    if (this.slots.length === 0) throw new ContractError('unavailable', 'backend has no workers')
    this.admission.admit(owner, this.now())
    // startBackend fills `slots` after constructing the manager: size the counters to the slots that exist now.
    while (this.perWorker.length < this.slots.length) this.perWorker.push(0)
    let index = 0
    for (let i = 1; i < this.perWorker.length; i++) if (this.perWorker[i]! < this.perWorker[index]!) index = i
    const slot = this.slots[index]!
    const name = this.pipelineFor(pipeline)
    const factory = this.opts.pipelines?.[name]
    if (!factory) throw new ContractError('unavailable', `this backend runs no ${name} pipeline`)
    this.perWorker[index]!++
    let session: Session
    try {
      session = await Session.create({
        worker: slot.worker,
        workerIndex: slot.index,
        webRtcServer: slot.webRtcServer,
        pipelineName: name,
        pipelineFactory: factory,
        logger: this.opts.logger
      })
    } catch (error) {
      this.perWorker[index]!--
      this.admission.release(owner)
      throw error
    }
    this.sessions.set(session.id, session)
    session.onClose(() => {
      this.sessions.delete(session.id)
      this.perWorker[index]!--
      this.admission.release(owner)
      const timer = this.graceTimers.get(session.id)
      if (timer) clearTimeout(timer)
      this.graceTimers.delete(session.id)
    })
    this.opts.logger?.info('session created', { sessionId: session.id, pipeline: name, worker: slot.index })
    for (const l of this.createdListeners) l(session)
    return session
  }

  /** The session for a resume request, if the token matches. Unknown id and wrong token look the same to a caller. */
  resumable(sessionId: string, token: string): Session {
    const session = this.sessions.get(sessionId)
    const a = Buffer.from(token)
    const b = Buffer.from(session?.token ?? '')
    if (!session || a.length !== b.length || !timingSafeEqual(a, b)) {
      throw new ContractError('unauthorized', 'no such session, or the token does not match')
    }
    return session
  }

  /** The session lost its signaling connection: close it unless resumed within the grace period. */
  detach(session: Session): void {
    if (session.closed) return
    session.setNotifier(null)
    const existing = this.graceTimers.get(session.id)
    if (existing) clearTimeout(existing)
    this.graceTimers.set(
      session.id,
      setTimeout(() => {
        this.graceTimers.delete(session.id)
        this.opts.logger?.info('session not resumed within the grace period: closing it and its transports', { sessionId: session.id, graceMs: this.graceMs })
        void session.close()
      }, this.graceMs)
    )
  }

  attach(session: Session): void {
    const timer = this.graceTimers.get(session.id)
    if (timer) clearTimeout(timer)
    this.graceTimers.delete(session.id)
  }

  async closeAll(): Promise<void> {
    this.closing = true
    await Promise.all([...this.sessions.values()].map((s) => s.close()))
    for (const t of this.graceTimers.values()) clearTimeout(t)
    this.graceTimers.clear()
  }
}

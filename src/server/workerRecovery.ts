import { backoffDelayMs } from '../shared/backoff'
import { SESSION_NOTIFICATION, type SessionNotification } from '../shared/contract/signaling'
import type { SignalingConnection } from './signalingServer'
import type { SessionHandlers } from './sessions/signalingHandlers'
import type { SessionManager } from './sessions/sessionManager'
import type { WorkerSlot } from './sessions/workerSlot'
import { silentLogger, type Logger } from '../shared/logging/logger'

export interface WorkerRecoveryOptions {
  /** The backend's slots; a dead worker's slot is replaced in place (the SessionManager reads the same array). */
  slots: WorkerSlot[]
  /** Start a worker and its WebRtcServer for slot `index` (the dead one's RTC port is offered for reuse). */
  createSlot: (index: number, previousPort: number) => Promise<WorkerSlot>
  sessions: SessionManager
  /** The new slot is in service (e.g. the relay attachment starts watching its WebRtcServer). */
  onReplaced?: (slot: WorkerSlot) => void
  /** Workers keep dying (more than `maxDeathsPerMinute`) or cannot be started again: the backend is unusable. */
  onFatal?: (error: Error) => void
  logger?: Logger
  /** Default 5: a worker that dies more often than this in a minute is a crash loop, not bad luck. */
  maxDeathsPerMinute?: number
  /** Default 5: attempts (with backoff) to start the replacement before giving up. */
  maxStartAttempts?: number
  /** How long a join waits for a replacement in progress before it is answered (default 10 s). */
  joinWaitMs?: number
}

/**
 * A mediasoup worker that dies takes its routers, and so its sessions, with it. Instead of exiting, the backend
 * starts a new worker and WebRtcServer in that slot (same index, the same RTC port when it is free), and tells every
 * client whose session was on the dead worker (`session` notification `sessionLost`), so it joins again on the same
 * signaling connection and lands on the new worker. Joins that arrive while a replacement starts wait for it.
 */
export class WorkerRecovery {
  /** session id → the connection it is bound to (join or the latest resume). */
  private readonly bound = new Map<string, SignalingConnection>()
  private readonly replacing = new Map<number, Promise<void>>()
  private readonly deaths: number[] = []
  private closed = false
  private readonly logger: Logger

  constructor(private readonly opts: WorkerRecoveryOptions) {
    this.logger = opts.logger ?? silentLogger
    opts.sessions.onSessionCreated((session) => {
      // 'workerclose' comes before the router's observer 'close' (which closes the session): the binding is still here.
      session.router.once('workerclose', () => {
        const conn = this.bound.get(session.id)
        if (!conn) return
        const note: SessionNotification = { sessionId: session.id, type: 'sessionLost', serverTime: Date.now(), detail: { reason: 'worker_died', worker: session.workerIndex } }
        conn.notify(SESSION_NOTIFICATION, note)
      })
      session.onClose(() => this.bound.delete(session.id))
    })
  }

  /** Replace `slot`'s worker when it dies. */
  watch(slot: WorkerSlot): void {
    slot.worker.once('died', (error: Error) => {
      this.logger.error('mediasoup worker died', { worker: slot.index, pid: slot.worker.pid, error: error.message })
      if (this.closed) return
      const now = Date.now()
      this.deaths.push(now)
      while (this.deaths.length && now - this.deaths[0]! > 60_000) this.deaths.shift()
      const max = this.opts.maxDeathsPerMinute ?? 5
      if (this.deaths.length > max) {
        this.opts.onFatal?.(new Error(`mediasoup workers died ${this.deaths.length} times within a minute (last: worker ${slot.index}, ${error.message})`))
        return
      }
      const done = this.replace(slot).finally(() => this.replacing.delete(slot.index))
      this.replacing.set(slot.index, done)
    })
  }

  /** Track which connection holds each session; joins wait for a replacement in progress. */
  wrapHandlers<H extends Pick<SessionHandlers, 'join' | 'resume'>>(handlers: H): H {
    return {
      ...handlers,
      join: async (params, conn) => {
        await this.replacementsDone()
        const result = await handlers.join(params, conn)
        this.bound.set(result.sessionId, conn)
        return result
      },
      resume: async (params, conn) => {
        const result = await handlers.resume(params, conn)
        this.bound.set(result.sessionId, conn)
        return result
      }
    }
  }

  /** Resolves when no replacement is in progress (at most joinWaitMs). */
  async replacementsDone(): Promise<void> {
    if (this.replacing.size === 0) return
    let timer: ReturnType<typeof setTimeout> | undefined
    await Promise.race([Promise.allSettled([...this.replacing.values()]), new Promise((r) => (timer = setTimeout(r, this.opts.joinWaitMs ?? 10_000)))])
    clearTimeout(timer)
  }

  /** Stop replacing (the backend is closing); a replacement that finishes afterwards is closed at once. */
  close(): void {
    this.closed = true
  }

  private async replace(dead: WorkerSlot): Promise<void> {
    const attempts = this.opts.maxStartAttempts ?? 5
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, backoffDelayMs(attempt - 1)))
      if (this.closed) return
      let slot: WorkerSlot
      try {
        slot = await this.opts.createSlot(dead.index, dead.rtcPort)
      } catch (error) {
        this.logger.warn('replacing a mediasoup worker failed', { worker: dead.index, attempt: attempt + 1, attempts, error: (error as Error).message })
        continue
      }
      if (this.closed) {
        slot.worker.close()
        return
      }
      this.opts.slots[dead.index] = slot
      this.watch(slot)
      this.opts.onReplaced?.(slot)
      this.logger.info('mediasoup worker replaced', { worker: dead.index, pid: slot.worker.pid, rtcPort: slot.rtcPort })
      return
    }
    this.opts.onFatal?.(new Error(`mediasoup worker ${dead.index} died and could not be started again (${attempts} attempts)`))
  }
}

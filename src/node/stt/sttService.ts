import { fileURLToPath } from 'node:url'
import type { Worker } from 'node:worker_threads'
import { startModuleWorker } from '../worker/moduleWorker'
import { SttError, type SttErrorCode, type SttResult } from './engine'
import type { Logger } from '../../shared/logging/logger'

export type SttToWorker = { type: 'transcribe'; requestId: number; modelId: string; modelDir: string; audio: Float32Array }
export type SttFromWorker =
  | { type: 'result'; requestId: number; result: SttResult; loadMs: number }
  | { type: 'error'; requestId: number; code: SttErrorCode; message: string }

/** What one transcription cost, on top of the engine's own result. */
export interface SttServiceResult extends SttResult {
  /** Time the utterance waited behind others before the worker took it. */
  queueMs: number
  /** From handing the utterance to the worker until its result was back: the overlay's `stt_compute_ms`. Includes
   * loading the model when it was not loaded yet (loadMs). */
  computeMs: number
  /** The part of computeMs spent loading the model (0 when it was already loaded). */
  loadMs: number
}

export interface SttServiceOptions {
  /** The worker's module: the built sttWorker.js in a bundle; the TypeScript source by default. */
  workerPath?: string
  logger?: Logger
  /** Utterances that may wait behind the one being transcribed; one more is refused at once (SttError 'busy'). */
  maxQueued?: number
  /** After this many worker crashes within a minute the service stops restarting it until the minute has passed. */
  maxCrashesPerMinute?: number
  /** Clock in ms (performance.now by default); tests pass their own. */
  now?: () => number
}

/**
 * Default queue bound. A 3 s utterance costs the Tiny model ≈ 150 ms on this 2-core machine (`bench stt`, stand-in,
 * p50 148 ms; Base 209 ms), so the eighth waiting utterance starts about 1.2 s late: past that, failing at once (the
 * caller falls back to another engine or says it could not hear) is better than answering later still.
 */
export const DEFAULT_MAX_QUEUED = 8
const CRASH_WINDOW_MS = 60_000

interface Job {
  id: number
  modelId: string
  modelDir: string
  audio: Float32Array
  enqueuedAt: number
  settled: boolean
  resolve: (r: SttServiceResult) => void
  reject: (e: Error) => void
  detach: () => void
}

const SOURCE_WORKER = new URL('./sttWorker.ts', import.meta.url)

/**
 * The face of on-device STT for the process that owns it (the app's main process, the backend): transcribes
 * utterances on a worker thread so decoding never blocks the caller's event loop. The worker is started on first use
 * and keeps the engine loaded between utterances.
 *  - One utterance in flight at a time (the engine uses both cores for one utterance; two at once would each take
 *    twice as long); the others wait in a bounded FIFO queue, and a full queue refuses at once with SttError 'busy'.
 *  - Each result says how long it waited (queueMs) and what it cost (computeMs, loadMs).
 *  - A worker that dies (an uncaught error, out of memory, a native fault in a kernel that only kills the thread)
 *    fails the utterance it was working on with SttError 'crashed' and is restarted for the next one; after
 *    `maxCrashesPerMinute` crashes the service refuses work for the rest of that minute instead of crash-looping.
 *  - Plain Node (worker_threads): no Electron, usable from the backend process.
 */
export class SttService {
  private worker: Worker | null = null
  private workerError: string | null = null
  private nextId = 1
  private readonly queue: Job[] = []
  private inFlight: { job: Job; postedAt: number } | null = null
  private readonly crashes: number[] = []
  private restarts = 0
  private restartPending = false
  private readonly now: () => number
  private readonly maxQueued: number
  private readonly maxCrashes: number

  constructor(private readonly opts: SttServiceOptions = {}) {
    this.now = opts.now ?? (() => performance.now())
    this.maxQueued = opts.maxQueued ?? DEFAULT_MAX_QUEUED
    this.maxCrashes = opts.maxCrashesPerMinute ?? 3
  }

  /**
   * Transcribe one utterance of 16 kHz mono audio with the model in `modelDir`. The audio's buffer is transferred to
   * the worker when the utterance's turn comes (do not use it afterwards). Rejects with an SttError: 'busy' when the
   * queue is full, 'crashed' when the worker died on this utterance, 'cancelled' when `signal` aborted first,
   * 'stopped' when the service was stopped, or the engine's own code (no_model, bad_model, bad_audio, inference).
   */
  transcribe(modelId: string, modelDir: string, audio: Float32Array, opts: { signal?: AbortSignal } = {}): Promise<SttServiceResult> {
    const { signal } = opts
    if (signal?.aborted) return Promise.reject(new SttError('cancelled', 'the transcription was cancelled before it started'))
    const paused = this.pausedFor()
    if (paused !== null) return Promise.reject(this.pausedError(paused))
    if (this.inFlight !== null && this.queue.length >= this.maxQueued) {
      return Promise.reject(new SttError('busy', `on-device speech recognition is busy: ${this.queue.length} utterance${this.queue.length === 1 ? '' : 's'} already waiting behind the one being transcribed (at most ${this.maxQueued}); this one was not transcribed`))
    }
    return new Promise<SttServiceResult>((resolve, reject) => {
      const job: Job = {
        id: this.nextId++,
        modelId,
        modelDir,
        audio,
        enqueuedAt: this.now(),
        settled: false,
        resolve: (r) => {
          if (job.settled) return
          job.settled = true
          job.detach()
          resolve(r)
        },
        reject: (e) => {
          if (job.settled) return
          job.settled = true
          job.detach()
          reject(e)
        },
        detach: () => undefined
      }
      if (signal) {
        const onAbort = (): void => {
          const at = this.queue.indexOf(job)
          if (at >= 0) this.queue.splice(at, 1)
          // In flight: the worker finishes it and the result is dropped; the caller is told now.
          job.reject(new SttError('cancelled', 'the transcription was cancelled'))
        }
        signal.addEventListener('abort', onAbort, { once: true })
        job.detach = () => signal.removeEventListener('abort', onAbort)
      }
      this.queue.push(job)
      this.pump()
    })
  }

  /** For a server's status line and tests: what is waiting, whether the worker is busy, how often it was restarted. */
  status(): { queued: number; busy: boolean; restarts: number; crashesLastMinute: number } {
    this.pruneCrashes()
    return { queued: this.queue.length, busy: this.inFlight !== null, restarts: this.restarts, crashesLastMinute: this.crashes.length }
  }

  /** Stop the worker; pending utterances fail with SttError 'stopped'. A later transcribe starts a new worker. */
  async stop(): Promise<void> {
    const worker = this.worker
    this.worker = null
    const stopped = (): SttError => new SttError('stopped', 'on-device speech recognition was stopped')
    this.inFlight?.job.reject(stopped())
    this.inFlight = null
    for (const job of this.queue.splice(0)) job.reject(stopped())
    if (worker) await worker.terminate()
  }

  private pump(): void {
    while (!this.inFlight && this.queue.length) {
      const job = this.queue.shift()!
      if (job.settled) continue
      const paused = this.pausedFor()
      if (paused !== null) {
        job.reject(this.pausedError(paused))
        continue
      }
      const worker = this.ensureWorker()
      const message: SttToWorker = { type: 'transcribe', requestId: job.id, modelId: job.modelId, modelDir: job.modelDir, audio: job.audio }
      try {
        worker.postMessage(message, job.audio.buffer instanceof ArrayBuffer ? [job.audio.buffer] : [])
      } catch (error) {
        job.reject(new SttError('bad_audio', `the audio could not be handed to the speech recognition worker: ${(error as Error).message}`))
        continue
      }
      this.inFlight = { job, postedAt: this.now() }
    }
  }

  private onMessage(worker: Worker, m: SttFromWorker): void {
    const flight = this.inFlight
    if (worker !== this.worker || !flight || flight.job.id !== m.requestId) return
    this.inFlight = null
    const { job, postedAt } = flight
    if (m.type === 'result') job.resolve({ ...m.result, queueMs: postedAt - job.enqueuedAt, computeMs: this.now() - postedAt, loadMs: m.loadMs })
    else job.reject(new SttError(m.code, m.message))
    this.pump()
  }

  private onExit(worker: Worker, exitCode: number): void {
    if (worker !== this.worker) return // stopped on purpose
    this.worker = null
    const reason = this.workerError ?? `the thread exited with code ${exitCode}`
    this.workerError = null
    this.crashes.push(this.now())
    this.pruneCrashes()
    const flight = this.inFlight
    this.inFlight = null
    const paused = this.pausedFor()
    if (paused === null) this.opts.logger?.error('on-device STT worker died; it is restarted for the next utterance', { reason })
    else this.opts.logger?.error('on-device STT worker died again; not restarting for a while', { reason, crashesInMinute: this.crashes.length, pausedMs: paused })
    flight?.job.reject(
      new SttError('crashed', `the speech recognition worker crashed while transcribing this utterance (${reason}); ${paused === null ? 'it has been restarted, so the next utterance will be transcribed' : `it crashed ${this.crashes.length} times within a minute and is paused for ${Math.ceil(paused / 1000)} s`}`)
    )
    this.restartPending = true
    this.pump()
  }

  private pruneCrashes(): void {
    const now = this.now()
    while (this.crashes.length && now - this.crashes[0]! >= CRASH_WINDOW_MS) this.crashes.shift()
  }

  /** ms until the crash window lets the worker start again, or null when it may start now. */
  private pausedFor(): number | null {
    this.pruneCrashes()
    if (this.crashes.length < this.maxCrashes) return null
    return CRASH_WINDOW_MS - (this.now() - this.crashes[0]!)
  }

  private pausedError(ms: number): SttError {
    return new SttError('crashed', `on-device speech recognition is paused for ${Math.ceil(ms / 1000)} s: its worker crashed ${this.crashes.length} times within a minute (see the log)`)
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker
    const worker = startModuleWorker(this.opts.workerPath ?? fileURLToPath(SOURCE_WORKER), null)
    if (this.restartPending) this.restarts++
    this.restartPending = false
    worker.on('message', (m: SttFromWorker) => this.onMessage(worker, m))
    worker.on('error', (error) => {
      if (worker === this.worker) this.workerError = error.message
      // The thread's uncaught error, with its stack (the exit line below says what happened to the utterance).
      this.opts.logger?.error('on-device STT worker thread threw', { error: error.message, stack: error.stack })
    })
    worker.on('exit', (code) => this.onExit(worker, code))
    this.worker = worker
    return worker
  }
}

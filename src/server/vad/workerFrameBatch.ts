import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Worker } from 'node:worker_threads'
import { startModuleWorker } from '../../node/worker/moduleWorker'
import type { FrameBatch } from './frameBatch'
import type { FromServerVadWorker, ServerVadWorkerData, ToServerVadWorker } from './serverVadProtocol'
import { silentLogger, type Logger } from '../../shared/logging/logger'

export const SERVER_VAD_WORKER_BUNDLE = 'serverVadWorker.js'

/**
 * Where the server VAD thread's module is: the built `serverVadWorker.js` entry next to the backend bundle (this
 * module may sit in out/main or out/main/chunks), else the TypeScript source next to this file (tsx runs, tests).
 */
export function resolveServerVadWorkerPath(moduleUrl: string = import.meta.url, exists: (p: string) => boolean = existsSync): string {
  const here = dirname(fileURLToPath(moduleUrl))
  for (const dir of [here, dirname(here)]) {
    const built = join(dir, SERVER_VAD_WORKER_BUNDLE)
    if (exists(built)) return built
  }
  const source = join(here, 'serverVadWorker.ts')
  if (exists(source)) return source
  throw new Error(`the server VAD thread's module is missing: no ${SERVER_VAD_WORKER_BUNDLE} in ${here} or ${dirname(here)}, no serverVadWorker.ts (run npm run build)`)
}

export interface WorkerFrameBatchOptions {
  workerPath?: string
  modelPath?: string
  initialSlots?: number
  /** See ServerVadWorkerData.silenceGateRms (0 turns the gate off). */
  silenceGateRms?: number
  /** Errors the thread reports outside any request (a malformed reset). */
  logger?: Logger
}

/**
 * The batched Silero VAD on its own thread (serverVadWorker.ts), as a FrameBatch: `process` copies the packed frames
 * into memory shared with the thread (a SharedArrayBuffer, reused: nothing is allocated or cloned per call) and
 * resolves with their probabilities. Calls run one at a time (the owner awaits each). If the thread dies, every
 * pending and later call fails with the reason and `alive` turns false, so the owner can start a new one.
 */
export class WorkerFrameBatch implements FrameBatch {
  private readonly pending = new Map<number, { resolve: (p: Float32Array) => void; reject: (e: Error) => void }>()
  private nextId = 1
  private deadReason: string | null = null
  private sharedSlots = new Int32Array(new SharedArrayBuffer(64 * 4))
  private sharedFrames = new Float32Array(new SharedArrayBuffer(64 * 512 * 4))
  /** Time inside the model on the thread (ms), summed. */
  inferenceMs = 0
  /** Frames the thread's silence gate answered without the model. */
  framesGated = 0

  private constructor(
    private readonly worker: Worker,
    private readonly logger: Logger
  ) {}

  static start(opts: WorkerFrameBatchOptions = {}): Promise<WorkerFrameBatch> {
    const data: ServerVadWorkerData = { modelPath: opts.modelPath, initialSlots: opts.initialSlots ?? 64, silenceGateRms: opts.silenceGateRms }
    const worker = startModuleWorker(opts.workerPath ?? resolveServerVadWorkerPath(), data)
    // The backend decides when to exit; an idle VAD thread must not hold it open.
    worker.unref()
    const batch = new WorkerFrameBatch(worker, opts.logger ?? silentLogger)
    return new Promise((resolve, reject) => {
      let started = false
      worker.on('message', (m: FromServerVadWorker) => {
        if (m.type === 'ready') {
          started = true
          resolve(batch)
        } else if (m.type === 'fatal') {
          batch.die(m.message)
          void worker.terminate()
          if (!started) reject(new Error(m.message))
        } else batch.onMessage(m)
      })
      worker.on('error', (error) => {
        // The thread's uncaught error, with its stack; its owner (BatchedServerVad) logs the restart with the reason.
        batch.logger.error('server VAD thread threw', { error: error.message, stack: error.stack })
        batch.die(`the server VAD thread failed: ${error.message}`)
        if (!started) reject(new Error(batch.deadReason!))
      })
      worker.on('exit', (code) => {
        batch.die(`the server VAD thread exited (code ${code})`)
        if (!started) reject(new Error(batch.deadReason!))
      })
    })
  }

  get alive(): boolean {
    return this.deadReason === null
  }

  process(slots: Int32Array, frames: Float32Array): Promise<Float32Array> {
    if (this.deadReason) return Promise.reject(new Error(this.deadReason))
    if (this.pending.size > 0) return Promise.reject(new Error('WorkerFrameBatch.process called again before the previous call finished'))
    if (this.sharedSlots.length < slots.length || this.sharedFrames.length < frames.length) {
      // The thread may still hold views of the old buffers from the last call; it is done with them (calls are serial).
      this.sharedSlots = new Int32Array(new SharedArrayBuffer(Math.max(slots.length * 2, 64) * 4))
      this.sharedFrames = new Float32Array(new SharedArrayBuffer(Math.max(frames.length * 2, 64 * 512) * 4))
    }
    const sharedSlots = this.sharedSlots.subarray(0, slots.length)
    const sharedFrames = this.sharedFrames.subarray(0, frames.length)
    sharedSlots.set(slots)
    sharedFrames.set(frames)
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      // Views of shared memory: the message carries them without copying the samples.
      const message: ToServerVadWorker = { type: 'process', id, slots: sharedSlots, frames: sharedFrames }
      this.worker.postMessage(message)
    })
  }

  resetStream(slot: number): void {
    if (!this.deadReason) this.worker.postMessage({ type: 'reset', slot } satisfies ToServerVadWorker)
  }

  close(): Promise<void> {
    this.die('the server VAD thread was closed')
    return this.worker.terminate().then(() => undefined)
  }

  private onMessage(m: FromServerVadWorker): void {
    if (m.type === 'probs') {
      this.inferenceMs += m.inferenceMs
      this.framesGated += m.gated
      const p = this.pending.get(m.id)
      this.pending.delete(m.id)
      p?.resolve(m.probs)
    } else if (m.type === 'error') {
      const p = m.id === null ? undefined : this.pending.get(m.id)
      if (!p) return this.logger.warn('server VAD thread error', { error: m.message })
      this.pending.delete(m.id!)
      p.reject(new Error(m.message))
    }
  }

  private die(reason: string): void {
    if (this.deadReason) return
    this.deadReason = reason
    for (const p of this.pending.values()) p.reject(new Error(reason))
    this.pending.clear()
  }
}

import { fileURLToPath } from 'node:url'
import type { Worker } from 'node:worker_threads'
import type { VadEvent, VadStatus } from '../../../shared/contract/voice'
import { TypedEmitter } from '../../../shared/typedEmitter'
import { DEFAULT_ENDPOINTER_CONFIG, type EndpointerConfig } from '../../../shared/voice/endpointer'
import { startModuleWorker } from '../../../node/worker/moduleWorker'
import type { VadFromWorker, VadToWorker, VadWorkerData } from './vadProtocol'
import { silentLogger, type Logger } from '../../../shared/logging/logger'

export interface LocalUtterance {
  utteranceId: number
  /** 16 kHz mono, pre-roll included. */
  audio: Float32Array
  audioStartMs: number
}

export type VadServiceEvents = {
  vadEvent: VadEvent
  utterance: LocalUtterance
  status: VadStatus
}

export interface VadServiceOptions {
  /** The built worker (electron-vite `?modulePath`); defaults to the TypeScript source run through tsx. */
  workerPath?: string
  modelPath?: string
  /** Endpointing settings, read whenever the worker starts. */
  config?: () => Partial<EndpointerConfig>
  logger?: Logger
}

/** Source worker, for tests, benches and `tsx` runs; the app bundle passes its built worker path instead. */
const SOURCE_WORKER = new URL('./vadWorker.ts', import.meta.url)

/**
 * The main-process face of local VAD: receives capture-tap audio, runs Silero + endpointing on a worker thread, and
 * emits endpointing events (with wall-clock stamps) and committed utterance audio. Audio arriving before the model
 * is loaded is queued by the worker's port, not dropped. Restarts the worker if it dies.
 */
export class VadService {
  readonly events = new TypedEmitter<VadServiceEvents>()
  private worker: Worker | null = null
  private current: VadStatus = { state: 'loading', detail: null, frames: 0, probability: 0 }
  private readyWaiters: Array<(ok: boolean) => void> = []
  private stopped = false
  private readonly logger: Logger

  constructor(private readonly opts: VadServiceOptions = {}) {
    this.logger = opts.logger ?? silentLogger
  }

  get status(): VadStatus {
    return this.current
  }

  start(): void {
    if (this.worker || this.stopped) return
    const path = this.opts.workerPath ?? fileURLToPath(SOURCE_WORKER)
    const data: VadWorkerData = { modelPath: this.opts.modelPath, config: this.opts.config?.() ?? {} }
    const worker = startModuleWorker(path, data)
    this.worker = worker
    this.setStatus({ state: 'loading', detail: 'loading the Silero VAD model', frames: 0, probability: 0 })
    worker.on('message', (m: VadFromWorker) => this.onMessage(m))
    worker.on('error', (error) => {
      this.logger.error('VAD worker failed', { error })
      this.setStatus({ ...this.current, state: 'error', detail: `voice detection stopped: ${error.message}` })
    })
    worker.on('exit', (code) => {
      if (this.worker === worker) this.worker = null
      this.settleReady(false)
      if (!this.stopped && code !== 0) this.logger.warn('VAD worker exited', { code })
    })
  }

  /** Resolves true once the model is loaded (false if loading failed or the service stopped). */
  ready(): Promise<boolean> {
    if (this.current.state === 'ready') return Promise.resolve(true)
    if (this.current.state === 'error' && !this.worker) return Promise.resolve(false)
    return new Promise((resolve) => this.readyWaiters.push(resolve))
  }

  /** 16 kHz mono samples from the capture tap. The array is transferred to the worker (do not reuse it). */
  pushAudio(samples: Float32Array): void {
    if (!this.worker) this.start()
    const message: VadToWorker = { type: 'audio', samples }
    this.worker?.postMessage(message, [samples.buffer as ArrayBuffer])
  }

  flush(): void {
    this.worker?.postMessage({ type: 'flush' } satisfies VadToWorker)
  }

  reset(): void {
    this.worker?.postMessage({ type: 'reset' } satisfies VadToWorker)
    this.setStatus({ ...this.current, frames: 0, probability: 0 })
  }

  /** New endpointing settings (read through opts.config) take effect on a fresh worker; the stream restarts. */
  async reconfigure(): Promise<void> {
    if (!this.worker) return
    await this.restart()
  }

  async stop(): Promise<void> {
    this.stopped = true
    const worker = this.worker
    this.worker = null
    this.settleReady(false)
    if (worker) await worker.terminate()
  }

  private async restart(): Promise<void> {
    const worker = this.worker
    this.worker = null
    if (worker) await worker.terminate()
    this.start()
  }

  private onMessage(m: VadFromWorker): void {
    switch (m.type) {
      case 'ready':
        this.setStatus({ state: 'ready', detail: null, frames: 0, probability: 0 })
        this.settleReady(true)
        break
      case 'fatal':
        this.logger.error('VAD failed', { error: m.message })
        this.setStatus({ state: 'error', detail: m.message, frames: 0, probability: 0 })
        this.settleReady(false)
        break
      case 'error':
        this.logger.warn('VAD error', { error: m.message })
        break
      case 'probe':
        this.setStatus({ ...this.current, frames: m.frames, probability: clamp01(m.probability) })
        break
      case 'events': {
        const wallTime = Date.now()
        for (const event of m.events) this.events.emit('vadEvent', { ...event, wallTime } as VadEvent)
        for (const u of m.utterances) this.events.emit('utterance', u)
        this.setStatus({ ...this.current, frames: m.frames, probability: clamp01(m.probability) })
        break
      }
    }
  }

  /** Ask the worker how many frames it has classified (status refresh for the UI and tests). */
  probe(): void {
    this.worker?.postMessage({ type: 'probe' } satisfies VadToWorker)
  }

  private settleReady(ok: boolean): void {
    for (const w of this.readyWaiters.splice(0)) w(ok)
  }

  private setStatus(next: VadStatus): void {
    this.current = next
    this.events.emit('status', next)
  }
}

/** The user's listening settings as endpointer settings (deactivation follows activation at Silero's −0.15). */
export function endpointerConfigFromSettings(listening: { vadThreshold: number; vadMinSilenceMs: number }): Partial<EndpointerConfig> {
  const defaults = DEFAULT_ENDPOINTER_CONFIG
  return {
    activationThreshold: listening.vadThreshold,
    deactivationThreshold: Math.max(0.01, Math.round((listening.vadThreshold - 0.15) * 1000) / 1000),
    minSilenceMs: listening.vadMinSilenceMs,
    speechEndSilenceMs: Math.min(defaults.speechEndSilenceMs, listening.vadMinSilenceMs)
  }
}

function clamp01(x: number): number {
  return Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0
}

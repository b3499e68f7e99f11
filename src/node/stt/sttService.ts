import { fileURLToPath } from 'node:url'
import type { Worker } from 'node:worker_threads'
import { startModuleWorker } from '../worker/moduleWorker'
import { SttError, type SttResult } from './engine'

export type SttToWorker = { type: 'transcribe'; requestId: number; modelId: string; modelDir: string; audio: Float32Array }
export type SttFromWorker =
  | { type: 'result'; requestId: number; result: SttResult }
  | { type: 'error'; requestId: number; code: SttError['code']; message: string }

const SOURCE_WORKER = new URL('./sttWorker.ts', import.meta.url)

/**
 * Main-thread face of the fallback STT: transcribes utterances on a worker thread (started on first use, engine
 * kept loaded between utterances), so decoding never blocks the Electron main process.
 */
export class SttService {
  private worker: Worker | null = null
  private nextId = 1
  private readonly pending = new Map<number, { resolve: (r: SttResult) => void; reject: (e: Error) => void }>()

  constructor(private readonly opts: { workerPath?: string; log?: (line: string) => void } = {}) {}

  transcribe(modelId: string, modelDir: string, audio: Float32Array): Promise<SttResult> {
    const worker = this.ensureWorker()
    const requestId = this.nextId++
    return new Promise((resolve, reject) => {
      this.pending.set(requestId, { resolve, reject })
      worker.postMessage({ type: 'transcribe', requestId, modelId, modelDir, audio } satisfies SttToWorker, [audio.buffer as ArrayBuffer])
    })
  }

  async stop(): Promise<void> {
    const worker = this.worker
    this.worker = null
    if (worker) await worker.terminate()
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker
    const worker = startModuleWorker(this.opts.workerPath ?? fileURLToPath(SOURCE_WORKER), null)
    worker.on('message', (m: SttFromWorker) => {
      const waiter = this.pending.get(m.requestId)
      this.pending.delete(m.requestId)
      if (!waiter) return
      if (m.type === 'result') waiter.resolve(m.result)
      else waiter.reject(new SttError(m.code, m.message))
    })
    const failAll = (message: string): void => {
      for (const [, w] of this.pending) w.reject(new SttError('inference', message))
      this.pending.clear()
    }
    worker.on('error', (error) => {
      this.opts.log?.(`stt worker failed: ${error.message}`)
      failAll(`speech recognition stopped: ${error.message}`)
    })
    worker.on('exit', () => {
      if (this.worker === worker) this.worker = null
      failAll('speech recognition worker exited')
    })
    this.worker = worker
    return worker
  }
}

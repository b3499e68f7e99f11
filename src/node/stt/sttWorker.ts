/**
 * The STT worker thread: loads an on-device engine (kept loaded between utterances, reloaded when the model folder
 * changes) and transcribes one utterance at a time off the caller's thread. SttService sends one request at a time;
 * the chain below keeps them in order anyway. Messages are defined in sttService.ts.
 */
import { parentPort } from 'node:worker_threads'
import { SttError, type SttEngine } from './engine'
import { MoonshineEngine } from './moonshineEngine'
import type { SttFromWorker, SttToWorker } from './sttService'

const port = parentPort
if (!port) throw new Error('sttWorker must run in a worker thread')
const post = (m: SttFromWorker): void => port.postMessage(m)

let engine: { dir: string; id: string; engine: SttEngine } | null = null
let queue: Promise<void> = Promise.resolve()

port.on('message', (m: SttToWorker) => {
  if (m?.type !== 'transcribe') return
  queue = queue.then(async () => {
    try {
      let loadMs = 0
      if (!engine || engine.dir !== m.modelDir || engine.id !== m.modelId) {
        const t0 = performance.now()
        await engine?.engine.dispose()
        engine = null
        engine = { dir: m.modelDir, id: m.modelId, engine: await MoonshineEngine.load(m.modelDir, m.modelId) }
        loadMs = performance.now() - t0
      }
      const result = await engine.engine.transcribe(m.audio)
      post({ type: 'result', requestId: m.requestId, result, loadMs })
    } catch (error) {
      post({ type: 'error', requestId: m.requestId, code: error instanceof SttError ? error.code : 'inference', message: (error as Error).message })
    }
  })
})

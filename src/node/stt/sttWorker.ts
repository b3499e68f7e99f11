/**
 * The STT worker thread: loads an on-device engine and transcribes utterances off the main thread. One request at
 * a time (utterances are short and sequential); messages are defined in sttService.ts.
 */
import { parentPort } from 'node:worker_threads'
import { SttError, type SttEngine } from './engine'
import { MoonshineEngine } from './moonshineEngine'
import type { SttFromWorker, SttToWorker } from './sttService'

const port = parentPort
if (!port) throw new Error('sttWorker must run in a worker thread')
const post = (m: SttFromWorker): void => port.postMessage(m)

let engine: { dir: string; engine: SttEngine } | null = null
let queue: Promise<void> = Promise.resolve()

port.on('message', (m: SttToWorker) => {
  queue = queue.then(async () => {
    try {
      if (!engine || engine.dir !== m.modelDir) {
        await engine?.engine.dispose()
        engine = null
        engine = { dir: m.modelDir, engine: await MoonshineEngine.load(m.modelDir, m.modelId) }
      }
      const result = await engine.engine.transcribe(m.audio)
      post({ type: 'result', requestId: m.requestId, result })
    } catch (error) {
      post({ type: 'error', requestId: m.requestId, code: error instanceof SttError ? error.code : 'inference', message: (error as Error).message })
    }
  })
})

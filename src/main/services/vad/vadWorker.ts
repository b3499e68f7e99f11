/**
 * The VAD worker thread: Silero inference and endpointing off the main thread, so a slow frame never stalls the
 * Electron main process (which relays UI events). Messages are defined in vadProtocol.ts.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { SileroVad } from '../../../node/vad/sileroVad'
import type { VadToWorker, VadFromWorker, VadWorkerData } from './vadProtocol'
import { VadStream } from '../../../node/vad/vadStream'

const port = parentPort
if (!port) throw new Error('vadWorker must run in a worker thread')
const data = workerData as VadWorkerData
const post = (message: VadFromWorker, transfer: ArrayBuffer[] = []): void => port.postMessage(message, transfer)

let stream: VadStream | null = null
let frames = 0
let lastProbability = 0

async function init(): Promise<void> {
  try {
    const vad = await SileroVad.create(data.modelPath)
    stream = new VadStream(vad, data.config, {
      onProbability: (p) => {
        frames++
        lastProbability = p
        // About once a second, so the UI can show that audio is arriving and being classified.
        if (frames % 32 === 0) post({ type: 'probe', frames, probability: p })
      }
    })
    post({ type: 'ready' })
  } catch (error) {
    post({ type: 'fatal', message: (error as Error).message })
  }
}

function enqueue(task: (s: VadStream) => Promise<void>): void {
  queue = queue.then(async () => {
    if (!stream) return
    try {
      await task(stream)
    } catch (error) {
      post({ type: 'error', message: (error as Error).message })
    }
  })
}

function report(result: Awaited<ReturnType<VadStream['push']>>): void {
  if (result.events.length === 0 && result.utterances.length === 0) return
  const utterances = result.utterances.map((u) => ({ utteranceId: u.utteranceId, audioStartMs: u.audioStartMs, audio: u.audio }))
  post({ type: 'events', events: result.events, utterances, frames, probability: lastProbability }, utterances.map((u) => u.audio.buffer as ArrayBuffer))
}

port.on('message', (message: VadToWorker) => {
  switch (message.type) {
    case 'audio':
      enqueue(async (s) => report(await s.push(message.samples)))
      break
    case 'flush':
      enqueue(async (s) => report(await s.flush()))
      break
    case 'reset':
      enqueue(async (s) => {
        s.reset()
        frames = 0
      })
      break
    case 'probe':
      enqueue(async () => post({ type: 'probe', frames, probability: lastProbability }))
      break
  }
})

// Audio that arrives while the model loads waits behind init in this queue.
let queue: Promise<void> = init()

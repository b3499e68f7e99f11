/**
 * The server VAD thread: one batched Silero inference per request, for every voice session of this backend process.
 * It runs on its own thread so the inference (~50 µs per stream-frame, all of it inside onnxruntime's synchronous
 * run) never holds up the main thread, which decodes the uplink and paces the replies. Per-slot context and state
 * live here (SileroVadBatch, with its silence gate on). Malformed requests get an error reply; the thread keeps
 * serving.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { SileroVadBatch } from '../../node/vad/sileroVad'
import { SERVER_VAD_SILENCE_GATE_RMS, type FromServerVadWorker, type ServerVadWorkerData, type ToServerVadWorker } from './serverVadProtocol'

const port = parentPort
if (!port) throw new Error('serverVadWorker must run in a worker thread')
const data = (workerData ?? {}) as Partial<ServerVadWorkerData>
const post = (message: FromServerVadWorker, transfer: ArrayBuffer[] = []): void => port.postMessage(message, transfer)

/** Slots beyond this are refused: a stray index must not make the thread allocate gigabytes. */
const MAX_SLOTS = 65_536

let batch: SileroVadBatch | null = null
let queue: Promise<void> = Promise.resolve()

const loaded = (async (): Promise<boolean> => {
  try {
    const initial = Number.isInteger(data.initialSlots) && data.initialSlots! > 0 ? Math.min(data.initialSlots!, MAX_SLOTS) : 64
    const gate = typeof data.silenceGateRms === 'number' && data.silenceGateRms >= 0 ? data.silenceGateRms : SERVER_VAD_SILENCE_GATE_RMS
    batch = await SileroVadBatch.create(initial, data.modelPath, { silenceGateRms: gate })
    post({ type: 'ready' })
    return true
  } catch (error) {
    post({ type: 'fatal', message: (error as Error).message })
    return false
  }
})()

function describe(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value
}

/** Why a process request cannot run, or null. */
function invalid(m: { slots?: unknown; frames?: unknown }): string | null {
  if (!(m.slots instanceof Int32Array)) return `slots must be an Int32Array, got ${describe(m.slots)}`
  if (!(m.frames instanceof Float32Array)) return `frames must be a Float32Array, got ${describe(m.frames)}`
  for (const slot of m.slots) if (slot < 0 || slot >= MAX_SLOTS) return `slot ${slot} is outside 0..${MAX_SLOTS - 1}`
  return null
}

async function processRequest(id: number, slots: Int32Array, frames: Float32Array): Promise<void> {
  if (!(await loaded) || !batch) return post({ type: 'error', id, message: 'the Silero model is not loaded' })
  const t0 = performance.now()
  const gated0 = batch.stats.gated
  try {
    const probs = await batch.processPacked(slots, frames)
    post({ type: 'probs', id, probs, inferenceMs: performance.now() - t0, gated: batch.stats.gated - gated0 }, [probs.buffer as ArrayBuffer])
  } catch (error) {
    post({ type: 'error', id, message: (error as Error).message })
  }
}

port.on('message', (message: ToServerVadWorker) => {
  const m = (typeof message === 'object' && message !== null ? message : {}) as Partial<ToServerVadWorker> & Record<string, unknown>
  const id = typeof m.id === 'number' && Number.isFinite(m.id) ? m.id : null
  if (m.type === 'process') {
    const problem = id === null ? 'a process request needs a numeric id' : invalid(m)
    if (problem) return post({ type: 'error', id, message: problem })
    const { slots, frames } = m as Extract<ToServerVadWorker, { type: 'process' }>
    queue = queue.then(() => processRequest(id!, slots, frames))
  } else if (m.type === 'reset') {
    const slot = m.slot
    if (typeof slot !== 'number' || !Number.isInteger(slot) || slot < 0 || slot >= MAX_SLOTS) return post({ type: 'error', id: null, message: `reset: slot ${String(slot)} is not in 0..${MAX_SLOTS - 1}` })
    // In order with the process requests before and after it.
    queue = queue.then(async () => {
      if (!(await loaded) || !batch) return
      batch.ensureSize(slot + 1)
      batch.resetStream(slot)
    })
  } else {
    post({ type: 'error', id, message: `unknown message type ${JSON.stringify(String(m.type))}` })
  }
})

/** Messages between the backend's main thread (WorkerFrameBatch) and the server VAD thread (serverVadWorker.ts). */
export interface ServerVadWorkerData {
  /** Silero model file; the bundled one when absent. */
  modelPath?: string
  /** Slots to make room for at start (the batch grows on its own). */
  initialSlots: number
}

export type ToServerVadWorker =
  /** frames: slots.length frames of 512 samples at 16 kHz, back to back; frame i belongs to slot slots[i]. */
  | { type: 'process'; id: number; slots: Int32Array; frames: Float32Array }
  /** A new stream takes this slot: forget the old one's context and state. */
  | { type: 'reset'; slot: number }

export type FromServerVadWorker =
  | { type: 'ready' }
  | { type: 'fatal'; message: string }
  /** One probability per frame of request `id`, in its order; inferenceMs = time inside the model on the thread. */
  | { type: 'probs'; id: number; probs: Float32Array; inferenceMs: number }
  | { type: 'error'; id: number | null; message: string }

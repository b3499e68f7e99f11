/** Messages between the backend's main thread (WorkerFrameBatch) and the server VAD thread (serverVadWorker.ts). */
export interface ServerVadWorkerData {
  /** Silero model file; the bundled one when absent. */
  modelPath?: string
  /** Slots to make room for at start (the batch grows on its own). */
  initialSlots: number
  /** Frames quieter than this RMS are silence, not run through the model (SileroVadBatch); default -60 dBFS. */
  silenceGateRms?: number
}

/** -60 dBFS: below any speech a microphone picks up; above digital silence and a noise-suppressed quiet room. */
export const SERVER_VAD_SILENCE_GATE_RMS = 0.001

export type ToServerVadWorker =
  /** frames: slots.length frames of 512 samples at 16 kHz, back to back; frame i belongs to slot slots[i]. */
  | { type: 'process'; id: number; slots: Int32Array; frames: Float32Array }
  /** A new stream takes this slot: forget the old one's context and state. */
  | { type: 'reset'; slot: number }

export type FromServerVadWorker =
  | { type: 'ready' }
  | { type: 'fatal'; message: string }
  /**
   * One probability per frame of request `id`, in its order; inferenceMs = time inside the model on the thread;
   * gated = frames of this request answered by the silence gate.
   */
  | { type: 'probs'; id: number; probs: Float32Array; inferenceMs: number; gated: number }
  | { type: 'error'; id: number | null; message: string }

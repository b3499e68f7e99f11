/** What runs one batched inference: the Silero batch on the VAD thread in the backend, a fake in unit tests. */
export interface FrameBatch {
  /**
   * frames: slots.length frames of 512 samples at 16 kHz back to back, frame i for slot slots[i] (each slot at most
   * once). Resolves to one speech probability per frame, in order. The caller leaves both arrays alone until the
   * promise settles, then reuses them.
   */
  process(slots: Int32Array, frames: Float32Array): Promise<Float32Array>
  /** A new stream takes this slot: forget the previous one's context and state. */
  resetStream(slot: number): void
  /** False once the batch can run no more (its thread died); a new one is loaded. Absent = always alive. */
  readonly alive?: boolean
  close?(): unknown
}

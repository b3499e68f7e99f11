/// <reference lib="webworker" />
/**
 * AudioWorklet processor of the capture tap: mixes the input to mono, brings it to 16 kHz if the context runs at
 * another rate, and posts 512-sample (32 ms) Float32Array frames to the main thread, transferring their buffers.
 * Runs in the AudioWorkletGlobalScope (no DOM; vite's ?worker&url bundles its imports into the worklet file).
 */

import { SPEECH_FRAME_SAMPLES, SPEECH_SAMPLE_RATE } from '../../../shared/audio/format'

declare const sampleRate: number
declare function registerProcessor(name: string, ctor: unknown): void
declare class AudioWorkletProcessor {
  readonly port: MessagePort
}

const TARGET_RATE = SPEECH_SAMPLE_RATE
const FRAME = SPEECH_FRAME_SAMPLES

class CaptureTapProcessor extends AudioWorkletProcessor {
  private frame = new Float32Array(FRAME)
  private filled = 0
  /** Position in input samples of the next output sample (for rates other than 16 kHz). */
  private phase = 0
  private readonly step = sampleRate / TARGET_RATE
  private last = 0

  process(inputs: Float32Array[][]): boolean {
    const channels = inputs[0]
    if (!channels || channels.length === 0) return true
    const n = channels[0]!.length
    const mono = channels.length === 1 ? channels[0]! : new Float32Array(n)
    if (channels.length > 1) {
      for (const ch of channels) for (let i = 0; i < n; i++) mono[i]! += ch[i]! / channels.length
    }
    if (this.step === 1) {
      for (let i = 0; i < n; i++) this.emit(mono[i]!)
      return true
    }
    // Linear interpolation between the previous block's last sample and this block: a fallback for browsers that
    // refuse a 16 kHz AudioContext; Chromium resamples the mic itself and takes the branch above.
    while (this.phase < n) {
      const i = Math.floor(this.phase)
      const frac = this.phase - i
      const a = i === 0 ? this.last : mono[i - 1]!
      const b = mono[i]!
      this.emit(a + (b - a) * frac)
      this.phase += this.step
    }
    this.phase -= n
    this.last = mono[n - 1]!
    return true
  }

  private emit(sample: number): void {
    this.frame[this.filled++] = sample
    if (this.filled === FRAME) {
      const full = this.frame
      this.port.postMessage(full, [full.buffer])
      this.frame = new Float32Array(FRAME)
      this.filled = 0
    }
  }
}

registerProcessor('capture-tap', CaptureTapProcessor)

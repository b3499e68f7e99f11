/**
 * 16-bit PCM streams: bytes → samples across arbitrary chunk boundaries (a pipe, an HTTP body), and fixed-size
 * framing (the 20 ms reply frames). WAV files are wav.ts; rate changes are resample.ts.
 */

/** Bytes in, whole little-endian Int16 samples out; an odd trailing byte waits for the next chunk. */
export class Int16Assembler {
  private carry: number | null = null

  push(bytes: Uint8Array): Int16Array {
    const total = bytes.length + (this.carry === null ? 0 : 1)
    const out = new Int16Array(total >> 1)
    let i = 0
    let o = 0
    if (this.carry !== null && bytes.length > 0) {
      out[o++] = ((bytes[0]! << 8) | this.carry) << 16 >> 16
      this.carry = null
      i = 1
    }
    for (; i + 1 < bytes.length; i += 2) out[o++] = ((bytes[i + 1]! << 8) | bytes[i]!) << 16 >> 16
    if (i < bytes.length) this.carry = bytes[i]!
    return o === out.length ? out : out.subarray(0, o)
  }
}

/** Cuts a stream of PCM chunks into fixed frames (e.g. 960 samples = 20 ms at 48 kHz); `flush` pads with silence. */
export class Framer {
  private buffer: Int16Array
  private filled = 0

  constructor(readonly frameSamples: number) {
    this.buffer = new Int16Array(frameSamples)
  }

  push(pcm: Int16Array): Int16Array[] {
    const frames: Int16Array[] = []
    let at = 0
    while (at < pcm.length) {
      const take = Math.min(this.frameSamples - this.filled, pcm.length - at)
      this.buffer.set(pcm.subarray(at, at + take), this.filled)
      this.filled += take
      at += take
      if (this.filled === this.frameSamples) {
        frames.push(this.buffer)
        this.buffer = new Int16Array(this.frameSamples)
        this.filled = 0
      }
    }
    return frames
  }

  /** The partial last frame, zero-padded; null when nothing is pending. */
  flush(): Int16Array | null {
    if (this.filled === 0) return null
    const frame = this.buffer
    this.buffer = new Int16Array(this.frameSamples)
    this.filled = 0
    return frame
  }

  clear(): void {
    this.filled = 0
    this.buffer = new Int16Array(this.frameSamples)
  }
}

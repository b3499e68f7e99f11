/**
 * PCM helpers the providers share: a 16-bit WAV writer (uploads to /v1/audio/transcriptions), a streaming reader
 * for WAV on a pipe (espeak-ng --stdout), little-endian byte → Int16 conversion that survives odd chunk
 * boundaries, and a streaming resampler (TTS rates → the 48 kHz Opus clock).
 */

export function encodeWavPcm16(samples: Int16Array, sampleRate: number): Buffer {
  const data = samples.length * 2
  const out = Buffer.alloc(44 + data)
  out.write('RIFF', 0, 'ascii')
  out.writeUInt32LE(36 + data, 4)
  out.write('WAVE', 8, 'ascii')
  out.write('fmt ', 12, 'ascii')
  out.writeUInt32LE(16, 16)
  out.writeUInt16LE(1, 20) // PCM
  out.writeUInt16LE(1, 22) // mono
  out.writeUInt32LE(sampleRate, 24)
  out.writeUInt32LE(sampleRate * 2, 28)
  out.writeUInt16LE(2, 32)
  out.writeUInt16LE(16, 34)
  out.write('data', 36, 'ascii')
  out.writeUInt32LE(data, 40)
  for (let i = 0; i < samples.length; i++) out.writeInt16LE(samples[i]!, 44 + i * 2)
  return out
}

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

export interface WavFormat {
  sampleRate: number
  channels: number
  bitsPerSample: number
}

/**
 * Reads a WAV arriving in pieces (a pipe): parses the header chunks, then hands out 16-bit mono samples as they
 * come. Streams written before their length is known (espeak-ng --stdout) carry a bogus data size, so the data
 * chunk is read to the end of the stream.
 */
export class StreamingWavReader {
  private header = Buffer.alloc(0)
  private format: WavFormat | null = null
  private readonly samples = new Int16Assembler()

  get wavFormat(): WavFormat | null {
    return this.format
  }

  /** Samples contained in this chunk (empty while the header is still arriving). Throws on a non-PCM16-mono WAV. */
  push(chunk: Uint8Array): Int16Array {
    if (this.format) return this.samples.push(chunk)
    this.header = Buffer.concat([this.header, chunk])
    if (this.header.length > 64 * 1024) throw new Error('WAV header longer than 64 KiB')
    if (this.header.length < 12) return new Int16Array(0)
    if (this.header.toString('ascii', 0, 4) !== 'RIFF' || this.header.toString('ascii', 8, 12) !== 'WAVE') throw new Error('not a WAV stream')
    let at = 12
    let format: WavFormat | null = null
    while (at + 8 <= this.header.length) {
      const id = this.header.toString('ascii', at, at + 4)
      const size = this.header.readUInt32LE(at + 4)
      if (id === 'data') {
        if (!format) throw new Error('WAV data before its fmt chunk')
        if (format.bitsPerSample !== 16 || format.channels !== 1) throw new Error(`WAV is ${format.bitsPerSample}-bit ${format.channels}-channel; need 16-bit mono`)
        this.format = format
        const rest = this.header.subarray(at + 8)
        this.header = Buffer.alloc(0)
        return this.samples.push(rest)
      }
      if (at + 8 + size > this.header.length) return new Int16Array(0)
      if (id === 'fmt ') {
        if (size < 16) throw new Error('WAV fmt chunk too short')
        const tag = this.header.readUInt16LE(at + 8)
        if (tag !== 1 && tag !== 0xfffe) throw new Error(`WAV format ${tag} is not PCM`)
        format = { channels: this.header.readUInt16LE(at + 10), sampleRate: this.header.readUInt32LE(at + 12), bitsPerSample: this.header.readUInt16LE(at + 22) }
        if (format.sampleRate < 4000 || format.sampleRate > 192_000) throw new Error(`WAV sample rate ${format.sampleRate} is out of range`)
      }
      at += 8 + size + (size & 1)
    }
    return new Int16Array(0)
  }
}

/**
 * Streaming linear-interpolation resampler for speech (TTS 16/22.05/24 kHz → 48 kHz). Chunk boundaries do not
 * click: the fractional read position and the last input sample carry over. Speech TTS has little energy near
 * the source Nyquist, so linear interpolation is adequate for upsampling; it is not meant for downsampling music.
 */
export class StreamingResampler {
  private readonly step: number
  private pos = 0 // read position in input samples, relative to `prev` at index -1
  private prev = 0
  private primed = false

  constructor(
    readonly inRate: number,
    readonly outRate: number
  ) {
    if (!(inRate > 0 && outRate > 0)) throw new Error('sample rates must be positive')
    this.step = inRate / outRate
  }

  push(input: Int16Array): Int16Array {
    if (this.inRate === this.outRate) return input
    if (input.length === 0) return input
    if (!this.primed) {
      // Start exactly on the first input sample (v[1] below).
      this.prev = input[0]!
      this.pos = 1
      this.primed = true
    }
    // A virtual array v: v[0] = the previous chunk's last sample, v[k] = input[k-1]; `pos` indexes v.
    const out: number[] = []
    const last = input.length // v has indices 0..last
    while (this.pos < last) {
      const i = Math.floor(this.pos)
      const frac = this.pos - i
      const a = i === 0 ? this.prev : input[i - 1]!
      const b = input[i]!
      out.push(Math.round(a + (b - a) * frac))
      this.pos += this.step
    }
    this.pos -= last
    this.prev = input[last - 1]!
    return Int16Array.from(out)
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

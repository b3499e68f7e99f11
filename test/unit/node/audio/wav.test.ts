import { describe, expect, it } from 'vitest'
import { decodeWav, encodeWav16, readWavMono, StreamingWavReader, WavFormatError } from '../../../../src/node/audio/wav'

function header(opts: { format: number; channels: number; rate: number; bits: number; dataBytes: number }): Uint8Array {
  const b = new Uint8Array(44 + opts.dataBytes)
  const v = new DataView(b.buffer)
  b.set([..."RIFF"].map((c) => c.charCodeAt(0)), 0)
  v.setUint32(4, 36 + opts.dataBytes, true)
  b.set([..."WAVEfmt "].map((c) => c.charCodeAt(0)), 8)
  v.setUint32(16, 16, true)
  v.setUint16(20, opts.format, true)
  v.setUint16(22, opts.channels, true)
  v.setUint32(24, opts.rate, true)
  v.setUint16(32, (opts.channels * opts.bits) / 8, true)
  v.setUint16(34, opts.bits, true)
  b.set([..."data"].map((c) => c.charCodeAt(0)), 36)
  v.setUint32(40, opts.dataBytes, true)
  return b
}

/** `wav` with a chunk of `size` bytes (`id`, zeros, padded to an even length as RIFF wants) before its data chunk.
 * A size too large to hold is declared but not written. */
function withChunkBeforeData(wav: Uint8Array, id: string, size: number): Uint8Array {
  const body = size > 1 << 20 ? 0 : size + (size & 1)
  const out = new Uint8Array(wav.length + 8 + body)
  out.set(wav.subarray(0, 36))
  out.set([...id].map((c) => c.charCodeAt(0)), 36)
  new DataView(out.buffer).setUint32(40, size, true)
  out.set(wav.subarray(36), 44 + body)
  return out
}

describe('WAV files: decode', () => {
  it('round-trips 16-bit PCM from float samples (clipped) and from Int16 samples (as they are)', () => {
    const s = Float32Array.from({ length: 100 }, (_, i) => Math.sin(i / 5) * 0.5)
    const d = decodeWav(encodeWav16(s, 16000))
    expect(d).toMatchObject({ sampleRate: 16000, channels: 1 })
    d.channelData[0]!.forEach((x, i) => expect(x).toBeCloseTo(s[i]!, 3))
    expect(Array.from(decodeWav(encodeWav16(Float32Array.from([2, -2]), 8000)).channelData[0]!)).toEqual([32767 / 32768, -1])
    const ints = Int16Array.from([0, 1, -1, 32767, -32768])
    expect(Array.from(decodeWav(encodeWav16(ints, 22050)).channelData[0]!, (x) => Math.round(x * 32768))).toEqual([...ints])
  })

  it('reads float32 stereo and 24-bit PCM, and downmixes', () => {
    const f = header({ format: 3, channels: 2, rate: 8000, bits: 32, dataBytes: 16 })
    const v = new DataView(f.buffer)
    v.setFloat32(44, 0.5, true)
    v.setFloat32(48, -0.5, true)
    v.setFloat32(52, 1, true)
    v.setFloat32(56, 0, true)
    const d = decodeWav(f)
    expect(d.channels).toBe(2)
    expect(Array.from(readWavMono(f, 8000).samples)).toEqual([0, 0.5])
    const p24 = header({ format: 1, channels: 1, rate: 8000, bits: 24, dataBytes: 3 })
    p24.set([0x00, 0x00, 0xc0], 44) // -0.5
    expect(decodeWav(p24).channelData[0]![0]).toBeCloseTo(-0.5, 6)
  })

  it('skips chunks it does not know, and reads to the end when the data size is 0 or 0xFFFFFFFF', () => {
    const wav = withChunkBeforeData(encodeWav16(Int16Array.from([100, 200, 300]), 16000), 'LIST', 5)
    expect(decodeWav(wav).channelData[0]!.length).toBe(3)
    new DataView(wav.buffer).setUint32(36 + 8 + 6 + 4, 0xffffffff, true) // the data chunk's size (after the padded LIST)
    expect(decodeWav(wav).channelData[0]!.length).toBe(3)
  })

  it('refuses what it cannot read with a message that says why', () => {
    expect(() => decodeWav(new Uint8Array(4))).toThrow(/not a WAV file/)
    expect(() => decodeWav(new TextEncoder().encode('hello world, not a wav'))).toThrow(new WavFormatError('not a WAV file (starts with "hell", expected "RIFF"/"WAVE")'))
    expect(() => decodeWav(new TextEncoder().encode('RIFF....WAVEdata\0\0\0\0'))).toThrow(/no "fmt " chunk/)
    expect(() => decodeWav(header({ format: 1, channels: 1, rate: 8000, bits: 16, dataBytes: 0 }).subarray(0, 36))).toThrow(/no "data" chunk/)
    expect(() => decodeWav(header({ format: 2, channels: 1, rate: 8000, bits: 4, dataBytes: 0 }))).toThrow(/unsupported WAV encoding/)
    expect(() => decodeWav(header({ format: 1, channels: 0, rate: 8000, bits: 16, dataBytes: 0 }))).toThrow(/0 channels/)
    expect(() => decodeWav(header({ format: 1, channels: 1, rate: 100, bits: 16, dataBytes: 0 }))).toThrow(/sample rate 100 Hz/)
  })
})

describe('WAV on a pipe: StreamingWavReader', () => {
  it('reads a WAV arriving byte by byte, including a bogus streaming data size', () => {
    const samples = Int16Array.from({ length: 100 }, (_, i) => i * 100 - 5000)
    const wav = encodeWav16(samples, 22050)
    new DataView(wav.buffer).setUint32(40, 0x7ffff000, true) // what a pipe writer puts when it does not know the length
    const reader = new StreamingWavReader()
    const got: number[] = []
    for (let i = 0; i < wav.length; i++) got.push(...reader.push(wav.subarray(i, i + 1)))
    expect(reader.wavFormat).toEqual({ encoding: 'pcm', sampleRate: 22050, channels: 1, bitsPerSample: 16 })
    expect(got).toEqual([...samples])
  })

  it('reads the same samples as the whole-file decoder, in uneven chunks, past a chunk it does not know', () => {
    const samples = Int16Array.from({ length: 1000 }, (_, i) => Math.round(8000 * Math.sin(i / 7)))
    const wav = withChunkBeforeData(encodeWav16(samples, 16000), 'LIST', 300)
    const reader = new StreamingWavReader()
    const got: number[] = []
    for (let at = 0, n = 1; at < wav.length; at += n, n = (n * 7) % 97 + 1) got.push(...reader.push(wav.subarray(at, at + n)))
    expect(got).toEqual(Array.from(decodeWav(wav).channelData[0]!, (x) => Math.round(x * 32768)))
  })

  it('refuses non-WAV, non-16-bit-mono and endless headers with a clear error', () => {
    expect(() => new StreamingWavReader().push(new TextEncoder().encode('hello world, not a wav'))).toThrow(WavFormatError)
    const stereo = encodeWav16(new Int16Array(4), 16000)
    new DataView(stereo.buffer).setUint16(22, 2, true)
    expect(() => new StreamingWavReader().push(stereo)).toThrow('need 16-bit PCM mono')
    const float = header({ format: 3, channels: 1, rate: 16000, bits: 32, dataBytes: 4 })
    expect(() => new StreamingWavReader().push(float)).toThrow('need 16-bit PCM mono')
    // A chunk that claims to be huge before any data: the reader gives up at 64 KiB instead of buffering forever.
    const endless = withChunkBeforeData(encodeWav16(new Int16Array(1), 16000), 'JUNK', 0x7fffffff).subarray(0, 44)
    const reader = new StreamingWavReader()
    expect(reader.push(endless)).toHaveLength(0)
    expect(() => {
      for (let i = 0; i < 70; i++) reader.push(new Uint8Array(1024))
    }).toThrow(/header longer than 64 KiB/)
  })
})

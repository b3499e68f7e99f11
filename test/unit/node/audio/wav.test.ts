import { describe, expect, it } from 'vitest'
import { decodeWav, encodeWav16, readWavMono, resample } from '../../../../src/node/audio/wav'

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

describe('WAV decoding and resampling', () => {
  it('round-trips 16-bit PCM', () => {
    const s = Float32Array.from({ length: 100 }, (_, i) => Math.sin(i / 5) * 0.5)
    const d = decodeWav(encodeWav16(s, 16000))
    expect(d).toMatchObject({ sampleRate: 16000, channels: 1 })
    d.channelData[0]!.forEach((x, i) => expect(x).toBeCloseTo(s[i]!, 3))
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

  it('refuses what it cannot read with a message that says why', () => {
    expect(() => decodeWav(new Uint8Array(4))).toThrow(/not a WAV file/)
    expect(() => decodeWav(new TextEncoder().encode('RIFF....WAVEdata\0\0\0\0'))).toThrow(/no "fmt " chunk/)
    expect(() => decodeWav(header({ format: 2, channels: 1, rate: 8000, bits: 4, dataBytes: 0 }))).toThrow(/unsupported WAV encoding/)
    expect(() => decodeWav(header({ format: 1, channels: 0, rate: 8000, bits: 16, dataBytes: 0 }))).toThrow(/0 channels/)
  })

  it('resamples a tone to the right frequency and length', () => {
    const from = 48000
    const tone = Float32Array.from({ length: from }, (_, i) => Math.sin((2 * Math.PI * 440 * i) / from))
    const out = resample(tone, from, 16000)
    expect(out.length).toBe(16000)
    // Zero crossings per second ≈ 2 × 440.
    let crossings = 0
    for (let i = 1000; i < 15000; i++) if (out[i - 1]! < 0 && out[i]! >= 0) crossings++
    expect(crossings / (14000 / 16000)).toBeCloseTo(440, -1)
    // A tone above the new Nyquist is filtered out rather than aliased.
    const high = Float32Array.from({ length: from }, (_, i) => Math.sin((2 * Math.PI * 12000 * i) / from))
    const rms = Math.sqrt(resample(high, from, 16000).slice(1000, 15000).reduce((a, x) => a + x * x, 0) / 14000)
    expect(rms).toBeLessThan(0.02)
  })
})

import { describe, expect, it } from 'vitest'
import { decimate48to16, resample, StreamingResampler } from '../../../../src/node/audio/resample'

describe('resample (whole recordings, windowed sinc)', () => {
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

  it('the same rate is the input itself', () => {
    const x = Float32Array.from([1, 2, 3])
    expect(resample(x, 16000, 16000)).toBe(x)
  })
})

describe('StreamingResampler (TTS speech → 48 kHz, chunk by chunk)', () => {
  it('resamples 24 kHz → 48 kHz in chunks exactly like in one piece, with the right length and no clicks', () => {
    const input = Int16Array.from({ length: 2400 }, (_, i) => Math.round(10000 * Math.sin((2 * Math.PI * 300 * i) / 24000)))
    const whole = new StreamingResampler(24000, 48000).push(input)
    const r = new StreamingResampler(24000, 48000)
    const pieces = [...r.push(input.subarray(0, 7)), ...r.push(input.subarray(7, 1000)), ...r.push(input.subarray(1000))]
    expect(pieces).toEqual([...whole])
    expect(Math.abs(whole.length - 4800)).toBeLessThanOrEqual(2)
    // Upsampled sine stays a sine: every output sample within the interpolation error of the true value.
    for (let k = 0; k < whole.length; k++) {
      const truth = 10000 * Math.sin((2 * Math.PI * 300 * (k / 2)) / 24000)
      expect(Math.abs(whole[k]! - truth)).toBeLessThan(60)
    }
  })

  it('resamples espeak-ng 22.05 kHz to 48 kHz at the right ratio', () => {
    const r = new StreamingResampler(22050, 48000)
    let n = 0
    for (let i = 0; i < 10; i++) n += r.push(new Int16Array(2205)).length
    expect(Math.abs(n - 48000)).toBeLessThanOrEqual(2)
  })

  it('refuses a rate that is not positive', () => {
    expect(() => new StreamingResampler(0, 48000)).toThrow(/positive/)
  })
})

describe('decimate48to16 (a 48 kHz uplink → 16 kHz, frame by frame)', () => {
  it('decimates 48 kHz to 16 kHz across chunk boundaries', () => {
    const carry: number[] = []
    const a = decimate48to16(Int16Array.from([3, 3, 3, 6]), carry)
    const b = decimate48to16(Int16Array.from([6, 6, 9, 9]), carry)
    expect(a.length + b.length).toBe(2)
    expect(carry).toEqual([9, 9])
    expect(b[0]).toBe(6)
  })

  it('writes into the given buffer when it is large enough (no allocation per frame)', () => {
    const into = new Int16Array(320)
    const out = decimate48to16(new Int16Array(960).fill(300), [], into)
    expect(out.buffer).toBe(into.buffer)
    expect(out.length).toBe(320)
    expect(out.every((x) => x === 300)).toBe(true)
  })
})

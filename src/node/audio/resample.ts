/**
 * Every sample-rate change of the project, one function per job:
 *  - `resample`: whole recordings (the VAD CLI, STT input, test corpora), any rate to any rate, band-limited;
 *  - `StreamingResampler`: TTS speech as it streams (16/22.05/24 kHz → the 48 kHz Opus clock), chunk by chunk;
 *  - `decimate48to16`: a 48 kHz uplink stream → 16 kHz for the server VAD and STT, frame by frame.
 * (Live uplink audio is normally decoded straight to 16 kHz by libopus, and the capture tap's worklet resamples in
 * the renderer, which cannot import this Node module.)
 */

/**
 * Band-limited resampling by windowed-sinc interpolation (Blackman window, 16 zero crossings each side). When
 * downsampling, the kernel is stretched so it also low-passes below the new Nyquist frequency.
 */
export function resample(input: Float32Array, fromRate: number, toRate: number): Float32Array {
  if (fromRate === toRate) return input
  const ratio = toRate / fromRate
  const outLength = Math.floor(input.length * ratio)
  const out = new Float32Array(outLength)
  const cutoff = Math.min(1, ratio) * 0.97
  const zeroCrossings = 16
  const halfWidth = zeroCrossings / cutoff
  for (let i = 0; i < outLength; i++) {
    const center = i / ratio
    const lo = Math.max(0, Math.ceil(center - halfWidth))
    const hi = Math.min(input.length - 1, Math.floor(center + halfWidth))
    let acc = 0
    let norm = 0
    for (let j = lo; j <= hi; j++) {
      const x = j - center
      const t = x / halfWidth
      const window = 0.42 + 0.5 * Math.cos(Math.PI * t) + 0.08 * Math.cos(2 * Math.PI * t)
      const arg = Math.PI * x * cutoff
      const sinc = arg === 0 ? 1 : Math.sin(arg) / arg
      const w = window * sinc
      acc += input[j]! * w
      norm += w
    }
    out[i] = norm !== 0 ? acc / norm : 0
  }
  return out
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

/**
 * 48 kHz → 16 kHz: a 3-tap box filter then every third sample (enough for a VAD and speech recognition), for the
 * rare stream that arrives at 48 kHz (sessions normally decode straight to 16 kHz). With `into` (large enough), the
 * result is written there and a view of it returned (no allocation per frame).
 */
export function decimate48to16(pcm: Int16Array, carry: number[], into?: Int16Array): Int16Array {
  const all = carry.length ? Int16Array.from([...carry, ...pcm]) : pcm
  const n = Math.floor(all.length / 3)
  const out = into && into.length >= n ? into.subarray(0, n) : new Int16Array(n)
  for (let i = 0; i < n; i++) out[i] = Math.round((all[3 * i]! + all[3 * i + 1]! + all[3 * i + 2]!) / 3)
  carry.length = 0
  for (let i = n * 3; i < all.length; i++) carry.push(all[i]!)
  return out
}

/**
 * WAV reading/writing and resampling for the VAD CLI, the STT path and test corpora. Reads RIFF/RIFX-less little
 * endian WAVE with PCM 8/16/24/32-bit integer or 32/64-bit float samples (WAVE_FORMAT_EXTENSIBLE included), any
 * sample rate and channel count. Anything else is refused with a message that says what was found.
 */

export class WavFormatError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'WavFormatError'
  }
}

export interface DecodedAudio {
  sampleRate: number
  channels: number
  /** One array per channel, samples in [-1, 1]. */
  channelData: Float32Array[]
}

const FORMAT_PCM = 1
const FORMAT_FLOAT = 3
const FORMAT_EXTENSIBLE = 0xfffe

export function decodeWav(bytes: Uint8Array): DecodedAudio {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const tag = (at: number): string =>
    at + 4 <= bytes.length ? Array.from(bytes.subarray(at, at + 4), (b) => (b >= 32 && b < 127 ? String.fromCharCode(b) : '?')).join('') : ''
  if (bytes.length < 12) throw new WavFormatError(`not a WAV file: only ${bytes.length} bytes`)
  if (tag(0) !== 'RIFF' || tag(8) !== 'WAVE') {
    throw new WavFormatError(`not a WAV file (starts with ${JSON.stringify(tag(0))}${tag(0) === 'RIFF' ? `/${JSON.stringify(tag(8))}` : ''}, expected "RIFF"/"WAVE")`)
  }
  let fmt: { format: number; channels: number; sampleRate: number; bits: number; blockAlign: number } | null = null
  let data: Uint8Array | null = null
  let at = 12
  while (at + 8 <= bytes.length) {
    const id = tag(at)
    const size = view.getUint32(at + 4, true)
    const body = at + 8
    const end = Math.min(bytes.length, body + size)
    if (id === 'fmt ') {
      if (size < 16 || body + 16 > bytes.length) throw new WavFormatError('WAV "fmt " chunk is truncated')
      let format = view.getUint16(body, true)
      if (format === FORMAT_EXTENSIBLE && size >= 40 && body + 26 <= bytes.length) format = view.getUint16(body + 24, true)
      fmt = {
        format,
        channels: view.getUint16(body + 2, true),
        sampleRate: view.getUint32(body + 4, true),
        blockAlign: view.getUint16(body + 12, true),
        bits: view.getUint16(body + 14, true)
      }
    } else if (id === 'data') {
      // Streamed WAVs may carry size 0 or 0xFFFFFFFF: take what is there.
      data = bytes.subarray(body, size === 0 || size === 0xffffffff ? bytes.length : end)
      if (fmt) break
    }
    at = body + size + (size & 1)
  }
  if (!fmt) throw new WavFormatError('WAV file has no "fmt " chunk')
  if (!data) throw new WavFormatError('WAV file has no "data" chunk')
  const { format, channels, sampleRate, bits } = fmt
  if (channels < 1 || channels > 64) throw new WavFormatError(`WAV file has ${channels} channels`)
  if (sampleRate < 1000 || sampleRate > 768_000) throw new WavFormatError(`WAV sample rate ${sampleRate} Hz is not supported`)
  const supported =
    (format === FORMAT_PCM && [8, 16, 24, 32].includes(bits)) || (format === FORMAT_FLOAT && (bits === 32 || bits === 64))
  if (!supported) throw new WavFormatError(`unsupported WAV encoding (format tag ${format}, ${bits} bits); use PCM 8/16/24/32-bit or float 32/64-bit`)
  const bytesPerSample = bits / 8
  const frameBytes = bytesPerSample * channels
  const frames = Math.floor(data.length / frameBytes)
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength)
  const channelData = Array.from({ length: channels }, () => new Float32Array(frames))
  for (let i = 0; i < frames; i++) {
    for (let ch = 0; ch < channels; ch++) {
      const o = i * frameBytes + ch * bytesPerSample
      let v: number
      if (format === FORMAT_FLOAT) v = bits === 32 ? dv.getFloat32(o, true) : dv.getFloat64(o, true)
      else if (bits === 8) v = (dv.getUint8(o) - 128) / 128
      else if (bits === 16) v = dv.getInt16(o, true) / 32768
      else if (bits === 24) v = (((dv.getUint8(o + 2) << 24) | (dv.getUint8(o + 1) << 16) | (dv.getUint8(o) << 8)) >> 8) / 8388608
      else v = dv.getInt32(o, true) / 2147483648
      channelData[ch]![i] = Number.isFinite(v) ? v : 0
    }
  }
  return { sampleRate, channels, channelData }
}

/** Average the channels. */
export function downmix(audio: DecodedAudio): Float32Array {
  if (audio.channels === 1) return audio.channelData[0]!
  const n = audio.channelData[0]!.length
  const out = new Float32Array(n)
  for (const ch of audio.channelData) for (let i = 0; i < n; i++) out[i]! += ch[i]!
  for (let i = 0; i < n; i++) out[i]! /= audio.channels
  return out
}

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

/** Decode a WAV and bring it to mono at `rate` (16 kHz for the VAD and STT). */
export function readWavMono(bytes: Uint8Array, rate: number): { samples: Float32Array; sourceRate: number; sourceChannels: number } {
  const audio = decodeWav(bytes)
  return { samples: resample(downmix(audio), audio.sampleRate, rate), sourceRate: audio.sampleRate, sourceChannels: audio.channels }
}

/** 16-bit PCM mono WAV. */
export function encodeWav16(samples: Float32Array, sampleRate: number): Uint8Array {
  const bytes = new Uint8Array(44 + samples.length * 2)
  const view = new DataView(bytes.buffer)
  const text = (at: number, s: string): void => {
    for (let i = 0; i < s.length; i++) bytes[at + i] = s.charCodeAt(i)
  }
  text(0, 'RIFF')
  view.setUint32(4, 36 + samples.length * 2, true)
  text(8, 'WAVE')
  text(12, 'fmt ')
  view.setUint32(16, 16, true)
  view.setUint16(20, FORMAT_PCM, true)
  view.setUint16(22, 1, true)
  view.setUint32(24, sampleRate, true)
  view.setUint32(28, sampleRate * 2, true)
  view.setUint16(32, 2, true)
  view.setUint16(34, 16, true)
  text(36, 'data')
  view.setUint32(40, samples.length * 2, true)
  for (let i = 0; i < samples.length; i++) {
    const s = Math.max(-1, Math.min(1, samples[i]!))
    view.setInt16(44 + i * 2, Math.round(s < 0 ? s * 32768 : s * 32767), true)
  }
  return bytes
}

import { Int16Assembler } from './pcm'
import { resample } from './resample'

/**
 * The one WAV codec: whole files (the VAD CLI, STT uploads, test corpora) and a WAV arriving in pieces on a pipe
 * (espeak-ng --stdout), both through one header reader. Reads little-endian RIFF/WAVE with PCM 8/16/24/32-bit integer
 * or 32/64-bit float samples (WAVE_FORMAT_EXTENSIBLE included), any rate from 1 to 768 kHz and up to 64 channels;
 * writes 16-bit mono PCM. Anything else is refused with a WavFormatError that says what was found.
 */

export class WavFormatError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'WavFormatError'
  }
}

export interface WavFormat {
  /** Integer PCM or IEEE float (an EXTENSIBLE header is read as its sub-format). */
  encoding: 'pcm' | 'float'
  sampleRate: number
  channels: number
  bitsPerSample: number
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
/** A stream whose samples have not started after this many bytes is not a WAV worth waiting for. */
const MAX_HEADER_BYTES = 64 * 1024

interface WavHeader {
  format: WavFormat
  /** Offset of the first sample. */
  dataStart: number
  /** The data chunk's size as written: 0 or 0xFFFFFFFF (or too large) in WAVs streamed before their length was known. */
  declaredDataBytes: number
}

/**
 * The header up to the first sample. `complete`: `bytes` is the whole file, so anything missing is an error; otherwise
 * it is the start of a stream, and null means "not there yet".
 */
function readHeader(bytes: Uint8Array, complete: boolean): WavHeader | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const tag = (at: number): string =>
    at + 4 <= bytes.length ? Array.from(bytes.subarray(at, at + 4), (b) => (b >= 32 && b < 127 ? String.fromCharCode(b) : '?')).join('') : ''
  if (bytes.length < 12) {
    if (complete) throw new WavFormatError(`not a WAV file: only ${bytes.length} bytes`)
    return null
  }
  if (tag(0) !== 'RIFF' || tag(8) !== 'WAVE') {
    throw new WavFormatError(`not a WAV file (starts with ${JSON.stringify(tag(0))}${tag(0) === 'RIFF' ? `/${JSON.stringify(tag(8))}` : ''}, expected "RIFF"/"WAVE")`)
  }
  let format: WavFormat | null = null
  let at = 12
  while (at + 8 <= bytes.length) {
    const id = tag(at)
    const size = view.getUint32(at + 4, true)
    const body = at + 8
    if (id === 'data') {
      if (!format) throw new WavFormatError('WAV file has no "fmt " chunk before its "data" chunk')
      return { format, dataStart: body, declaredDataBytes: size }
    }
    if (id === 'fmt ') {
      if (size < 16 || (complete && body + 16 > bytes.length)) throw new WavFormatError('WAV "fmt " chunk is truncated')
      if (body + size > bytes.length) break
      let tagValue = view.getUint16(body, true)
      if (tagValue === FORMAT_EXTENSIBLE && size >= 26) tagValue = view.getUint16(body + 24, true)
      format = checkFormat(tagValue, view.getUint16(body + 2, true), view.getUint32(body + 4, true), view.getUint16(body + 14, true))
    }
    at = body + size + (size & 1)
  }
  if (complete) throw new WavFormatError(format ? 'WAV file has no "data" chunk' : 'WAV file has no "fmt " chunk')
  if (bytes.length > MAX_HEADER_BYTES) throw new WavFormatError(`WAV header longer than ${MAX_HEADER_BYTES / 1024} KiB`)
  return null
}

function checkFormat(formatTag: number, channels: number, sampleRate: number, bits: number): WavFormat {
  if (channels < 1 || channels > 64) throw new WavFormatError(`WAV file has ${channels} channels`)
  if (sampleRate < 1000 || sampleRate > 768_000) throw new WavFormatError(`WAV sample rate ${sampleRate} Hz is not supported`)
  if (formatTag === FORMAT_PCM && [8, 16, 24, 32].includes(bits)) return { encoding: 'pcm', sampleRate, channels, bitsPerSample: bits }
  if (formatTag === FORMAT_FLOAT && (bits === 32 || bits === 64)) return { encoding: 'float', sampleRate, channels, bitsPerSample: bits }
  throw new WavFormatError(`unsupported WAV encoding (format tag ${formatTag}, ${bits} bits); use PCM 8/16/24/32-bit or float 32/64-bit`)
}

/** A whole WAV file → one Float32Array per channel. */
export function decodeWav(bytes: Uint8Array): DecodedAudio {
  const { format, dataStart, declaredDataBytes } = readHeader(bytes, true)!
  const { encoding, channels, sampleRate, bitsPerSample: bits } = format
  // Streamed WAVs may carry size 0 or 0xFFFFFFFF: take what is there.
  const dataEnd = declaredDataBytes === 0 || declaredDataBytes === 0xffffffff ? bytes.length : Math.min(bytes.length, dataStart + declaredDataBytes)
  const data = bytes.subarray(dataStart, dataEnd)
  const bytesPerSample = bits / 8
  const frameBytes = bytesPerSample * channels
  const frames = Math.floor(data.length / frameBytes)
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength)
  const channelData = Array.from({ length: channels }, () => new Float32Array(frames))
  for (let i = 0; i < frames; i++) {
    for (let ch = 0; ch < channels; ch++) {
      const o = i * frameBytes + ch * bytesPerSample
      let v: number
      if (encoding === 'float') v = bits === 32 ? dv.getFloat32(o, true) : dv.getFloat64(o, true)
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

/** Decode a WAV and bring it to mono at `rate` (16 kHz for the VAD and STT). */
export function readWavMono(bytes: Uint8Array, rate: number): { samples: Float32Array; sourceRate: number; sourceChannels: number } {
  const audio = decodeWav(bytes)
  return { samples: resample(downmix(audio), audio.sampleRate, rate), sourceRate: audio.sampleRate, sourceChannels: audio.channels }
}

/** 16-bit PCM mono WAV of float samples in [-1, 1] (clipped) or of Int16 samples as they are. */
export function encodeWav16(samples: Float32Array | Int16Array, sampleRate: number): Uint8Array {
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
  if (samples instanceof Int16Array) {
    for (let i = 0; i < samples.length; i++) view.setInt16(44 + i * 2, samples[i]!, true)
  } else {
    for (let i = 0; i < samples.length; i++) {
      const s = Math.max(-1, Math.min(1, samples[i]!))
      view.setInt16(44 + i * 2, Math.round(s < 0 ? s * 32768 : s * 32767), true)
    }
  }
  return bytes
}

/**
 * A 16-bit mono WAV arriving in pieces (a pipe): reads the header as it comes, then hands out samples as they come.
 * Streams written before their length is known (espeak-ng --stdout) carry a bogus data size, so the data chunk is
 * read to the end of the stream.
 */
export class StreamingWavReader {
  private header: Uint8Array = new Uint8Array(0)
  private format: WavFormat | null = null
  private readonly samples = new Int16Assembler()

  get wavFormat(): WavFormat | null {
    return this.format
  }

  /** Samples contained in this chunk (empty while the header is still arriving). Throws a WavFormatError on a WAV
   * that is not 16-bit PCM mono. */
  push(chunk: Uint8Array): Int16Array {
    if (this.format) return this.samples.push(chunk)
    const joined = new Uint8Array(this.header.length + chunk.length)
    joined.set(this.header)
    joined.set(chunk, this.header.length)
    const header = readHeader(joined, false)
    if (!header) {
      this.header = joined
      return new Int16Array(0)
    }
    const { format, dataStart } = header
    if (format.encoding !== 'pcm' || format.bitsPerSample !== 16 || format.channels !== 1) {
      throw new WavFormatError(`WAV is ${format.bitsPerSample}-bit ${format.encoding} with ${format.channels} channel(s); need 16-bit PCM mono`)
    }
    this.format = format
    this.header = new Uint8Array(0)
    return this.samples.push(joined.subarray(dataStart))
  }
}

import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { decodeWav, encodeWav16 } from '../../src/node/audio/wav'

/**
 * Test speech made at test time: espeak-ng speaks each sentence, sox resamples it to 16 kHz mono and trims its own
 * leading/trailing silence (so the speech boundaries are known to the sample), and the clip is assembled with exact
 * silences and, optionally, white noise at a given SNR. Reusable by any test that needs speech with known timing.
 */

const run = promisify(execFile)
export const CORPUS_RATE = 16_000

export type ClipPart = { text: string; voice?: string; rate?: number } | { pauseMs: number }

export interface ClipSpec {
  leadMs: number
  parts: ClipPart[]
  trailMs: number
  /** Add white noise at this speech-to-noise ratio (dB), over the whole clip, silences included. */
  snrDb?: number
  seed?: number
}

export interface Clip {
  samples: Float32Array
  sampleRate: typeof CORPUS_RATE
  /** Known speech spans, ms. Parts separated only by pauses shorter than `joinPausesBelowMs` form one span. */
  speech: Array<{ startMs: number; endMs: number }>
  /** Each spoken part's span, before joining. */
  parts: Array<{ startMs: number; endMs: number; text: string }>
}

export class SpeechCorpus {
  private constructor(readonly dir: string) {}
  private count = 0

  static async create(): Promise<SpeechCorpus> {
    return new SpeechCorpus(await mkdtemp(join(tmpdir(), 'speech-corpus-')))
  }

  async dispose(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true })
  }

  /** One sentence, spoken and trimmed to its audible extent, 16 kHz mono. */
  async speak(text: string, voice = 'en-us', rate = 160): Promise<Float32Array> {
    const n = this.count++
    const raw = join(this.dir, `say-${n}.wav`)
    const trimmed = join(this.dir, `say-${n}-16k.wav`)
    await run('espeak-ng', ['-v', voice, '-s', String(rate), '-w', raw, text])
    // silence 1 0.01 0.3%: drop leading audio until 10 ms above -50 dBFS; reverse twice to trim the end too.
    await run('sox', [raw, '-r', String(CORPUS_RATE), '-c', '1', '-b', '16', trimmed, 'silence', '1', '0.01', '0.3%', 'reverse', 'silence', '1', '0.01', '0.3%', 'reverse'])
    const audio = decodeWav(await readFile(trimmed))
    if (audio.sampleRate !== CORPUS_RATE) throw new Error(`sox produced ${audio.sampleRate} Hz`)
    return audio.channelData[0]!
  }

  async clip(spec: ClipSpec, joinPausesBelowMs = 1000): Promise<Clip> {
    const chunks: Float32Array[] = [new Float32Array(msToSamples(spec.leadMs))]
    const parts: Clip['parts'] = []
    let at = chunks[0]!.length
    for (const part of spec.parts) {
      if ('pauseMs' in part) {
        const pause = new Float32Array(msToSamples(part.pauseMs))
        chunks.push(pause)
        at += pause.length
      } else {
        const said = await this.speak(part.text, part.voice, part.rate)
        parts.push({ startMs: samplesToMs(at), endMs: samplesToMs(at + said.length), text: part.text })
        chunks.push(said)
        at += said.length
      }
    }
    chunks.push(new Float32Array(msToSamples(spec.trailMs)))
    const samples = concat(chunks)
    if (spec.snrDb !== undefined) {
      let energy = 0
      let count = 0
      for (const p of parts) {
        for (let i = msToSamples(p.startMs); i < msToSamples(p.endMs); i++) {
          energy += samples[i]! * samples[i]!
          count++
        }
      }
      const speechRms = Math.sqrt(energy / Math.max(1, count))
      addWhiteNoise(samples, speechRms / 10 ** (spec.snrDb / 20), spec.seed ?? 1)
    }
    const speech: Clip['speech'] = []
    for (const p of parts) {
      const last = speech[speech.length - 1]
      if (last && p.startMs - last.endMs < joinPausesBelowMs) last.endMs = p.endMs
      else speech.push({ startMs: p.startMs, endMs: p.endMs })
    }
    return { samples, sampleRate: CORPUS_RATE, speech, parts }
  }

  /** Write a clip as 16-bit WAV (e.g. for a fake microphone), optionally resampled/re-channelled by sox. */
  async writeWav(name: string, samples: Float32Array, opts: { rate?: number; channels?: number } = {}): Promise<string> {
    const base = join(this.dir, `${name}-16k.wav`)
    await writeFile(base, encodeWav16(samples, CORPUS_RATE))
    if (!opts.rate && !opts.channels) return base
    const out = join(this.dir, `${name}.wav`)
    await run('sox', [base, '-r', String(opts.rate ?? CORPUS_RATE), '-c', String(opts.channels ?? 1), out])
    return out
  }
}

export function msToSamples(ms: number): number {
  return Math.round((ms * CORPUS_RATE) / 1000)
}
export function samplesToMs(n: number): number {
  return (n * 1000) / CORPUS_RATE
}

export function concat(chunks: Float32Array[]): Float32Array {
  const out = new Float32Array(chunks.reduce((n, c) => n + c.length, 0))
  let at = 0
  for (const c of chunks) {
    out.set(c, at)
    at += c.length
  }
  return out
}

/** Deterministic white noise (uniform, scaled to `rms`) added in place. */
export function addWhiteNoise(samples: Float32Array, rms: number, seed: number): void {
  let s = seed >>> 0 || 1
  const scale = rms * Math.sqrt(3) // uniform on [-a, a] has rms a/√3
  for (let i = 0; i < samples.length; i++) {
    s ^= s << 13
    s ^= s >>> 17
    s ^= s << 5
    samples[i]! += (((s >>> 0) / 4294967296) * 2 - 1) * scale
  }
}

export function whiteNoise(ms: number, rms: number, seed: number): Float32Array {
  const out = new Float32Array(msToSamples(ms))
  addWhiteNoise(out, rms, seed)
  return out
}

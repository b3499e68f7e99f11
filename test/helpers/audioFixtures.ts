import { execFileSync } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/**
 * A spoken sentence as a 48 kHz mono 16-bit WAV (what Chromium's fake capture device reads), made with espeak-ng
 * and sox at test time, padded with silence on both sides.
 */
export function speechWav(text: string, opts: { padStartS?: number; padEndS?: number; voice?: string; dir?: string } = {}): string {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'va-audio-'))
  const raw = join(dir, 'espeak.wav')
  const out = join(dir, 'speech-48k.wav')
  execFileSync('espeak-ng', ['-v', opts.voice ?? 'en-us', '-w', raw, text])
  execFileSync('sox', [raw, '-r', '48000', '-c', '1', '-b', '16', out, 'pad', String(opts.padStartS ?? 0.3), String(opts.padEndS ?? 0.5)])
  return out
}

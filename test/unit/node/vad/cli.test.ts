import { execFile } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseCliArgs, runVadCli } from '../../../../src/node/vad/cli'
import { SpeechCorpus } from '../../../helpers/speech'

const run = promisify(execFile)

describe('npm run vad (VAD CLI)', () => {
  let corpus: SpeechCorpus
  beforeAll(async () => {
    corpus = await SpeechCorpus.create()
  })
  afterAll(() => corpus.dispose())

  it('prints one JSON line per segment and a summary, for a 44.1 kHz stereo file', async () => {
    const clip = await corpus.clip({
      leadMs: 700,
      parts: [{ text: 'Open the garage door', voice: 'en-us', rate: 170 }, { pauseMs: 1500 }, { text: 'and close the window', voice: 'en-gb', rate: 150 }],
      trailMs: 900
    })
    const file = await corpus.writeWav('cli', clip.samples, { rate: 44100, channels: 2 })
    const lines: string[] = []
    await runVadCli([file], (l) => lines.push(l))
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>)
    const segments = parsed.filter((p) => 'start_ms' in p) as Array<{ start_ms: number; end_ms: number }>
    expect(segments).toHaveLength(2)
    segments.forEach((s, i) => {
      expect(Object.keys(s)).toEqual(['start_ms', 'end_ms'])
      expect(Math.abs(s.start_ms - clip.speech[i]!.startMs)).toBeLessThanOrEqual(100)
      expect(Math.abs(s.end_ms - clip.speech[i]!.endMs)).toBeLessThanOrEqual(100)
    })
    expect(parsed.at(-1)).toMatchObject({ summary: { segments: 2, source_sample_rate: 44100, source_channels: 2 } })
    // A commit silence longer than the pause joins the two into one segment.
    const joined: string[] = []
    await runVadCli([file, '--min-silence-ms', '2000'], (l) => joined.push(l))
    expect(joined.filter((l) => l.includes('start_ms'))).toHaveLength(1)
  })

  it('parses tuning flags and refuses bad ones clearly', () => {
    const { config } = parseCliArgs(['x.wav', '--threshold', '0.6', '--min-silence-ms', '80'])
    expect(config).toMatchObject({ activationThreshold: 0.6, deactivationThreshold: 0.45, minSilenceMs: 80, speechEndSilenceMs: 80 })
    expect(() => parseCliArgs([])).toThrow(/no WAV file/)
    expect(() => parseCliArgs(['a.wav', '--threshold', 'high'])).toThrow(/--threshold needs a number/)
    expect(() => parseCliArgs(['a.wav', '--threshold', '2'])).toThrow(/activationThreshold must be in/)
    expect(() => parseCliArgs(['a.wav', '--bogus'])).toThrow(/^unknown option --bogus; known: --threshold, --neg-threshold, .*--events, --help \(-h\); arguments: file\.wav$/)
    expect(() => parseCliArgs(['a.wav', 'b.wav'])).toThrow(/unexpected argument "b\.wav"/)
  })

  it('exits non-zero with a clear message on a file that is not a WAV', async () => {
    const bad = join(corpus.dir, 'bad.wav')
    await writeFile(bad, 'this is not audio at all')
    const error = await run(process.execPath, ['--import', 'tsx', 'src/node/vad/cli.ts', bad]).catch((e: { code: number; stderr: string }) => e)
    expect(error).toMatchObject({ code: 1 })
    expect((error as { stderr: string }).stderr).toMatch(/not a WAV file/)
    const missing = await run(process.execPath, ['--import', 'tsx', 'src/node/vad/cli.ts', join(corpus.dir, 'missing.wav')]).catch((e: { code: number; stderr: string }) => e)
    expect((missing as { stderr: string }).stderr).toMatch(/no such file/)
  })
})

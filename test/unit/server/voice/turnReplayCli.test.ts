import { execFile } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { UsageError } from '../../../../src/node/cli'
import { parseTurnsArgs, parseWords, runTurnsCli } from '../../../../src/server/voice/turnReplayCli'
import { SpeechCorpus } from '../../../helpers/speech'

const run = promisify(execFile)

describe('npm run turns (turn replay CLI)', () => {
  let corpus: SpeechCorpus
  beforeAll(async () => {
    corpus = await SpeechCorpus.create()
  })
  afterAll(() => corpus.dispose())

  it('prints one JSON line per decision for a clip and its words', async () => {
    const clip = await corpus.clip({ leadMs: 500, parts: [{ text: 'turn off the', rate: 170 }, { pauseMs: 500 }, { text: 'kitchen lights', rate: 170 }], trailMs: 2500 })
    const wav = await corpus.writeWav('turns', clip.samples, { rate: 48000 })
    const words = join(corpus.dir, 'turns.words.json')
    await writeFile(words, JSON.stringify(clip.parts.map((p) => ({ text: p.text, start_ms: Math.round(p.startMs), end_ms: Math.round(p.endMs) }))))
    const lines: string[] = []
    await runTurnsCli([wav, '--words', words, '--transcript-delay-ms', '150'], (l) => lines.push(l))
    const decisions = lines.map((l) => JSON.parse(l) as { type: string; at_ms: number; reason: string })
    expect(decisions.map((d) => d.type)).toEqual(['reply_start', 'commit'])
    expect(decisions[0]!.at_ms).toBeGreaterThan(clip.parts[1]!.endMs)
    expect(decisions[0]!.reason).toBe('command form → 150 ms')
  })

  it('parses its flags strictly', () => {
    const args = parseTurnsArgs(['c.wav', '--words', 'w.json', '--complete-wait-ms', '100', '--unfinished-wait-ms', '1500'])
    expect(args).toMatchObject({ file: 'c.wav', words: 'w.json', transcriptDelayMs: 0, policy: { completeWaitMs: 100, uncertainWaitMs: 320, unfinishedWaitMs: 1500 } })
    expect(() => parseTurnsArgs([])).toThrow(/no WAV file given/)
    expect(() => parseTurnsArgs(['c.wav'])).toThrow(/--words <words.json> is required/)
    expect(() => parseTurnsArgs(['c.wav', '--words', 'w.json', '--transcript-delay-ms', 'soon'])).toThrow(/--transcript-delay-ms needs a number 0..60000, got "soon"/)
    expect(() => parseTurnsArgs(['c.wav', '--words', 'w.json', '--bogus'])).toThrow(/^unknown option --bogus; known: --words, /)
    expect(() => parseTurnsArgs(['c.wav', 'd.wav', '--words', 'w.json'])).toThrow(/unexpected argument "d\.wav"/)
    expect(() => parseTurnsArgs(['c.wav', '--words', 'w.json', '--speech-end-ms', '900'])).toThrow(/speechEndSilenceMs must not exceed minSilenceMs/)
  })

  it('says what is wrong with a words file', () => {
    expect(() => parseWords('not json', 'w.json')).toThrow(UsageError)
    expect(() => parseWords('not json', 'w.json')).toThrow(/^w\.json is not JSON/)
    expect(() => parseWords('{"text":"x"}', 'w.json')).toThrow(/^w\.json: .*expected a list of \{"text","start_ms","end_ms"\}/)
    expect(() => parseWords('[{"text":"x","start_ms":0}]', 'w.json')).toThrow(/^w\.json: at 0\.end_ms: /)
    expect(() => parseWords('[{"text":"x","start_ms":9,"end_ms":1}]', 'w.json')).toThrow(/end_ms must not be before start_ms/)
    expect(parseWords('[]', 'w.json')).toEqual([])
  })

  it('exits with a clear message for a missing file, a bad WAV, or bad words', async () => {
    const cli = 'src/server/voice/turnReplayCli.ts'
    const fail = (args: string[]): Promise<{ code: number; stderr: string }> =>
      run(process.execPath, ['--import', 'tsx', cli, ...args]).then(
        () => ({ code: 0, stderr: '' }),
        (e: { code: number; stderr: string }) => e
      )
    const words = join(corpus.dir, 'ok.words.json')
    await writeFile(words, '[]')
    const bad = join(corpus.dir, 'bad.wav')
    await writeFile(bad, 'this is not audio at all')
    const badWords = join(corpus.dir, 'bad.words.json')
    await writeFile(badWords, '[{"text": 3}]')
    expect(await fail([join(corpus.dir, 'missing.wav'), '--words', words])).toMatchObject({ code: 2, stderr: expect.stringMatching(/^turns: no such WAV file: /) })
    expect(await fail([bad, '--words', words])).toMatchObject({ code: 1, stderr: expect.stringMatching(/not a WAV file/) })
    expect(await fail([bad, '--words', badWords])).toMatchObject({ code: 2, stderr: expect.stringMatching(/bad\.words\.json: at 0\.text: /) })
    expect(await fail([bad, '--words', join(corpus.dir, 'none.json')])).toMatchObject({ code: 2, stderr: expect.stringMatching(/no such words file/) })
  })
})

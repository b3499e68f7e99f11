/**
 * `npm run turns -- <clip.wav> --words <words.json> [options]`: replay one recorded turn through the app's local path
 * (Silero VAD → endpointer → turn detector with its policy), with speculative transcripts from the clip's phrase
 * timeline, and print one JSON line per decision: {"type":"reply_start"|"revoke"|"commit","at_ms","reason"}. The
 * tuning tool for the turn policy, like `npm run vad` is for the VAD. words.json: [{"text","start_ms","end_ms"}, …].
 */
import { readFile } from 'node:fs/promises'
import { DEFAULT_ENDPOINTER_CONFIG, validateEndpointerConfig, type EndpointerConfig } from '../../shared/voice/endpointer'
import { numberOption, parseCli, UsageError } from '../../node/cli'
import { readWavMono, WavFormatError } from '../../node/audio/wav'
import { SileroVad, VAD_SAMPLE_RATE } from '../../node/vad/sileroVad'
import { DEFAULT_TURN_POLICY_CONFIG, type TurnPolicyConfig } from './turnPolicy'
import { endpointEvents, frameProbabilities, replayTurns, turnPhrasesSchema, type TurnPhrase } from './turnReplay'

export const USAGE = `usage: npm run turns -- <clip.wav> --words <words.json> [options]
  --words file               the clip's phrases: [{"text","start_ms","end_ms"}, …] (required)
  --transcript-delay-ms n    the speculative transcript arrives n ms after the speculation starts (default 0)
  --complete-wait-ms n       wait after a complete-looking turn (default ${DEFAULT_TURN_POLICY_CONFIG.completeWaitMs})
  --uncertain-wait-ms n      wait when the transcript says neither (default ${DEFAULT_TURN_POLICY_CONFIG.uncertainWaitMs})
  --unfinished-wait-ms n     wait after an unfinished-looking turn (default ${DEFAULT_TURN_POLICY_CONFIG.unfinishedWaitMs})
  --min-silence-ms n         the app's end of utterance (default ${DEFAULT_ENDPOINTER_CONFIG.minSilenceMs})
  --speech-end-ms n          silence before the early speech_end (default ${DEFAULT_ENDPOINTER_CONFIG.speechEndSilenceMs})`

export interface TurnsCliArgs {
  file: string
  words: string
  transcriptDelayMs: number
  policy: TurnPolicyConfig
  endpointer: EndpointerConfig
}

export function parseTurnsArgs(argv: string[]): TurnsCliArgs {
  const { values, positionals } = parseCli(argv, {
    positionals: ['clip.wav'],
    options: {
      words: { type: 'string' },
      'transcript-delay-ms': { type: 'string' },
      'complete-wait-ms': { type: 'string' },
      'uncertain-wait-ms': { type: 'string' },
      'unfinished-wait-ms': { type: 'string' },
      'min-silence-ms': { type: 'string' },
      'speech-end-ms': { type: 'string' },
      help: { type: 'boolean', short: 'h' }
    }
  })
  if (values.help) throw new UsageError('')
  if (positionals.length === 0) throw new UsageError('no WAV file given')
  if (values.words === undefined) throw new UsageError('--words <words.json> is required')
  const ms = (flag: string, raw: string | undefined, fallback: number): number => numberOption(`--${flag}`, raw, fallback, { min: 0, max: 60_000 })
  const endpointer: EndpointerConfig = {
    ...DEFAULT_ENDPOINTER_CONFIG,
    minSilenceMs: ms('min-silence-ms', values['min-silence-ms'], DEFAULT_ENDPOINTER_CONFIG.minSilenceMs),
    speechEndSilenceMs: ms('speech-end-ms', values['speech-end-ms'], DEFAULT_ENDPOINTER_CONFIG.speechEndSilenceMs)
  }
  const problems = validateEndpointerConfig(endpointer)
  if (problems.length) throw new UsageError(problems.join('; '))
  return {
    file: positionals[0]!,
    words: values.words,
    transcriptDelayMs: ms('transcript-delay-ms', values['transcript-delay-ms'], 0),
    policy: {
      completeWaitMs: ms('complete-wait-ms', values['complete-wait-ms'], DEFAULT_TURN_POLICY_CONFIG.completeWaitMs),
      uncertainWaitMs: ms('uncertain-wait-ms', values['uncertain-wait-ms'], DEFAULT_TURN_POLICY_CONFIG.uncertainWaitMs),
      unfinishedWaitMs: ms('unfinished-wait-ms', values['unfinished-wait-ms'], DEFAULT_TURN_POLICY_CONFIG.unfinishedWaitMs)
    },
    endpointer
  }
}

async function readInput(file: string, what: string): Promise<Uint8Array> {
  try {
    return await readFile(file)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new UsageError(code === 'ENOENT' ? `no such ${what}: ${file}` : code === 'EISDIR' ? `${file} is a directory, not a ${what}` : `cannot read ${file}: ${(error as Error).message}`)
  }
}

/** The phrases of words.json, or a UsageError saying what is wrong with it. */
export function parseWords(text: string, file: string): TurnPhrase[] {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    throw new UsageError(`${file} is not JSON: ${(error as Error).message}`)
  }
  const parsed = turnPhrasesSchema.safeParse(json)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    throw new UsageError(`${file}: ${issue.path.length ? `at ${issue.path.join('.')}: ` : ''}${issue.message} (expected a list of {"text","start_ms","end_ms"})`)
  }
  return parsed.data
}

export async function runTurnsCli(argv: string[], out: (line: string) => void): Promise<void> {
  const args = parseTurnsArgs(argv)
  const wordsBytes = await readInput(args.words, 'words file')
  const phrases = parseWords(Buffer.from(wordsBytes).toString('utf8'), args.words)
  const { samples } = readWavMono(await readInput(args.file, 'WAV file'), VAD_SAMPLE_RATE)
  const vad = await SileroVad.create()
  const probabilities = await frameProbabilities(vad, samples)
  const events = endpointEvents(probabilities, args.endpointer)
  for (const decision of replayTurns(events, phrases, { transcriptDelayMs: args.transcriptDelayMs, detector: { policy: args.policy } })) out(JSON.stringify(decision))
}

const isMain = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/').split('/').pop()!)
if (isMain) {
  runTurnsCli(process.argv.slice(2), (line) => console.log(line)).catch((error: unknown) => {
    if (error instanceof UsageError) {
      if (error.message) console.error(`turns: ${error.message}`)
      console.error(USAGE)
      process.exit(error.message ? 2 : 0)
    }
    if (error instanceof WavFormatError) {
      console.error(`turns: ${error.message}`)
      process.exit(1)
    }
    console.error(`turns: ${(error as Error).stack ?? String(error)}`)
    process.exit(1)
  })
}

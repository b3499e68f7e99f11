/**
 * `npm run vad -- <file.wav> [options]`: run the app's VAD + endpointing over a recording, for users tuning the
 * settings. Prints one JSON line per segment {"start_ms","end_ms"} and a summary line. Any WAV sample rate and
 * channel count is accepted (downmixed and resampled to 16 kHz mono).
 */
import { readFile } from 'node:fs/promises'
import { DEFAULT_ENDPOINTER_CONFIG, validateEndpointerConfig, type EndpointerConfig, type EndpointEvent } from '../../shared/voice/endpointer'
import { SileroVad, VAD_SAMPLE_RATE } from './sileroVad'
import { segmentRecording } from './vadStream'
import { readWavMono, WavFormatError } from '../audio/wav'
import { numberOption, parseCli, UsageError } from '../cli'

const USAGE = `usage: npm run vad -- <file.wav> [options]
  --threshold x          speech activation probability (default ${DEFAULT_ENDPOINTER_CONFIG.activationThreshold});
                         the deactivation threshold follows at x − 0.15 unless given
  --neg-threshold x      deactivation probability (default ${DEFAULT_ENDPOINTER_CONFIG.deactivationThreshold})
  --min-silence-ms n     silence that ends an utterance (default ${DEFAULT_ENDPOINTER_CONFIG.minSilenceMs})
  --min-speech-ms n      shortest speech that counts (default ${DEFAULT_ENDPOINTER_CONFIG.minSpeechMs})
  --speech-end-ms n      silence before the early speech_end (default ${DEFAULT_ENDPOINTER_CONFIG.speechEndSilenceMs})
  --max-utterance-ms n   longest utterance (default ${DEFAULT_ENDPOINTER_CONFIG.maxUtteranceMs})
  --events               also print every endpointing event as a JSON line`

/** An option that is given only when it is on the command line (numberOption with no default). */
function number(name: string, raw: string | undefined): number | undefined {
  return raw === undefined ? undefined : numberOption(`--${name}`, raw, Number.NaN)
}

export function parseCliArgs(argv: string[]): { file: string; config: EndpointerConfig; printEvents: boolean } {
  const parsed = parseCli(argv, {
    positionals: ['file.wav'],
    options: {
      threshold: { type: 'string' },
      'neg-threshold': { type: 'string' },
      'min-silence-ms': { type: 'string' },
      'min-speech-ms': { type: 'string' },
      'speech-end-ms': { type: 'string' },
      'max-utterance-ms': { type: 'string' },
      events: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' }
    }
  })
  const { values, positionals } = parsed
  if (values.help) throw new UsageError('')
  if (positionals.length === 0) throw new UsageError('no WAV file given')
  const threshold = number('threshold', values.threshold)
  const config: EndpointerConfig = { ...DEFAULT_ENDPOINTER_CONFIG }
  if (threshold !== undefined) {
    config.activationThreshold = threshold
    config.deactivationThreshold = Math.max(0.01, Math.round((threshold - 0.15) * 1000) / 1000)
  }
  const set = (key: keyof EndpointerConfig, flag: string, raw: string | undefined): void => {
    const v = number(flag, raw)
    if (v !== undefined) config[key] = v
  }
  set('deactivationThreshold', 'neg-threshold', values['neg-threshold'])
  set('minSilenceMs', 'min-silence-ms', values['min-silence-ms'])
  set('minSpeechMs', 'min-speech-ms', values['min-speech-ms'])
  set('speechEndSilenceMs', 'speech-end-ms', values['speech-end-ms'])
  set('maxUtteranceMs', 'max-utterance-ms', values['max-utterance-ms'])
  // A short --min-silence-ms keeps its meaning: the early signal can't come after the commit.
  if (values['min-silence-ms'] !== undefined && values['speech-end-ms'] === undefined) config.speechEndSilenceMs = Math.min(config.speechEndSilenceMs, config.minSilenceMs)
  const problems = validateEndpointerConfig(config)
  if (problems.length) throw new UsageError(problems.join('; '))
  return { file: positionals[0]!, config, printEvents: values.events ?? false }
}

export async function runVadCli(argv: string[], out: (line: string) => void): Promise<void> {
  const { file, config, printEvents } = parseCliArgs(argv)
  let bytes: Uint8Array
  try {
    bytes = await readFile(file)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new UsageError(code === 'ENOENT' ? `no such file: ${file}` : code === 'EISDIR' ? `${file} is a directory, not a WAV file` : `cannot read ${file}: ${(error as Error).message}`)
  }
  const { samples, sourceRate, sourceChannels } = readWavMono(bytes, VAD_SAMPLE_RATE)
  const vad = await SileroVad.create()
  const { events } = await segmentRecording(vad, samples, config)
  const segments = events.filter((e): e is Extract<EndpointEvent, { type: 'end_of_utterance' }> => e.type === 'end_of_utterance')
  for (const event of events) {
    if (printEvents) out(JSON.stringify({ event: event.type, ...event, type: undefined }))
    if (event.type === 'end_of_utterance') out(JSON.stringify({ start_ms: event.startMs, end_ms: event.endMs }))
  }
  const speechMs = segments.reduce((sum, s) => sum + (s.endMs - s.startMs), 0)
  out(
    JSON.stringify({
      summary: {
        file,
        source_sample_rate: sourceRate,
        source_channels: sourceChannels,
        duration_ms: Math.round((samples.length / VAD_SAMPLE_RATE) * 1000),
        segments: segments.length,
        speech_ms: Math.round(speechMs),
        settings: config
      }
    })
  )
}

const isMain = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/').split('/').pop()!)
if (isMain) {
  runVadCli(process.argv.slice(2), (line) => console.log(line)).catch((error: unknown) => {
    if (error instanceof UsageError) {
      if (error.message) console.error(`vad: ${error.message}`)
      console.error(USAGE)
      process.exit(error.message ? 2 : 0)
    }
    if (error instanceof WavFormatError) {
      console.error(`vad: ${error.message}`)
      process.exit(1)
    }
    console.error(`vad: ${(error as Error).stack ?? String(error)}`)
    process.exit(1)
  })
}

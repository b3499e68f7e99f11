import { createHash } from 'node:crypto'
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { encodeWav16 } from '../../src/node/audio/wav'
import { addWhiteNoise, concat, CORPUS_RATE, msToSamples, samplesToMs, SpeechCorpus } from './speech'

/**
 * The turn corpus (issue #16): espeak-ng clips of one turn each, with their ground truth, for `bench turntaking` and
 * the replay tests. Complete turns (questions, commands, statements, one-word answers) are one phrase; incomplete ones
 * are two phrases with a 250–900 ms pause inside, after "and", "the", "for", "um", a list item or a number in the
 * middle ("set a timer for … five minutes", "what is twelve … times seven"). Each phrase is spoken on its own and
 * trimmed to its audible extent by sox (speech.ts), then the clip is assembled with the chosen pauses, so every
 * phrase's start and end are known to the sample. Voice, rate, pause and noise (clean, 20 dB, 10 dB SNR white noise)
 * are drawn from a seeded generator: the same parameters give the same corpus, cached under .cache/turn-corpus/<hash
 * of the parameters>/ (one WAV and one words JSON per clip, and index.json once all are written).
 */

export interface TurnPhrase {
  text: string
  start_ms: number
  end_ms: number
}

export type TurnKind = 'complete' | 'incomplete'

export interface TurnClip {
  id: string
  kind: TurnKind
  /** question, command, statement, answer; and, the, for, um, list, number. */
  category: string
  voice: string
  /** espeak-ng words per minute. */
  rate: number
  /** White noise speech-to-noise ratio in dB; null = clean. */
  snrDb: number | null
  /** The pause inside an incomplete turn, ms. */
  pauseMs: number | null
  /** Where the turn really ends (end of the last phrase), ms of clip audio. */
  endMs: number
  durationMs: number
  phrases: TurnPhrase[]
  /** Paths of the clip's 16 kHz mono WAV and its words JSON (the phrases). */
  wav: string
  words: string
}

export interface TurnCorpusParams {
  seed: number
  /** Clips per complete category and per incomplete category. */
  perComplete: number
  perIncomplete: number
  voices: readonly string[]
  rates: readonly [number, number]
  snrDb: ReadonlyArray<number | null>
  pauseMs: readonly [number, number]
  leadMs: number
  trailMs: number
}

export const DEFAULT_TURN_CORPUS: TurnCorpusParams = Object.freeze({
  seed: 16,
  perComplete: 30,
  perIncomplete: 20,
  voices: ['en-us', 'en-gb', 'en-us+f3', 'en-gb-x-rp', 'en-us+m3', 'en-029'],
  rates: [130, 200] as const,
  snrDb: [null, 20, 10],
  pauseMs: [250, 900] as const,
  leadMs: 500,
  trailMs: 2500
})

/** Complete turns: one phrase each. */
const COMPLETE: Record<string, string[]> = {
  question: [
    'what time is it',
    'what is the date today',
    'how far is the nearest train station',
    'is it going to rain tomorrow',
    'what is twelve times seven',
    'how much is fifteen plus twenty',
    'who wrote this song',
    'where did I leave my keys',
    'can you hear me',
    'what is the weather like tomorrow',
    'when does the bakery close',
    'how long is left on the timer'
  ],
  command: [
    'set a timer for five minutes',
    'turn off the kitchen lights',
    'play some quiet music',
    'stop the music',
    'remind me to call my sister tonight',
    'cancel the timer',
    'read my new messages',
    'open the calendar',
    'call my mother',
    'turn it on',
    'set a timer for ten seconds',
    'add bread to the shopping list'
  ],
  statement: [
    'I like green apples',
    'it is cold in here',
    'the meeting went well',
    'my sister is coming tomorrow',
    'I am done for today',
    'that was the wrong song',
    'the train was late again',
    'I finished the report',
    'we are out of coffee',
    'this room is too dark'
  ],
  answer: ['yes', 'no', 'stop', 'okay', 'thanks', 'cancel', 'sure', 'nope']
}

/** Incomplete turns: [before the pause, after it]. */
const INCOMPLETE: Record<string, Array<[string, string]>> = {
  and: [
    ['I need to buy milk and', 'bread'],
    ['turn on the lights and', 'the radio'],
    ['remind me to call mom and', 'dad'],
    ['play some jazz and', 'turn it up'],
    ['check my calendar and', 'read my messages'],
    ['it is raining and', 'I forgot my umbrella']
  ],
  the: [
    ['what is the', 'weather like tomorrow'],
    ['turn off the', 'kitchen lights'],
    ['how far is the', 'nearest station'],
    ['open the', 'front door'],
    ['play the', 'next song'],
    ['where is the', 'closest pharmacy']
  ],
  for: [
    ['set a timer for', 'five minutes'],
    ['look for', 'a good pizza place'],
    ['what is the forecast for', 'tomorrow morning'],
    ['book a table for', 'two people'],
    ['search for', 'cheap flights to Rome'],
    ['I am waiting for', 'the bus']
  ],
  um: [
    ['I would like um', 'a coffee please'],
    ['play um', 'something relaxing'],
    ['what is um', 'the capital of France'],
    ['set an alarm for um', 'seven thirty'],
    ['call um', 'my brother'],
    ['can you uh', 'turn down the volume']
  ],
  list: [
    ['I need eggs, milk', 'and bread'],
    ['add apples, pears', 'and plums to the list'],
    ['invite Anna, Ben', 'and Clara'],
    ['pack the tent, the stove', 'and the lamp'],
    ['buy rice, beans', 'and onions'],
    ['call Tom, Sue', 'and Mark']
  ],
  number: [
    ['what is twelve', 'times seven'],
    ['set a timer for five', 'minutes'],
    ['how much is forty', 'divided by eight'],
    ['what is one hundred', 'minus thirty'],
    ['set a timer for twenty', 'seconds'],
    ['what is nine', 'plus sixteen']
  ]
}

/** Bumped when the clips would come out differently for the same parameters (templates, assembly). */
const GENERATOR_VERSION = 1

export function turnCorpusKey(params: TurnCorpusParams): string {
  const material = JSON.stringify({ GENERATOR_VERSION, params, COMPLETE, INCOMPLETE })
  return createHash('sha256').update(material).digest('hex').slice(0, 16)
}

/** Deterministic xorshift32 in [0, 1). */
function random(seed: number): () => number {
  let s = seed >>> 0 || 1
  return () => {
    s ^= s << 13
    s ^= s >>> 17
    s ^= s << 5
    return (s >>> 0) / 4294967296
  }
}

interface ClipPlan {
  id: string
  kind: TurnKind
  category: string
  texts: string[]
  voice: string
  rate: number
  snrDb: number | null
  pauseMs: number | null
  noiseSeed: number
}

function plan(params: TurnCorpusParams): ClipPlan[] {
  const rnd = random(params.seed)
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)]!
  const plans: ClipPlan[] = []
  const draw = (kind: TurnKind, category: string, texts: string[], i: number): void => {
    const [lo, hi] = params.pauseMs
    plans.push({
      id: `${kind === 'complete' ? 'c' : 'i'}-${category}-${String(i).padStart(2, '0')}`,
      kind,
      category,
      texts,
      voice: pick(params.voices),
      rate: Math.round(params.rates[0] + rnd() * (params.rates[1] - params.rates[0])),
      snrDb: pick(params.snrDb),
      pauseMs: kind === 'incomplete' ? Math.round(lo + rnd() * (hi - lo)) : null,
      noiseSeed: 1 + Math.floor(rnd() * 1e9)
    })
  }
  for (const [category, list] of Object.entries(COMPLETE)) for (let i = 0; i < params.perComplete; i++) draw('complete', category, [list[i % list.length]!], i)
  for (const [category, list] of Object.entries(INCOMPLETE)) for (let i = 0; i < params.perIncomplete; i++) draw('incomplete', category, [...list[i % list.length]!], i)
  return plans
}

async function build(p: ClipPlan, params: TurnCorpusParams, speech: SpeechCorpus, dir: string): Promise<TurnClip> {
  const chunks: Float32Array[] = [new Float32Array(msToSamples(params.leadMs))]
  let at = chunks[0]!.length
  const phrases: TurnPhrase[] = []
  for (const [i, text] of p.texts.entries()) {
    if (i > 0) {
      const pause = new Float32Array(msToSamples(p.pauseMs ?? 0))
      chunks.push(pause)
      at += pause.length
    }
    const said = await speech.speak(text, p.voice, p.rate)
    phrases.push({ text, start_ms: Math.round(samplesToMs(at)), end_ms: Math.round(samplesToMs(at + said.length)) })
    chunks.push(said)
    at += said.length
  }
  chunks.push(new Float32Array(msToSamples(params.trailMs)))
  const samples = concat(chunks)
  if (p.snrDb !== null) {
    let energy = 0
    let count = 0
    for (const ph of phrases) {
      for (let i = msToSamples(ph.start_ms); i < msToSamples(ph.end_ms); i++) {
        energy += samples[i]! * samples[i]!
        count++
      }
    }
    addWhiteNoise(samples, Math.sqrt(energy / Math.max(1, count)) / 10 ** (p.snrDb / 20), p.noiseSeed)
  }
  const wav = join(dir, `${p.id}.wav`)
  const words = join(dir, `${p.id}.words.json`)
  await writeFile(wav, encodeWav16(samples, CORPUS_RATE))
  await writeFile(words, JSON.stringify(phrases, null, 1))
  const { texts: _t, noiseSeed: _n, ...rest } = p
  return { ...rest, endMs: phrases.at(-1)!.end_ms, durationMs: Math.round(samplesToMs(samples.length)), phrases, wav, words }
}

/** Run `fn` over `items` with at most `limit` at a time; results in order. */
async function bounded<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++
      out[i] = await fn(items[i]!)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return out
}

/**
 * The corpus for `params` (default: 4 × 30 complete + 6 × 20 incomplete = 240 clips), made once and then read from
 * `cacheRoot`/<key>/. Synthesis runs `parallel` espeak-ng + sox jobs at a time (default: the cores, at most 4).
 */
export async function turnCorpus(opts: { params?: TurnCorpusParams; cacheRoot?: string; parallel?: number; log?: (line: string) => void } = {}): Promise<{ key: string; dir: string; clips: TurnClip[]; cached: boolean }> {
  const params = opts.params ?? DEFAULT_TURN_CORPUS
  const key = turnCorpusKey(params)
  const dir = join(opts.cacheRoot ?? join(process.cwd(), '.cache', 'turn-corpus'), key)
  const index = join(dir, 'index.json')
  try {
    const clips = JSON.parse(await readFile(index, 'utf8')) as TurnClip[]
    return { key, dir, clips, cached: true }
  } catch {
    // not made yet (or made partly): make it
  }
  await mkdir(dir, { recursive: true })
  const plans = plan(params)
  opts.log?.(`turn corpus ${key}: synthesizing ${plans.length} clips into ${dir}`)
  const speech = await SpeechCorpus.create()
  try {
    const clips = await bounded(plans, opts.parallel ?? Math.min(4, availableParallelism()), (p) => build(p, params, speech, dir))
    // index.json last, by rename: a corpus interrupted half-way is made again, never read half-made.
    await writeFile(`${index}.tmp`, JSON.stringify(clips))
    await rename(`${index}.tmp`, index)
    return { key, dir, clips, cached: false }
  } finally {
    await speech.dispose()
  }
}

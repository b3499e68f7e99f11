import { answerSkill, type TimerBook } from '../providers/embeddedSkills'

/**
 * The turn policy: how long to wait after the user's speech ended before replying, from how finished the turn looks.
 * Pure (no I/O, no clock): evidence in (the speculative transcript, the voiced length of the utterance), a decision
 * out. The turn detector measures the pause from the last voiced audio and commits once it reaches the wait.
 *
 * Three readings of the speculative transcript, each with its own wait (the user's settings):
 *  - complete (`completeWaitMs`): a request the embedded skills can parse ("set a timer for five minutes", "what is
 *    twelve times seven"), a question or a command in full, a short answer ("yes", "stop"), or the STT's sentence-final
 *    punctuation;
 *  - unfinished (`unfinishedWaitMs`): a trailing conjunction, article, preposition, filler or number word ("… for",
 *    "… the", "… um", "what is twelve …"), a trailing comma or dash, or an open list ("eggs, milk"). This wait may be
 *    longer than the endpointer's end_of_utterance: the detector holds the commit, and speech after it continues the
 *    same turn;
 *  - uncertain (`uncertainWaitMs`, today's "reply after pause"): anything else. Slow speakers pause longer inside a
 *    sentence, so a slow speaking rate stretches this wait.
 */

export interface TurnPolicyConfig {
  /** Wait (ms after the last voiced audio) when the transcript reads as a complete turn. */
  completeWaitMs: number
  /** Wait when nothing says finished or unfinished (the "reply after pause" setting). */
  uncertainWaitMs: number
  /** Wait when the transcript reads as unfinished; may hold the commit past end_of_utterance. */
  unfinishedWaitMs: number
}

/**
 * Defaults, measured with `bench turntaking` (240 espeak-ng clips, Silero VAD + the app's endpointer):
 *  - complete 150 ms: the speculative speech_end comes when the pause is 160 ms old (96 ms of silence plus the 64 ms
 *    the endpointer dates the voice end back), so any wait up to that is answered as soon as the transcript is in:
 *    100 and 150 ms both gave an end-of-turn delay p50 of 186 ms (328 ms with the transcript 150 ms late); 200 ms
 *    gave 232 ms.
 *  - uncertain 320 ms: today's reply-after-pause default (`listening.replyAfterPauseMs`).
 *  - unfinished 1200 ms: the corpus' pauses inside a sentence reach 900 ms and the VAD needs ~100–150 ms to hear the
 *    speech resume: 900 / 1000 / 1100 ms gave 12 / 4 / 0 false cut-offs of 120; 1200 keeps a 100 ms margin.
 */
export const DEFAULT_TURN_POLICY_CONFIG: TurnPolicyConfig = Object.freeze({
  completeWaitMs: 150,
  uncertainWaitMs: 320,
  unfinishedWaitMs: 1200
})

/**
 * Why a turn was committed when it was: the wait the turn policy chose after the speech ended and the reason in words
 * ("complete request → 150 ms", "waited: trailing 'for'"). The overlay shows it as the turn decision stage.
 */
export interface TurnDecision {
  waitMs: number
  reason: string
}

export type TurnReading = 'complete' | 'uncertain' | 'unfinished'

export interface TurnEvidence {
  /** The speculative transcript of the utterance so far. */
  transcript: string
  /** Voiced length of the utterance so far (ms), for the speaking rate; unknown when absent. */
  speechMs?: number
}

export interface TurnVerdict extends TurnDecision {
  reading: TurnReading
  /** Keep the turn open past the endpointer's end_of_utterance until `waitMs` (speech after it continues the turn). */
  holdPastEndOfUtterance: boolean
}

/** One way of deciding (the adaptive policy, or today's fixed wait for comparison in `bench turntaking`). */
export type TurnStrategy = (evidence: TurnEvidence, config: TurnPolicyConfig) => TurnVerdict

/**
 * Below this speaking rate the uncertain wait is stretched: conversational English runs at 2.5–3 words/s of voiced
 * time, and slow, hesitant speech pauses longer inside sentences. No corpus clip is that slow (espeak-ng at 130–200
 * wpm speaks 2.4–5.6 words/s, p50 3.6), so `bench turntaking` does not exercise it; it only ever waits longer.
 */
const SLOW_WORDS_PER_SECOND = 1.8
/** How much a slow speaking rate stretches the uncertain wait (at most). */
const SLOW_STRETCH = 1.5

/** The adaptive policy: the wait follows the reading of the transcript (see the file's comment). */
export const adaptiveTurnPolicy: TurnStrategy = (evidence, config) => {
  const { reading, why } = readTranscript(evidence.transcript)
  if (reading === 'complete') return verdict('complete', config.completeWaitMs, `${why} → ${config.completeWaitMs} ms`, false)
  if (reading === 'unfinished') return verdict('unfinished', config.unfinishedWaitMs, `waited: ${why}`, true)
  const rate = speakingRate(evidence)
  if (rate !== null && rate < SLOW_WORDS_PER_SECOND) {
    const wait = Math.round(config.uncertainWaitMs * Math.min(SLOW_STRETCH, SLOW_WORDS_PER_SECOND / Math.max(rate, 0.1)))
    return verdict('uncertain', wait, `slow speech (${rate.toFixed(1)} words/s) → ${wait} ms`, false)
  }
  return verdict('uncertain', config.uncertainWaitMs, `${why} → ${config.uncertainWaitMs} ms`, false)
}

/**
 * Today's policy before the adaptive one, for comparison: one wait (`uncertainWaitMs` from the last speech frame,
 * which the endpointer dates `offsetLagMs` = 64 ms after the voice ends), no early reply on an unfinished-looking
 * transcript (it waits for end_of_utterance), never a hold past end_of_utterance.
 */
export const fixedTurnPolicy: TurnStrategy = (evidence, config) => {
  const wait = config.uncertainWaitMs + FIXED_POLICY_LAG_MS
  if (readTranscript(evidence.transcript).reading === 'unfinished') return verdict('unfinished', Number.POSITIVE_INFINITY, 'looks unfinished: wait for end of utterance', false)
  return verdict('uncertain', wait, `pause → ${wait} ms`, false)
}
const FIXED_POLICY_LAG_MS = 64

function verdict(reading: TurnReading, waitMs: number, reason: string, holdPastEndOfUtterance: boolean): TurnVerdict {
  return { reading, waitMs, reason, holdPastEndOfUtterance }
}

/** Words per second of voiced speech, or null when unknown or too short to tell (< 1 s). */
export function speakingRate(evidence: TurnEvidence): number | null {
  if (evidence.speechMs === undefined || evidence.speechMs < 1000) return null
  const words = wordsOf(evidence.transcript).length
  return words === 0 ? null : words / (evidence.speechMs / 1000)
}

/**
 * Words a finished sentence rarely ends with: articles, conjunctions, prepositions, possessives, auxiliaries, subject
 * pronouns. A transcript ending in one is probably a pause inside the sentence.
 */
const UNFINISHED_TAIL: ReadonlySet<string> = new Set(
  ('a an the and or but so because if that which who whose when where while than then to of in on at for with from by about into over ' +
    'under between like as my your his her its our their this these those is are was were be been am do does did have has had can could ' +
    'will would should shall may might must not i we').split(' ')
)
/** Hesitation sounds: the speaker is thinking, not done. */
const FILLERS: ReadonlySet<string> = new Set(['um', 'umm', 'uh', 'uhh', 'er', 'erm', 'hmm', 'ah'])
/** Prepositions that end a phrasal verb after an object pronoun ("turn it on", "put them in"): finished. */
const PARTICLES: ReadonlySet<string> = new Set(['on', 'in', 'over', 'off', 'up', 'down', 'out'])
const OBJECT_PRONOUNS: ReadonlySet<string> = new Set(['it', 'them', 'this', 'that', 'me', 'him', 'her', 'us'])
const NUMBER_WORDS: ReadonlySet<string> = new Set(
  ('zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen ' +
    'twenty thirty forty fifty sixty seventy eighty ninety hundred thousand million point').split(' ')
)
/** Whole answers on their own. */
const SHORT_ANSWERS: ReadonlySet<string> = new Set(
  ['yes', 'no', 'yeah', 'yep', 'nope', 'stop', 'okay', 'ok', 'sure', 'thanks', 'thank you', 'cancel', 'never mind', 'go ahead', 'please', 'right', 'correct', 'exactly', "that's all", 'pause', 'continue', 'next', 'again']
)
/** Interjections an STT writes with a comma after them, at the start of a clause ("no, …", "well, …"). */
const LEADING_INTERJECTIONS = /^(?:\s*(?:yes|yeah|yep|no|nope|okay|ok|oh|well|wait|so|hey|hi|please|thanks|sorry|actually|right|alright|hmm|um|uh)\s*,\s*)+/i
const QUESTION_START = /^(?:what|what's|whats|when|where|who|whom|whose|why|how|which|is|are|was|were|can|could|will|would|do|does|did|should|shall|have|has|may)$/
const COMMAND_START = /^(?:set|turn|play|stop|tell|give|show|open|close|call|remind|add|cancel|start|pause|resume|read|check|find|repeat|send|put|make|switch|dim|book|text|order|search|look|skip|remove|delete|create|schedule)$/

function wordsOf(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[’]/g, "'")
    .replace(/[^a-z0-9'\s-]/g, ' ')
    .split(/\s+/)
    .filter(Boolean)
}

/** True when the transcript reads like the speaker has not finished (today's early-reply gate). */
export function looksUnfinished(text: string): boolean {
  return readTranscript(text).reading === 'unfinished'
}

/** How finished the transcript reads, and why in a few words ("trailing 'for'", "complete request (timer)"). */
export function readTranscript(text: string): { reading: TurnReading; why: string } {
  const t = text.trim()
  if (/[?!]["')\]]*$/.test(t)) return { reading: 'complete', why: t.endsWith('?') ? 'question mark' : 'exclamation' }
  const mark = /(,|;|:|-|–|—|\.\.\.|…)$/.exec(t)
  if (mark) return { reading: 'unfinished', why: `trailing '${mark[1]}'` }
  const words = wordsOf(t)
  const last = words.at(-1) ?? ''
  if (!last) return { reading: 'uncertain', why: 'no words' }
  if (FILLERS.has(last)) return { reading: 'unfinished', why: `trailing filler '${last}'` }
  const phrasal = PARTICLES.has(last) && OBJECT_PRONOUNS.has(words.at(-2) ?? '')
  if (UNFINISHED_TAIL.has(last) && !phrasal && !(words.length === 1 && SHORT_ANSWERS.has(last))) return { reading: 'unfinished', why: `trailing '${last}'` }
  // A leading interjection is no list item ("No, stop", "Wait, what about Tuesday", "Yes, please"): an STT writes
  // the comma after it, and reading "yes, please" as an open list held a finished answer for 1200 ms.
  const clause = (t.split(/[.?!]\s/).at(-1) ?? t).replace(LEADING_INTERJECTIONS, '')
  const lastComma = clause.lastIndexOf(',')
  if (lastComma >= 0 && !/\b(?:and|or|nor)\b/i.test(clause.slice(lastComma))) return { reading: 'unfinished', why: `an open list ('${clause.slice(Math.max(0, lastComma - 20)).trim()}')` }
  const skill = parsedSkill(t)
  if (NUMBER_WORDS.has(last) || /^\d+$/.test(last)) {
    return skill ? { reading: 'complete', why: `complete request (${skill})` } : { reading: 'unfinished', why: `trailing number '${last}'` }
  }
  if (skill) return { reading: 'complete', why: `complete request (${skill})` }
  if (/\.["')\]]*$/.test(t) && !t.endsWith('..')) return { reading: 'complete', why: 'sentence end' }
  const rest = wordsOf(clause)
  if (SHORT_ANSWERS.has(words.join(' ')) || SHORT_ANSWERS.has(rest.join(' '))) return { reading: 'complete', why: `short answer '${words.join(' ')}'` }
  if (rest.length >= 3 && QUESTION_START.test(rest[0]!)) return { reading: 'complete', why: 'question form' }
  if (rest.length >= 3 && COMMAND_START.test(rest[0]!)) return { reading: 'complete', why: 'command form' }
  return { reading: 'uncertain', why: 'pause' }
}

/** A timer book that books nothing: the skills are asked only whether they understand the request. */
const NO_TIMERS: TimerBook = { list: () => [], start: (durationMs, label) => ({ id: 0, label, durationMs, endsAt: 0 }), cancelAll: () => 0 }
const EPOCH = new Date(0)

/**
 * The embedded skill that fully understands the request, or null. A timer request counts only with a duration or as a
 * cancel/remaining question ("set a timer for" alone would be answered with the list of timers).
 */
export function parsedSkill(text: string): string | null {
  let booked = false
  const answer = answerSkill(text, {
    now: EPOCH,
    timeZone: 'UTC',
    history: [],
    timers: { ...NO_TIMERS, start: (ms, label) => ((booked = true), NO_TIMERS.start(ms, label)) }
  })
  if (answer.skill === 'unknown' || answer.skill === 'help' || answer.skill === 'repeat') return null
  if (answer.skill === 'timer' && !booked && !/\b(?:cancel|stop|delete|clear|left|remaining|how (?:much|long))\b/i.test(text)) return null
  return answer.skill
}

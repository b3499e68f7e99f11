/**
 * `npm run bench -- turntaking`: the turn policy over the turn corpus (test/helpers/turnCorpus.ts: 240 espeak-ng
 * clips, complete turns and turns with a 250–900 ms pause inside), replayed through the app's local path (Silero VAD →
 * endpointer → TurnDetector, src/server/voice/turnReplay.ts) for today's fixed policy and the adaptive one, with the
 * speculative transcript at once and 150 ms late. Per run: false cut-offs (a reply started before the true end of an
 * incomplete turn, even if revoked: the user heard it), revocations, end-of-turn delay p50/p95 on complete turns (true
 * end → reply start), missed turns (no reply after the end). Then the adaptive policy's five worst clips with what it
 * decided. Last line: JSON with goals_met (adaptive: p50 ≤ 200 ms and ≤ 3 % cut-offs at once; ≤ 350 ms and ≤ 3 % late).
 */
import { readFile } from 'node:fs/promises'
import { readWavMono } from '../src/node/audio/wav'
import { parseCli, parseOrExit } from '../src/node/cli'
import { SileroVad, VAD_SAMPLE_RATE } from '../src/node/vad/sileroVad'
import { adaptiveTurnPolicy, DEFAULT_TURN_POLICY_CONFIG, fixedTurnPolicy, type TurnStrategy } from '../src/server/voice/turnPolicy'
import { endpointEvents, frameProbabilities, replayTurns, type TurnReplayEvent } from '../src/server/voice/turnReplay'
import { DEFAULT_ENDPOINTER_CONFIG, DEFAULT_REPLY_AFTER_PAUSE_MS } from '../src/shared/voice/endpointer'
import { turnCorpus, type TurnClip } from '../test/helpers/turnCorpus'
import { pct } from './_proc'

parseOrExit('bench turntaking', () => parseCli(process.argv.slice(2), { options: {} }))

/** Today's app before the adaptive policy: speech_end after 160 ms of silence, one 320 ms reply-after-pause wait. */
const TODAY_SPEECH_END_SILENCE_MS = 160
const LATE_TRANSCRIPT_MS = 150

interface Policy {
  name: 'fixed' | 'adaptive'
  strategy: TurnStrategy
  speechEndSilenceMs: number
}
const POLICIES: Policy[] = [
  { name: 'fixed', strategy: fixedTurnPolicy, speechEndSilenceMs: TODAY_SPEECH_END_SILENCE_MS },
  { name: 'adaptive', strategy: adaptiveTurnPolicy, speechEndSilenceMs: DEFAULT_ENDPOINTER_CONFIG.speechEndSilenceMs }
]

const t0 = performance.now()
const corpus = await turnCorpus({ log: (line) => console.log(line) })
const { clips } = corpus
console.log(`corpus ${corpus.key} (${corpus.cached ? 'cached' : 'made'} in ${Math.round(performance.now() - t0)} ms): ${makeUp(clips)}`)

const vad = await SileroVad.create()
const probabilities = new Map<string, Float32Array>()
for (const clip of clips) {
  const { samples } = readWavMono(await readFile(clip.wav), VAD_SAMPLE_RATE)
  probabilities.set(clip.id, await frameProbabilities(vad, samples))
}

interface ClipResult {
  clip: TurnClip
  decisions: TurnReplayEvent[]
  /** speech_resume events: speculative transcriptions started and dropped (the cost of an early speech_end). */
  resumes: number
  cutOff: boolean
  missed: boolean
  delayMs: number | null
}

function run(policy: Policy, delayMs: number): ClipResult[] {
  return clips.map((clip) => {
    const events = endpointEvents(probabilities.get(clip.id)!, { speechEndSilenceMs: policy.speechEndSilenceMs })
    const decisions = replayTurns(events, clip.phrases, {
      transcriptDelayMs: delayMs,
      detector: { strategy: policy.strategy, policy: { ...DEFAULT_TURN_POLICY_CONFIG, uncertainWaitMs: DEFAULT_REPLY_AFTER_PAUSE_MS } }
    })
    const starts = decisions.filter((d) => d.type === 'reply_start')
    const after = starts.find((d) => d.at_ms >= clip.endMs)
    return {
      clip,
      decisions,
      resumes: events.filter((e) => e.type === 'speech_resume').length,
      cutOff: starts.some((d) => d.at_ms < clip.endMs),
      missed: after === undefined,
      delayMs: after ? after.at_ms - clip.endMs : null
    }
  })
}

const r = (x: number): number => Math.round(x)
const summaries: Record<string, Record<string, number>> = {}
const results = new Map<string, ClipResult[]>()
for (const policy of POLICIES) {
  for (const delay of [0, LATE_TRANSCRIPT_MS]) {
    const key = `${policy.name}_${delay === 0 ? 'at_once' : `late_${delay}`}`
    const res = run(policy, delay)
    results.set(key, res)
    const incomplete = res.filter((x) => x.clip.kind === 'incomplete')
    const complete = res.filter((x) => x.clip.kind === 'complete')
    const delays = complete.flatMap((x) => (x.delayMs === null ? [] : [x.delayMs]))
    const s = {
      false_cutoff_rate: round3(incomplete.filter((x) => x.cutOff).length / incomplete.length),
      false_cutoffs: incomplete.filter((x) => x.cutOff).length,
      complete_cut_early: complete.filter((x) => x.cutOff).length,
      revocations: res.reduce((n, x) => n + x.decisions.filter((d) => d.type === 'revoke').length, 0),
      eot_delay_p50_ms: r(pct(delays, 50)),
      eot_delay_p95_ms: r(pct(delays, 95)),
      incomplete_delay_p50_ms: r(pct(incomplete.flatMap((x) => (x.delayMs === null ? [] : [x.delayMs])), 50)),
      missed: res.filter((x) => x.missed).length,
      speculations_dropped: res.reduce((n, x) => n + x.resumes, 0)
    }
    summaries[key] = s
    console.log(
      `${key.padEnd(18)} false cut-offs ${s.false_cutoffs}/${incomplete.length} (${(s.false_cutoff_rate * 100).toFixed(1)} %), revocations ${s.revocations}, ` +
        `end-of-turn delay p50 ${s.eot_delay_p50_ms} ms p95 ${s.eot_delay_p95_ms} ms, missed ${s.missed}, speculations dropped ${s.speculations_dropped}`
    )
  }
}

// The adaptive policy's worst clips, over both transcript timings: cut-offs first (earliest first), then missed
// turns, then the longest delays on complete turns.
const worst = [...results.get('adaptive_at_once')!.map((x) => ({ ...x, late: 0 })), ...results.get(`adaptive_late_${LATE_TRANSCRIPT_MS}`)!.map((x) => ({ ...x, late: LATE_TRANSCRIPT_MS }))]
  .map((x) => ({ ...x, badness: x.cutOff ? 1e6 + (x.clip.endMs - x.decisions.find((d) => d.type === 'reply_start')!.at_ms) : x.missed ? 5e5 : x.clip.kind === 'complete' ? (x.delayMs ?? 0) : 0 }))
  .sort((a, b) => b.badness - a.badness)
  .slice(0, 5)
console.log('five worst clips of the adaptive policy:')
const worstJson = worst.map((x) => ({
  clip: x.clip.id,
  transcript_delay_ms: x.late,
  voice: x.clip.voice,
  rate: x.clip.rate,
  snr_db: x.clip.snrDb,
  pause_ms: x.clip.pauseMs,
  end_ms: x.clip.endMs,
  phrases: x.clip.phrases.map((p) => `${p.text} [${p.start_ms}–${p.end_ms}]`).join(' | '),
  decisions: x.decisions.map((d) => `${d.type}@${d.at_ms} ${d.reason}`)
}))
for (const w of worstJson) console.log(`  ${JSON.stringify(w)}`)

const atOnce = summaries.adaptive_at_once!
const late = summaries[`adaptive_late_${LATE_TRANSCRIPT_MS}`]!
const goals = {
  at_once: atOnce.eot_delay_p50_ms! <= 200 && atOnce.false_cutoff_rate! <= 0.03,
  late: late.eot_delay_p50_ms! <= 350 && late.false_cutoff_rate! <= 0.03
}
console.log(
  JSON.stringify({
    bench: 'turntaking',
    corpus: { key: corpus.key, clips: clips.length, complete: clips.filter((c) => c.kind === 'complete').length, incomplete: clips.filter((c) => c.kind === 'incomplete').length },
    policy: DEFAULT_TURN_POLICY_CONFIG,
    speech_end_silence_ms: { fixed: TODAY_SPEECH_END_SILENCE_MS, adaptive: DEFAULT_ENDPOINTER_CONFIG.speechEndSilenceMs },
    ...summaries,
    worst: worstJson.map((w) => ({ clip: w.clip, transcript_delay_ms: w.transcript_delay_ms, decisions: w.decisions })),
    goals,
    goals_met: goals.at_once && goals.late
  })
)

function makeUp(list: TurnClip[]): string {
  const by = new Map<string, number>()
  for (const c of list) by.set(`${c.kind}/${c.category}`, (by.get(`${c.kind}/${c.category}`) ?? 0) + 1)
  const voices = new Set(list.map((c) => c.voice))
  const noise = new Map<string, number>()
  for (const c of list) noise.set(c.snrDb === null ? 'clean' : `${c.snrDb} dB`, (noise.get(c.snrDb === null ? 'clean' : `${c.snrDb} dB`) ?? 0) + 1)
  return `${list.length} clips: ${[...by].map(([k, n]) => `${k} ${n}`).join(', ')}; ${voices.size} voices; noise ${[...noise].map(([k, n]) => `${k} ${n}`).join(', ')}`
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000
}

import { z } from 'zod'
import { DEFAULT_ENDPOINTER_CONFIG, Endpointer, type EndpointerConfig, type EndpointEvent } from '../../shared/voice/endpointer'
import { VAD_FRAME_MS, VAD_FRAME_SAMPLES } from '../../node/vad/sileroVad'
import type { FrameClassifier } from '../../node/vad/vadStream'
import { TURN_TICK_MS } from './sessionTicker'
import { TurnDetector, type TurnAction, type TurnDetectorSettings, type TurnSignal } from './turnDetector'

/**
 * Replays one recorded turn through the app's local path, on the clip's own timeline: Silero VAD → the shared
 * endpointer (as the app runs it) → the TurnDetector with its turn policy, ticked every TURN_TICK_MS like a session.
 * Speculative transcripts come from the clip's phrase timeline as a timestamped STT would give them: at each
 * speculation, the text of the phrases that had ended by then (optionally `transcriptDelayMs` later). Used by
 * `npm run turns` (turnReplayCli.ts) and `bench turntaking`.
 */

export interface TurnPhrase {
  text: string
  start_ms: number
  end_ms: number
}

/** words.json: the phrases of a clip, in order. */
export const turnPhrasesSchema = z
  .array(
    z
      .object({ text: z.string().max(2000), start_ms: z.number().finite().min(0), end_ms: z.number().finite().min(0) })
      .strict()
      .refine((p) => p.end_ms >= p.start_ms, { message: 'end_ms must not be before start_ms' })
  )
  .max(10_000)

export type TurnReplayEventType = 'reply_start' | 'revoke' | 'commit'

export interface TurnReplayEvent {
  type: TurnReplayEventType
  /** ms of clip audio. */
  at_ms: number
  reason: string
}

export interface TurnReplayOptions {
  /** The speculative transcript arrives this long after the speculation starts (an on-device STT's time). */
  transcriptDelayMs?: number
  detector?: TurnDetectorSettings
  tickMs?: number
  /** Keep ticking this long after the last VAD event (covers the longest hold). */
  tailMs?: number
}

/** The server keeps this much audio before an utterance's start (utteranceAudio.ts): phrases from there on are its. */
const UTTERANCE_PRE_ROLL_MS = 400

/** Silero's speech probability for every 32 ms frame of a 16 kHz mono clip (the last partial frame padded with zeros). */
export async function frameProbabilities(classifier: FrameClassifier, samples: Float32Array): Promise<Float32Array> {
  classifier.reset()
  const frames = Math.ceil(samples.length / VAD_FRAME_SAMPLES)
  const out = new Float32Array(frames)
  for (let i = 0; i < frames; i++) {
    const frame = new Float32Array(VAD_FRAME_SAMPLES)
    frame.set(samples.subarray(i * VAD_FRAME_SAMPLES, Math.min(samples.length, (i + 1) * VAD_FRAME_SAMPLES)))
    out[i] = await classifier.process(frame)
  }
  return out
}

/** The endpointer's events over per-frame probabilities, as the app's VAD would send them (no flush at the end). */
export function endpointEvents(probabilities: Float32Array, config: Partial<EndpointerConfig> = {}): EndpointEvent[] {
  const endpointer = new Endpointer({ ...DEFAULT_ENDPOINTER_CONFIG, ...config }, VAD_FRAME_MS)
  const events: EndpointEvent[] = []
  for (const p of probabilities) events.push(...endpointer.push(p))
  return events
}

/** The turn decisions for a clip's endpoint events and phrases. Pure: the same input gives the same decisions. */
export function replayTurns(events: readonly EndpointEvent[], phrases: readonly TurnPhrase[], opts: TurnReplayOptions = {}): TurnReplayEvent[] {
  const delay = opts.transcriptDelayMs ?? 0
  const tickMs = opts.tickMs ?? TURN_TICK_MS
  const detector = new TurnDetector(opts.detector)
  const out: TurnReplayEvent[] = []
  /** Per utterance: the speculation generation (a drop or a new speculation makes pending transcripts stale). */
  const generation = new Map<number, number>()
  const audioStart = new Map<number, number>()
  const pending: Array<{ at: number; utterance: number; gen: number; text: string }> = []

  const apply = (actions: TurnAction[], at: number): void => {
    for (const a of actions) {
      switch (a.type) {
        case 'utteranceStart':
          audioStart.set(a.utterance, Math.max(0, at - UTTERANCE_PRE_ROLL_MS))
          break
        case 'speculate': {
          const gen = (generation.get(a.utterance) ?? 0) + 1
          generation.set(a.utterance, gen)
          const from = audioStart.get(a.utterance) ?? 0
          const text = phrases
            .filter((p) => p.end_ms <= at && p.end_ms > from)
            .map((p) => p.text)
            .join(' ')
          pending.push({ at: at + delay, utterance: a.utterance, gen, text })
          break
        }
        case 'dropSpeculation':
        case 'revokeCommit':
          generation.set(a.utterance, (generation.get(a.utterance) ?? 0) + 1)
          if (a.type === 'revokeCommit') out.push({ type: 'revoke', at_ms: at, reason: a.reason })
          break
        case 'commit': {
          const reason = a.decision?.reason ?? 'committed'
          out.push({ type: 'reply_start', at_ms: at, reason })
          if (!a.early) out.push({ type: 'commit', at_ms: at, reason })
          break
        }
        case 'closeEarlyCommit':
          out.push({ type: 'commit', at_ms: at, reason: 'end of utterance: the early reply stands' })
          break
        default:
          break
      }
    }
  }

  const signals: Array<{ at: number; signal: TurnSignal }> = [{ at: 0, signal: { type: 'clientVadActive', at: 0 } }]
  for (const e of events) signals.push({ at: e.atMs, signal: clientSignal(e) })
  const lastAt = signals.at(-1)!.at
  const endAt = Math.max(lastAt, phrases.at(-1)?.end_ms ?? 0) + (opts.tailMs ?? 3000)
  let next = 0
  for (let tick = 0; tick <= endAt; tick += tickMs) {
    // Everything due by this tick, in time order: VAD events, then transcripts that arrived.
    for (;;) {
      const signal = next < signals.length && signals[next]!.at <= tick ? signals[next]! : null
      pending.sort((a, b) => a.at - b.at)
      const transcript = pending[0] && pending[0].at <= tick ? pending[0] : null
      if (!signal && !transcript) break
      if (signal && (!transcript || signal.at <= transcript.at)) {
        next++
        apply(detector.push(signal.signal), signal.at)
      } else if (transcript) {
        pending.shift()
        if (generation.get(transcript.utterance) === transcript.gen) {
          apply(detector.push({ type: 'interruptionTranscript', utterance: transcript.utterance, text: transcript.text, at: transcript.at }), transcript.at)
        }
      }
    }
    apply(detector.push({ type: 'tick', at: tick }), tick)
  }
  return out
}

function clientSignal(e: EndpointEvent): TurnSignal {
  const turnId = `u${e.utteranceId}`
  switch (e.type) {
    case 'speech_start':
      return { type: 'speechStart', source: 'client', at: e.atMs, turnId }
    case 'speech_end':
      return { type: 'speechEnd', source: 'client', at: e.atMs, pauseMs: e.atMs - e.endMs }
    case 'speech_resume':
      return { type: 'speechResume', source: 'client', at: e.atMs }
    case 'end_of_utterance':
      return { type: 'endOfUtterance', source: 'client', at: e.atMs, turnId, reason: e.reason }
  }
}

import { z } from 'zod'

/**
 * One voice turn as timestamped marks. Each mark is taken on the clock of the process that saw the moment
 * (renderer, main, backend); `clockOffsets.ts` moves them onto one timeline and `breakdown.ts` turns them into
 * stages that add up to e2e_latency. Pure data: shared by the backend, the main process and the overlay.
 */

/** The moments of a turn, in pipeline order. */
export const turnMarkNames = [
  /** The user stopped speaking, at the microphone (renderer: capture-tap / VAD sample time). */
  'speech_end_mic',
  /** The frame holding the end of speech left the renderer (capture + encode done). */
  'uplink_sent',
  /** That frame arrived at the backend (RTP arrival). */
  'uplink_arrival',
  /**
   * The turn policy's chosen wait began (backend: end_of_utterance − the decision's wait). Only on spoken turns whose
   * commit carried a decision: what lies before it is hearing the end of speech, what follows is the turn decision.
   */
  'turn_wait_start',
  /** The turn was committed: end_of_utterance (local VAD event over signaling, or the server VAD backstop). */
  'end_of_utterance',
  /**
   * The final transcript was available: with speculative STT, when it arrived (often before end_of_utterance, hidden
   * in the pause); else when the STT call at the commit returned.
   */
  'transcript',
  /** First LLM token. */
  'llm_first_token',
  /** First complete sentence handed to TTS. */
  'first_sentence',
  /** First TTS audio out of the synthesizer. */
  'tts_first_audio',
  /** First reply frame handed to the paced Opus sender. */
  'reply_sent',
  /** First reply packet received by the client. */
  'downlink_arrival',
  /** First reply sample played at the speaker (client). */
  'playout'
] as const
export type TurnMarkName = (typeof turnMarkNames)[number]

export const clockNameSchema = z.enum(['renderer', 'main', 'backend'])
export type ClockName = z.infer<typeof clockNameSchema>

export const turnMarkSchema = z.object({
  name: z.enum(turnMarkNames),
  /** ms since epoch on `clock`. */
  at: z.number().finite(),
  clock: clockNameSchema
})
export type TurnMark = z.infer<typeof turnMarkSchema>

export const turnDecisionSchema = z.object({ waitMs: z.number().finite().nonnegative().max(60_000), reason: z.string().max(200) }).strict()
export type TurnDecisionTrace = z.infer<typeof turnDecisionSchema>

export const turnStatusSchema = z.enum(['running', 'done', 'cancelled', 'failed'])
export type TurnStatus = z.infer<typeof turnStatusSchema>

export const turnTraceSchema = z.object({
  /** Unique per session, e.g. "s1-t3". */
  turnId: z.string().min(1).max(128),
  status: turnStatusSchema,
  marks: z.array(turnMarkSchema).max(64),
  /** Offsets the emitter measured, ms to ADD to a clock's time to get the main-process clock (e.g. backend → main). */
  clockOffsets: z.object({ backend: z.number().finite().optional(), renderer: z.number().finite().optional() }).strict().optional(),
  /**
   * Measured compute inside the backend (ms). `stt` is stt_compute_ms: the recognizer's own time for the transcript
   * the turn used (on-device: the worker's compute without its queue wait; a cloud STT: the call), even when
   * speculative STT hid it inside the pause before end_of_utterance.
   */
  compute: z
    .object({ stt: z.number().nonnegative().optional(), llm: z.number().nonnegative().optional(), tts: z.number().nonnegative().optional() })
    .strict()
    .optional(),
  transcript: z.string().max(4000).optional(),
  reply: z.string().max(8000).optional(),
  /** Which provider served each stage. */
  providers: z.object({ stt: z.string().max(200).optional(), llm: z.string().max(200).optional(), tts: z.string().max(200).optional() }).strict().optional(),
  /** Failovers and other things worth showing next to this turn. */
  notes: z.array(z.string().max(500)).max(20).optional(),
  /**
   * The turn policy's decision for a spoken turn: the wait it chose after the speech ended and why ("complete
   * request → 150 ms", "waited: trailing 'for'"). Absent on typed turns and commits that carried none.
   */
  decision: turnDecisionSchema.optional()
})
export type TurnTrace = z.infer<typeof turnTraceSchema>

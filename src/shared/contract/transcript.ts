import { z } from 'zod'

/** A final transcript of one utterance, from whichever engine produced it. */
export const transcriptSchema = z.object({
  utteranceId: z.number().int().nonnegative(),
  text: z.string(),
  /** local: the on-device fallback engine. */
  source: z.enum(['local', 'backend']),
  engine: z.string(),
  /** Audio length and time spent transcribing it. */
  audioMs: z.number().nonnegative(),
  transcriptionMs: z.number().nonnegative(),
  /** Set when there is no transcript: no model installed, the engine failed, ... (text is then ""). */
  error: z.string().nullable()
})
export type Transcript = z.infer<typeof transcriptSchema>

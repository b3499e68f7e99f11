import { z } from 'zod'

/** On-device models (fallback STT): what the catalog offers, what is installed, download progress. */
export const modelStateSchema = z.enum(['not_installed', 'downloading', 'installed'])

export const modelInfoSchema = z.object({
  id: z.string(),
  name: z.string(),
  engine: z.string(),
  language: z.string(),
  description: z.string(),
  license: z.string(),
  licenseUrl: z.string(),
  sizeBytes: z.number().int().nonnegative(),
  /** The catalog's default: the one the first-run setup offers. */
  recommended: z.boolean().optional(),
  state: modelStateSchema,
  /** Bytes on disk: partial download (resumable) or the whole model. */
  receivedBytes: z.number().int().nonnegative(),
  /** The last download's error, in words the user can act on. */
  error: z.string().nullable()
})
export type ModelInfo = z.infer<typeof modelInfoSchema>

export const modelProgressSchema = z.object({
  modelId: z.string(),
  state: z.enum(['downloading', 'installed', 'cancelled', 'error']),
  receivedBytes: z.number().int().nonnegative(),
  totalBytes: z.number().int().nonnegative(),
  error: z.string().nullable(),
  /** Measured over the last seconds; null until known. */
  bytesPerSecond: z.number().nonnegative().nullable().optional(),
  secondsLeft: z.number().nonnegative().nullable().optional(),
  /**
   * The transfer dropped or stalled and an automatic resume (Range request) is waiting: the attempt in a row, how many
   * are made before the download stops with an error, the wait, and what happened. null once bytes flow again.
   */
  retry: z
    .object({ attempt: z.number().int().positive(), maxAttempts: z.number().int().positive(), inMs: z.number().nonnegative(), reason: z.string() })
    .nullable()
    .optional(),
  /** The host the files come from (the model host, or the mirror). */
  source: z.string().optional()
})
export type ModelProgress = z.infer<typeof modelProgressSchema>

const modelIdSchema = z.string().regex(/^[a-z0-9][a-z0-9.-]{0,63}$/)
export const modelIdParamsSchema = z.object({ id: modelIdSchema }).strict()

/** Install from a folder or a .tar / .tar.gz archive on this machine (offline install); `id` when it must be that model. */
export const importModelParamsSchema = z.object({ path: z.string().trim().min(1).max(4096), id: modelIdSchema.optional() }).strict()
export const importModelResultSchema = z.object({ id: z.string(), name: z.string(), models: z.array(modelInfoSchema) })

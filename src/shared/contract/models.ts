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
  error: z.string().nullable()
})
export type ModelProgress = z.infer<typeof modelProgressSchema>

export const modelIdParamsSchema = z.object({ id: z.string().regex(/^[a-z0-9][a-z0-9.-]{0,63}$/) }).strict()

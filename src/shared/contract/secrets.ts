import { z } from 'zod'

/**
 * API keys for the STT/LLM/TTS providers. The renderer can set or clear a key and learn whether one is set; it can
 * never read a key back. Keys are stored encrypted by the main process (see src/main/services/secretsStore.ts).
 */
export const secretNameSchema = z.enum(['stt.apiKey', 'llm.apiKey', 'tts.apiKey'])
export type SecretName = z.infer<typeof secretNameSchema>
export const secretNames = secretNameSchema.options

export const secretValueSchema = z
  .string()
  .min(1, 'is empty')
  .max(4096, 'is longer than 4096 characters')
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces (paste just the key)')

export const secretsStatusSchema = z.object({
  storage: z.object({
    /** Whether keys can be stored right now. */
    available: z.boolean(),
    /** safeStorage (OS keychain via Electron), file-key (opt-in key file), unavailable. */
    kind: z.enum(['safeStorage', 'file-key', 'unavailable']),
    /** Why storage is unavailable and how to fix it; null when available. */
    reason: z.string().nullable()
  }),
  /** name → whether a key is stored. */
  keys: z.record(secretNameSchema, z.boolean())
})
export type SecretsStatus = z.infer<typeof secretsStatusSchema>

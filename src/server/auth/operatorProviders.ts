import { readFile } from 'node:fs/promises'
import { z } from 'zod'
import type { VoiceConfig } from '../../shared/contract/signaling'

/**
 * A standalone backend's own providers, from its operator's config file (`--providers <file.json>`):
 *   { "stt": [{ "name": "whisper", "baseUrl": "http://10.0.0.5:8000/v1", "model": "whisper-1", "apiKeyEnv": "STT_KEY" }],
 *     "llm": [...], "tts": [...] }
 * The operator may point these anywhere (a LAN model server included); clients pick them by name and never see
 * their URL or key. `apiKeyEnv` names an environment variable, so keys need not sit in the file.
 */
const operatorProviderFileEntrySchema = z
  .object({
    name: z.string().min(1).max(64),
    kind: z.literal('openai-compatible').default('openai-compatible'),
    baseUrl: z.url().max(2048),
    model: z.string().min(1).max(128),
    apiKey: z.string().max(4096).optional(),
    apiKeyEnv: z.string().min(1).max(128).optional(),
    label: z.string().max(200).optional()
  })
  .strict()
const stage = z.array(operatorProviderFileEntrySchema).max(8).default([])
export const operatorProvidersFileSchema = z.object({ stt: stage, llm: stage, tts: stage }).strict()

export type OperatorProvider = VoiceConfig['stt'][number] & { name: string }
export type OperatorProviders = Record<'stt' | 'llm' | 'tts', OperatorProvider[]>

export const NO_OPERATOR_PROVIDERS: OperatorProviders = { stt: [], llm: [], tts: [] }

/** Parse an operator providers document; throws an Error naming every problem (file, field, env variable). */
export function parseOperatorProviders(json: unknown, env: NodeJS.ProcessEnv, source = 'providers file'): OperatorProviders {
  const parsed = operatorProvidersFileSchema.safeParse(json)
  if (!parsed.success) throw new Error(`${source}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`)
  const out: OperatorProviders = { stt: [], llm: [], tts: [] }
  for (const name of ['stt', 'llm', 'tts'] as const) {
    const seen = new Set<string>()
    for (const entry of parsed.data[name]) {
      if (seen.has(entry.name)) throw new Error(`${source}: ${name} has two providers named ${JSON.stringify(entry.name)}`)
      seen.add(entry.name)
      if (entry.apiKey !== undefined && entry.apiKeyEnv !== undefined) throw new Error(`${source}: ${name}.${entry.name} has both apiKey and apiKeyEnv; keep one`)
      let apiKey: string | null = entry.apiKey ?? null
      if (entry.apiKeyEnv !== undefined) {
        apiKey = env[entry.apiKeyEnv] ?? null
        if (!apiKey) throw new Error(`${source}: ${name}.${entry.name} takes its key from $${entry.apiKeyEnv}, which is not set`)
      }
      out[name].push({ name: entry.name, kind: 'openai-compatible', baseUrl: entry.baseUrl, apiKey, model: entry.model, label: entry.label ?? `${entry.name} (operator)` })
    }
  }
  return out
}

export async function loadOperatorProviders(path: string, env: NodeJS.ProcessEnv): Promise<OperatorProviders> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    throw new Error(`cannot read the providers file ${path}: ${(error as Error).message}`, { cause: error })
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    throw new Error(`the providers file ${path} is not JSON: ${(error as Error).message}`, { cause: error })
  }
  return parseOperatorProviders(json, env, path)
}

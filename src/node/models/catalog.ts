import { readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { existsSync } from 'node:fs'
import { z } from 'zod'

/** resources/models/catalog.json: the on-device STT models the app offers, with where to get them and checksums. */
const relativePath = z
  .string()
  .min(1)
  .max(200)
  .regex(/^(?!\/)(?!.*\.\.)[A-Za-z0-9._/-]+$/, 'must be a relative path without ..')

export const catalogFileSchema = z.object({
  path: relativePath,
  url: z.string().url(),
  size: z.number().int().positive(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits')
})

export const catalogModelSchema = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9.-]{0,63}$/),
  name: z.string().min(1),
  engine: z.enum(['moonshine']),
  language: z.string(),
  description: z.string(),
  license: z.string().min(1),
  licenseUrl: z.string().url(),
  homepage: z.string().url(),
  revision: z.string(),
  /** The model offered first (first-run setup, `npm run models -- install` without an id). At most one. */
  default: z.boolean().optional(),
  checksumNote: z.string().optional(),
  files: z.array(catalogFileSchema).min(1)
})
export type CatalogModel = z.infer<typeof catalogModelSchema>

export const catalogSchema = z
  .object({ version: z.literal(1), models: z.array(catalogModelSchema) })
  .superRefine((catalog, ctx) => {
    const seen = new Set<string>()
    catalog.models.forEach((m, i) => {
      if (seen.has(m.id)) ctx.addIssue({ code: 'custom', path: ['models', i, 'id'], message: `"${m.id}" appears twice` })
      seen.add(m.id)
    })
    if (catalog.models.filter((m) => m.default).length > 1) ctx.addIssue({ code: 'custom', path: ['models'], message: 'more than one model is marked default' })
  })
export type Catalog = z.infer<typeof catalogSchema>

export function resolveCatalogPath(startDir: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = startDir
  for (;;) {
    const candidate = join(dir, 'resources', 'models', 'catalog.json')
    if (existsSync(candidate)) return candidate
    const parent = dirname(dir)
    if (parent === dir) throw new Error(`model catalog not found: no resources/models/catalog.json above ${startDir}`)
    dir = parent
  }
}

export async function loadCatalog(path: string = resolveCatalogPath()): Promise<Catalog> {
  let json: unknown
  try {
    json = JSON.parse(await readFile(path, 'utf8'))
  } catch (error) {
    throw new Error(`cannot read the model catalog ${path}: ${(error as Error).message}`, { cause: error })
  }
  const parsed = catalogSchema.safeParse(json)
  if (!parsed.success) throw new Error(`the model catalog ${path} is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`)
  return parsed.data
}

export function modelSize(model: CatalogModel): number {
  return model.files.reduce((n, f) => n + f.size, 0)
}

/** The model marked default, else the first one; null for an empty catalog. */
export function defaultModel(catalog: Catalog): CatalogModel | null {
  return catalog.models.find((m) => m.default) ?? catalog.models[0] ?? null
}

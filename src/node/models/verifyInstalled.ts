import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import type { Catalog, CatalogModel } from './catalog'

/** What `verify` found for one catalog model in a models folder. */
export interface ModelCheck {
  id: string
  name: string
  dir: string
  /** ok: every file has the catalog's size and SHA-256; damaged: at least one does not (problems say which). */
  state: 'ok' | 'damaged' | 'not_installed'
  problems: string[]
}

/**
 * Check installed models against the catalog: every file present, of the catalog's size, with its SHA-256. A model
 * is installed when `<modelsDir>/<id>/manifest.json` names it (ModelManager writes that last, in its atomic install).
 * Files are hashed as streams, so memory stays flat for any model size.
 */
export async function verifyInstalled(modelsDir: string, catalog: Catalog, ids?: readonly string[]): Promise<ModelCheck[]> {
  const models = ids ? catalog.models.filter((m) => ids.includes(m.id)) : catalog.models
  const checks: ModelCheck[] = []
  for (const model of models) checks.push(await checkModel(join(modelsDir, model.id), model))
  return checks
}

async function checkModel(dir: string, model: CatalogModel): Promise<ModelCheck> {
  const base = { id: model.id, name: model.name, dir }
  try {
    const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as { id?: unknown }
    if (manifest.id !== model.id) return { ...base, state: 'not_installed', problems: [] }
  } catch {
    return { ...base, state: 'not_installed', problems: [] }
  }
  const problems: string[] = []
  for (const file of model.files) {
    const path = join(dir, file.path)
    let size: number
    try {
      size = (await stat(path)).size
    } catch {
      problems.push(`${file.path} is missing`)
      continue
    }
    if (size !== file.size) {
      problems.push(`${file.path} has ${size} bytes, the catalog says ${file.size}`)
      continue
    }
    const hash = createHash('sha256')
    await pipeline(createReadStream(path), hash)
    const digest = hash.digest('hex')
    if (digest !== file.sha256) problems.push(`${file.path} fails its checksum (SHA-256 ${digest.slice(0, 12)}…, the catalog says ${file.sha256.slice(0, 12)}…)`)
  }
  return { ...base, state: problems.length ? 'damaged' : 'ok', problems }
}

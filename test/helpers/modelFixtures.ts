import { createHash, randomBytes } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Catalog, CatalogModel } from '../../src/node/models/catalog'

/**
 * Generated model files and a temporary catalog that vouches for them (no real weights can be fetched here): two
 * models with the same paths and different bytes, as Moonshine Tiny and Base share file names.
 */
export interface ModelFixture {
  catalog: Catalog
  /** Model id → catalog path → bytes. */
  bytes: Record<string, Record<string, Buffer>>
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex')

/** `encoderBytes`: the size of Tiny's encoder (Base's is 2.25×; the decoders about twice): bigger for a visible download. */
export function modelFixture(baseUrl = 'https://models.example/m', encoderBytes = 40_000): ModelFixture {
  const bytes: ModelFixture['bytes'] = {}
  const model = (id: string, name: string, weights: number, isDefault: boolean): CatalogModel => {
    const files: Record<string, Buffer> = {
      'config.json': Buffer.from(JSON.stringify({ model: id, layers: weights % 7 })),
      'tokenizer.json': Buffer.from(JSON.stringify({ vocab: ['a', 'b', id] })),
      'onnx/encoder_model_quantized.onnx': randomBytes(weights),
      'onnx/decoder_model_merged_quantized.onnx': randomBytes(weights * 2 + 17)
    }
    bytes[id] = files
    return {
      id,
      name,
      engine: 'moonshine',
      language: 'en',
      description: `${name} (generated for tests)`,
      license: 'MIT',
      licenseUrl: 'https://example.com/license',
      homepage: `https://example.com/${id}`,
      revision: 'abcdef0123456789',
      ...(isDefault ? { default: true } : {}),
      files: Object.entries(files).map(([path, data]) => ({ path, url: `${baseUrl}/${id}/${path}`, size: data.length, sha256: sha(data) }))
    }
  }
  return { catalog: { version: 1, models: [model('tiny-test', 'Tiny (test)', encoderBytes, true), model('base-test', 'Base (test)', Math.round(encoderBytes * 2.25), false)] }, bytes }
}

/** Write `files` (catalog path → bytes) under `dir`. */
export async function writeModelFiles(dir: string, files: Record<string, Buffer>): Promise<void> {
  for (const [path, data] of Object.entries(files)) {
    await mkdir(join(dir, path, '..'), { recursive: true })
    await writeFile(join(dir, path), data)
  }
}

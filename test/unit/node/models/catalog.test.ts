import { mkdtemp, mkdir, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { defaultModel, loadCatalog, modelSize, resolveCatalogPath } from '../../../../src/node/models/catalog'

const file = (over: Record<string, unknown> = {}) => ({
  path: 'onnx/encoder.onnx',
  url: 'https://example.invalid/encoder.onnx',
  size: 10,
  sha256: 'a'.repeat(64),
  ...over
})
const model = (files: unknown[]) => ({
  id: 'moonshine-test',
  name: 'Test',
  engine: 'moonshine',
  language: 'en',
  description: 'd',
  license: 'MIT',
  licenseUrl: 'https://example.invalid/l',
  homepage: 'https://example.invalid/h',
  revision: 'r1',
  files
})

async function writeCatalog(json: unknown): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'catalog-'))
  const path = join(dir, 'catalog.json')
  await writeFile(path, typeof json === 'string' ? json : JSON.stringify(json))
  return path
}

describe('model catalog', () => {
  it('the shipped catalog is found above this module and is valid', async () => {
    const catalog = await loadCatalog()
    expect(catalog.models.length).toBeGreaterThan(0)
    for (const m of catalog.models) expect(modelSize(m)).toBe(m.files.reduce((n, f) => n + f.size, 0))
  })

  it('ships Moonshine Tiny (the default) and Base, every file pinned to the revision, with the files the engine reads', async () => {
    const catalog = await loadCatalog()
    expect(catalog.models.map((m) => m.id)).toEqual(['moonshine-tiny-q8', 'moonshine-base-q8'])
    expect(defaultModel(catalog)?.id).toBe('moonshine-tiny-q8')
    for (const m of catalog.models) {
      expect(m.revision, m.id).toMatch(/^[0-9a-f]{40}$/)
      for (const f of m.files) expect(f.url, `${m.id} ${f.path}`).toBe(`${m.homepage}/resolve/${m.revision}/${f.path}`)
      expect(m.files.map((f) => f.path)).toEqual(expect.arrayContaining(['config.json', 'tokenizer.json', 'onnx/encoder_model_quantized.onnx', 'onnx/decoder_model_merged_quantized.onnx']))
    }
    // Tiny ≈ 32 MB, Base ≈ 67 MB.
    expect(catalog.models.map((m) => Math.round(modelSize(m) / 1e6))).toEqual([32, 67])
  })

  it('finds resources/models/catalog.json by walking up, and says where it looked when there is none', async () => {
    const root = await mkdtemp(join(tmpdir(), 'catalog-root-'))
    await mkdir(join(root, 'resources', 'models'), { recursive: true })
    await mkdir(join(root, 'a', 'b'), { recursive: true })
    await writeFile(join(root, 'resources', 'models', 'catalog.json'), '{}')
    expect(resolveCatalogPath(join(root, 'a', 'b'))).toBe(join(root, 'resources', 'models', 'catalog.json'))
    const lonely = await mkdtemp(join(tmpdir(), 'catalog-none-'))
    expect(() => resolveCatalogPath(lonely)).toThrow(/model catalog not found/)
  })

  it('refuses a file that is not JSON, and paths that escape the model folder, naming the field', async () => {
    await expect(loadCatalog(await writeCatalog('{not json'))).rejects.toThrow(/cannot read the model catalog/)
    await expect(loadCatalog(await writeCatalog({ version: 1, models: [model([file({ path: '../evil' })])] }))).rejects.toThrow(/models\.0\.files\.0\.path: must be a relative path/)
    await expect(loadCatalog(await writeCatalog({ version: 1, models: [model([file({ path: '/etc/passwd' })])] }))).rejects.toThrow(/relative path/)
    await expect(loadCatalog(await writeCatalog({ version: 1, models: [model([file({ sha256: 'XYZ' })])] }))).rejects.toThrow(/sha256/)
    await expect(loadCatalog(await writeCatalog({ version: 2, models: [] }))).rejects.toThrow(/version/)
    await expect(loadCatalog(await writeCatalog({ version: 1, models: [model([file()]), model([file()])] }))).rejects.toThrow(/models\.1\.id: "moonshine-test" appears twice/)
    const two = [{ ...model([file()]), default: true }, { ...model([file()]), id: 'other', default: true }]
    await expect(loadCatalog(await writeCatalog({ version: 1, models: two }))).rejects.toThrow(/more than one model is marked default/)
  })

  it('the default model is the one marked so, else the first', () => {
    const a = { ...model([file()]), id: 'a' } as Parameters<typeof defaultModel>[0]['models'][number]
    const b = { ...a, id: 'b' }
    expect(defaultModel({ version: 1, models: [a, { ...b, default: true }] })?.id).toBe('b')
    expect(defaultModel({ version: 1, models: [a, b] })?.id).toBe('a')
    expect(defaultModel({ version: 1, models: [] })).toBeNull()
  })
})

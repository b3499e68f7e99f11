import { mkdtemp, mkdir, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadCatalog, modelSize, resolveCatalogPath } from '../../../../src/node/models/catalog'

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
  })
})

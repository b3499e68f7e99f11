import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Catalog } from '../../../../src/node/models/catalog'
import { verifyInstalled } from '../../../../src/node/models/verifyInstalled'

const a = Buffer.from('weights of model a')
const b = Buffer.from('config')
const sha = (x: Buffer): string => createHash('sha256').update(x).digest('hex')
const model = (id: string) => ({
  id,
  name: id.toUpperCase(),
  engine: 'moonshine' as const,
  language: 'en',
  description: '',
  license: 'MIT',
  licenseUrl: 'https://l.example',
  homepage: 'https://h.example',
  revision: 'r',
  files: [
    { path: 'onnx/a.bin', url: 'https://h.example/a', size: a.length, sha256: sha(a) },
    { path: 'config.json', url: 'https://h.example/b', size: b.length, sha256: sha(b) }
  ]
})
const catalog: Catalog = { version: 1, models: [model('one'), model('two'), model('three')] }

describe('verifyInstalled', () => {
  let dir: string
  const install = async (id: string, files: Record<string, Buffer>, manifestId = id): Promise<void> => {
    for (const [path, body] of Object.entries(files)) {
      await mkdir(join(dir, id, path, '..'), { recursive: true })
      await writeFile(join(dir, id, path), body)
    }
    await mkdir(join(dir, id), { recursive: true })
    await writeFile(join(dir, id, 'manifest.json'), JSON.stringify({ id: manifestId }))
  }
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'verify-'))
  })
  afterEach(() => rm(dir, { recursive: true, force: true }))

  it('checks every file of every installed model for presence, size and SHA-256', async () => {
    await install('one', { 'onnx/a.bin': a, 'config.json': b })
    await install('two', { 'onnx/a.bin': Buffer.from('weights of model A'), 'config.json': Buffer.from('config!') })
    await mkdir(join(dir, 'three'), { recursive: true }) // a folder without a manifest is not an installed model
    const checks = await verifyInstalled(dir, catalog)
    expect(checks).toEqual([
      { id: 'one', name: 'ONE', dir: join(dir, 'one'), state: 'ok', problems: [] },
      {
        id: 'two',
        name: 'TWO',
        dir: join(dir, 'two'),
        state: 'damaged',
        problems: [expect.stringMatching(/^onnx\/a\.bin fails its checksum \(SHA-256 [0-9a-f]{12}…, the catalog says [0-9a-f]{12}…\)$/), 'config.json has 7 bytes, the catalog says 6']
      },
      { id: 'three', name: 'THREE', dir: join(dir, 'three'), state: 'not_installed', problems: [] }
    ])
  })

  it('names a missing file, and checks only the models asked for', async () => {
    await install('one', { 'config.json': b })
    await install('two', { 'onnx/a.bin': a, 'config.json': b }, 'someone-else')
    expect(await verifyInstalled(dir, catalog, ['one'])).toEqual([expect.objectContaining({ id: 'one', state: 'damaged', problems: ['onnx/a.bin is missing'] })])
    expect(await verifyInstalled(dir, catalog, ['two'])).toEqual([expect.objectContaining({ state: 'not_installed' })])
  })
})

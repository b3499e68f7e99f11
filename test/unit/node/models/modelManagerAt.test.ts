import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Catalog } from '../../../../src/node/models/catalog'
import { modelManagerAt } from '../../../../src/node/models/modelManagerAt'

const catalog: Catalog = {
  version: 1,
  models: [{ id: 'm1', name: 'M1', engine: 'moonshine', language: 'en', description: '', license: 'MIT', licenseUrl: 'https://l.example', homepage: 'https://h.example', revision: 'r', files: [{ path: 'a.bin', url: 'https://h.example/a.bin', size: 10, sha256: 'a'.repeat(64) }] }]
}

describe('modelManagerAt (a ModelManager on a models folder given as is)', () => {
  let root: string
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'models-at-'))
  })
  afterEach(() => rm(root, { recursive: true, force: true }))

  it('finds, lists and deletes models in that folder, not in a "models" folder under it', async () => {
    const dir = join(root, 'speech')
    await mkdir(join(dir, 'm1'), { recursive: true })
    await writeFile(join(dir, 'm1', 'manifest.json'), JSON.stringify({ id: 'm1' }))
    const manager = modelManagerAt(dir, { catalog })
    expect(manager.modelsDir).toBe(dir)
    expect(await manager.installedPath('m1')).toBe(join(dir, 'm1'))
    expect(await manager.list()).toMatchObject([{ id: 'm1', state: 'installed' }])
    await manager.delete('m1')
    expect(await manager.installedPath('m1')).toBeNull()
  })

  it('resolves a relative folder against the working directory', () => {
    expect(modelManagerAt('rel/models', { catalog }).modelsDir).toBe(join(process.cwd(), 'rel/models'))
  })
})

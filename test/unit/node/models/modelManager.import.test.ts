import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { ModelProgress } from '../../../../src/shared/contract/models'
import { ModelManager } from '../../../../src/node/models/modelManager'
import { verifyInstalled } from '../../../../src/node/models/verifyInstalled'
import { modelFixture, writeModelFiles } from '../../../helpers/modelFixtures'

/** ModelManager.importFrom: offline install from a folder or archive, against a temporary catalog of generated models. */
describe('ModelManager.importFrom', () => {
  const { catalog, bytes } = modelFixture()
  let dir: string
  let modelsDir: string
  let m: ModelManager
  let progress: ModelProgress[]
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'model-import-mgr-'))
    modelsDir = join(dir, 'models')
    m = new ModelManager({ modelsDir, catalog })
    progress = []
    m.events.on('progress', (p) => progress.push(p))
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })
  /** Nothing but installed models in the models folder: no staging or partial leftovers. */
  const leftovers = async (): Promise<string[]> => (existsSync(modelsDir) ? (await readdir(modelsDir)).filter((n) => n.startsWith('.')) : [])

  it('installs from a folder: the files are verified, the install is complete (verify agrees) and the window is told', async () => {
    await writeModelFiles(join(dir, 'folder'), bytes['tiny-test']!)
    expect(await m.importFrom(join(dir, 'folder'))).toEqual({ id: 'tiny-test', name: 'Tiny (test)' })
    expect((await m.list()).find((x) => x.id === 'tiny-test')).toMatchObject({ state: 'installed', recommended: true })
    expect((await verifyInstalled(modelsDir, catalog, ['tiny-test']))[0]).toMatchObject({ state: 'ok', problems: [] })
    expect(JSON.parse(await readFile(join(modelsDir, 'tiny-test', 'manifest.json'), 'utf8'))).toMatchObject({ id: 'tiny-test', revision: 'abcdef0123456789' })
    expect(progress).toEqual([expect.objectContaining({ modelId: 'tiny-test', state: 'installed' })])
    expect(await leftovers()).toEqual([])
  })

  it('tells the models apart by their hashes (same paths): a .tar.gz of Base installs Base', async () => {
    await writeModelFiles(join(dir, 'src', 'moonshine-base'), bytes['base-test']!)
    execFileSync('tar', ['-C', join(dir, 'src'), '-czf', join(dir, 'base.tar.gz'), 'moonshine-base'])
    expect((await m.importFrom(join(dir, 'base.tar.gz'))).id).toBe('base-test')
    expect(await m.installedPath('base-test')).toBe(join(modelsDir, 'base-test'))
    expect(await m.installedPath('tiny-test')).toBeNull()
  })

  it('a wrong hash is refused before anything is installed, naming the file and what to do; nothing is left behind', async () => {
    const damaged = { ...bytes['tiny-test']! }
    const encoder = Buffer.from(damaged['onnx/encoder_model_quantized.onnx']!)
    encoder[1000] = encoder[1000]! ^ 0xff
    damaged['onnx/encoder_model_quantized.onnx'] = encoder
    await writeModelFiles(join(dir, 'folder'), damaged)
    await expect(m.importFrom(join(dir, 'folder'), { id: 'tiny-test' })).rejects.toMatchObject({
      code: 'bad_hash',
      message: expect.stringMatching(/does not hold Tiny \(test\) as the catalog lists it: onnx\/encoder_model_quantized\.onnx fails its checksum .*Nothing was installed; get the files of revision abcdef012345 from https:\/\/example\.com\/tiny-test/)
    })
    expect(await m.installedPath('tiny-test')).toBeNull()
    expect(await leftovers()).toEqual([])
  })

  it('an incomplete folder names the missing files; one with no model file says so; an unknown id is refused', async () => {
    const { 'tokenizer.json': _, ...partial } = bytes['tiny-test']!
    await writeModelFiles(join(dir, 'partial'), partial)
    await expect(m.importFrom(join(dir, 'partial'))).rejects.toMatchObject({ code: 'bad_source', message: expect.stringMatching(/tokenizer\.json is missing/) })
    await writeModelFiles(join(dir, 'empty'), { 'readme.txt': Buffer.from('no model here') })
    await expect(m.importFrom(join(dir, 'empty'))).rejects.toMatchObject({ message: expect.stringMatching(/no file of Tiny \(test\) was found in the folder/) })
    await expect(m.importFrom(dir, { id: 'nope' })).rejects.toMatchObject({ code: 'unknown_model' })
    expect(await leftovers()).toEqual([])
  })

  it('replaces an installed copy of the same model, and is refused while that model downloads', async () => {
    await writeModelFiles(join(dir, 'folder'), bytes['tiny-test']!)
    await m.importFrom(join(dir, 'folder'))
    await m.importFrom(join(dir, 'folder'))
    expect((await verifyInstalled(modelsDir, catalog, ['tiny-test']))[0]!.state).toBe('ok')
    const downloading = m.download('base-test') // its host does not exist: it fails, but is busy meanwhile
    await expect(m.importFrom(join(dir, 'folder'), { id: 'base-test' })).rejects.toMatchObject({ code: 'busy' })
    m.cancel('base-test')
    await downloading.catch(() => undefined)
  })
})

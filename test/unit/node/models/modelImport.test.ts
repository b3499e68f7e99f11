import { execFileSync } from 'node:child_process'
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { catalogPathLimits, catalogPathOf, collectModelFiles, matchModel, modelProblems } from '../../../../src/node/models/modelImport'
import { ModelError } from '../../../../src/node/models/modelError'
import { modelFixture, writeModelFiles } from '../../../helpers/modelFixtures'

const { catalog, bytes } = modelFixture()
const [tiny, base] = catalog.models as [(typeof catalog.models)[0], (typeof catalog.models)[0]]

describe('modelImport: paths and matching (pure)', () => {
  const limits = catalogPathLimits(catalog.models)

  it('limits each catalog path to the largest size any model gives it', () => {
    expect(limits.get('onnx/encoder_model_quantized.onnx')).toBe(90_000)
    expect(limits.size).toBe(4)
  })

  it('takes catalog paths at the top or under one folder; nothing outside, nothing escaping', () => {
    expect(catalogPathOf('config.json', limits)).toBe('config.json')
    expect(catalogPathOf('./onnx/encoder_model_quantized.onnx', limits)).toBe('onnx/encoder_model_quantized.onnx')
    expect(catalogPathOf('moonshine-tiny/onnx/encoder_model_quantized.onnx', limits)).toBe('onnx/encoder_model_quantized.onnx')
    expect(catalogPathOf('a/b/config.json', limits)).toBeNull()
    expect(catalogPathOf('../config.json', limits)).toBeNull()
    expect(catalogPathOf('/etc/config.json', limits)).toBeNull()
    expect(catalogPathOf('notes.txt', limits)).toBeNull()
  })

  it('matches the model whose every file has the catalog size and SHA-256; otherwise names the closest one and what is wrong', () => {
    const files = new Map(base.files.map((f) => [f.path, { size: f.size, sha256: f.sha256 }]))
    expect(matchModel(catalog.models, files)).toEqual({ ok: true, model: base })
    files.set('config.json', { size: base.files[0]!.size, sha256: '0'.repeat(64) })
    files.delete('tokenizer.json')
    const miss = matchModel(catalog.models, files)
    expect(miss).toMatchObject({ ok: false, model: base })
    expect(miss.ok ? [] : miss.problems).toEqual(['config.json fails its checksum (SHA-256 000000000000…, the catalog says ' + base.files[0]!.sha256.slice(0, 12) + '…)', 'tokenizer.json is missing'])
    expect(modelProblems(tiny, new Map())).toHaveLength(4)
  })
})

describe('collectModelFiles (files on disk)', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'model-import-'))
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('copies the catalog files of a folder (or of the one folder inside it) with their hashes, and ignores the rest', async () => {
    await writeModelFiles(join(dir, 'src', 'moonshine-base'), { ...bytes['base-test']!, 'README.md': Buffer.from('hi') })
    const got = await collectModelFiles(join(dir, 'src'), join(dir, 'staging'), catalog.models)
    expect(got.kind).toBe('folder')
    expect(matchModel(catalog.models, got.files)).toMatchObject({ ok: true, model: { id: 'base-test' } })
    expect(await readFile(join(dir, 'staging', 'onnx', 'decoder_model_merged_quantized.onnx'))).toEqual(bytes['base-test']!['onnx/decoder_model_merged_quantized.onnx'])
    expect(await readdir(join(dir, 'staging'))).not.toContain('README.md')
  })

  it('reads .tar and .tar.gz archives; a file too large for its path is not copied', async () => {
    await writeModelFiles(join(dir, 'src', 'm'), bytes['tiny-test']!)
    execFileSync('tar', ['-C', join(dir, 'src'), '-czf', join(dir, 'm.tar.gz'), 'm'])
    const gz = await collectModelFiles(join(dir, 'm.tar.gz'), join(dir, 'staging-gz'), catalog.models)
    expect(gz.kind).toBe('gzip-compressed tar archive')
    expect(matchModel(catalog.models, gz.files)).toMatchObject({ ok: true, model: { id: 'tiny-test' } })
    await writeFile(join(dir, 'src', 'm', 'config.json'), Buffer.alloc(500_000))
    execFileSync('tar', ['-C', join(dir, 'src', 'm'), '-cf', join(dir, 'm.tar'), '.'])
    const plain = await collectModelFiles(join(dir, 'm.tar'), join(dir, 'staging-tar'), catalog.models)
    expect(plain.kind).toBe('tar archive')
    expect(plain.files.has('config.json')).toBe(false)
    expect(plain.skipped[0]).toMatch(/config\.json is 500000 bytes, more than the catalog allows/)
  })

  it('refuses what it cannot read, saying what to do: a missing path, a zip, a damaged gzip, text that is not tar', async () => {
    const refuse = (path: string): Promise<unknown> => collectModelFiles(path, join(dir, `staging-${Math.random()}`), catalog.models)
    await expect(refuse(join(dir, 'nope'))).rejects.toThrow(/does not exist/)
    await writeModelFiles(join(dir, 'z'), bytes['tiny-test']!)
    execFileSync('zip', ['-qr', join(dir, 'm.zip'), '.'], { cwd: join(dir, 'z') })
    await expect(refuse(join(dir, 'm.zip'))).rejects.toThrow(/zip archive, which the app cannot read: unpack it and import the folder/)
    await writeFile(join(dir, 'bad.tar.gz'), Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0]), Buffer.alloc(100, 7)]))
    await expect(refuse(join(dir, 'bad.tar.gz'))).rejects.toThrow(/cannot be decompressed|cannot be read as a gzip-compressed tar archive/)
    await writeFile(join(dir, 'notes.txt'), 'hello '.repeat(200))
    const error = await refuse(join(dir, 'notes.txt')).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ModelError)
    expect((error as ModelError).message).toMatch(/cannot be read as a tar archive: .*not a tar archive/)
  })
})

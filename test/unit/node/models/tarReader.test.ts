import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createGunzip } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readTar, TarError, type TarEntry } from '../../../../src/node/models/tarReader'

/** Archives written by the system's GNU tar in each format it has, read back entry by entry. */

const longDir = `a-folder-name-long-enough/${'x'.repeat(60)}/${'y'.repeat(50)}`
const contents: Record<string, Buffer> = {
  'config.json': Buffer.from('{"ok":true}'),
  'onnx/model.onnx': randomBytes(70_000), // several blocks, not a multiple of 512
  'empty.txt': Buffer.alloc(0),
  [`${longDir}/deep.bin`]: randomBytes(513) // a path over 100 characters
}

async function readAll(file: string, gzip = false): Promise<{ entries: TarEntry[]; bodies: Map<string, Buffer> }> {
  const entries: TarEntry[] = []
  const bodies = new Map<string, Buffer>()
  const stream = gzip ? createReadStream(file).pipe(createGunzip()) : createReadStream(file)
  await readTar(stream, async (entry, body) => {
    entries.push(entry)
    if (entry.type !== 'file') return
    const parts: Buffer[] = []
    for await (const chunk of body) parts.push(chunk)
    bodies.set(entry.path, Buffer.concat(parts))
  })
  return { entries, bodies }
}

describe('readTar', () => {
  let dir: string
  let src: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tar-reader-'))
    src = join(dir, 'src')
    for (const [path, data] of Object.entries(contents)) {
      await mkdir(join(src, path, '..'), { recursive: true })
      await writeFile(join(src, path), data)
    }
    await symlink('config.json', join(src, 'link.json'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  for (const format of ['gnu', 'pax', 'ustar'] as const) {
    it(`reads every file of a ${format} archive with its exact bytes; directories and links have no body`, async () => {
      const file = join(dir, `${format}.tar`)
      execFileSync('tar', ['-C', src, `--format=${format}`, '-cf', file, '.'])
      const { entries, bodies } = await readAll(file)
      for (const [path, data] of Object.entries(contents)) expect(bodies.get(`./${path}`), path).toEqual(data)
      expect(entries.find((e) => e.path === './link.json')).toMatchObject({ type: 'other', size: 0 })
      expect(entries.find((e) => e.path === './onnx/')?.type ?? entries.find((e) => e.path === './onnx')?.type).toBe('directory')
    })
  }

  it('reads through gzip (tar -z), and a consumer that skips bodies still gets every header', async () => {
    const file = join(dir, 'm.tar.gz')
    execFileSync('tar', ['-C', src, '-czf', file, 'config.json', 'onnx'])
    expect((await readAll(file, true)).bodies.get('onnx/model.onnx')).toEqual(contents['onnx/model.onnx'])
    const seen: string[] = []
    await readTar(createReadStream(file).pipe(createGunzip()), async (entry) => void seen.push(entry.path))
    expect(seen).toEqual(['config.json', 'onnx/', 'onnx/model.onnx'])
  })

  it('a consumer that reads part of a body and stops leaves the rest skipped, not misread as headers', async () => {
    const file = join(dir, 'partial.tar')
    execFileSync('tar', ['-C', src, '-cf', file, 'onnx/model.onnx', 'config.json'])
    const bodies: Record<string, number> = {}
    await readTar(createReadStream(file, { highWaterMark: 1000 }), async (entry, body) => {
      for await (const chunk of body) {
        bodies[entry.path] = chunk.length
        break
      }
    })
    expect(Object.keys(bodies)).toEqual(['onnx/model.onnx', 'config.json'])
  })

  it('refuses a damaged header and an archive cut short with where it happened, and text that is no tar', async () => {
    const file = join(dir, 'ok.tar')
    execFileSync('tar', ['-C', src, '-cf', file, 'config.json', 'onnx/model.onnx'])
    const good = await readFile(file)
    const damaged = Buffer.from(good)
    damaged[1024 + 10] = damaged[1024 + 10]! ^ 0xff // the second header (onnx/): its name byte changes, the checksum no longer matches
    await expect(readTar([damaged], async () => undefined)).rejects.toThrow(/header at byte 1024 fails its checksum/)
    await expect(readTar([good.subarray(0, 1024 + 512 + 30_000)], async (_e, body) => {
      for await (const _ of body) void _
    })).rejects.toThrow(/ends early/)
    await expect(readTar([Buffer.from('{"not":"a tar"}'.padEnd(600, ' '))], async () => undefined)).rejects.toBeInstanceOf(TarError)
    // An empty source is an empty archive.
    await expect(readTar([], async () => undefined)).resolves.toBeUndefined()
  })
})

import { createHash } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdir, open, readdir, stat } from 'node:fs/promises'
import { dirname, join, posix } from 'node:path'
import { Readable, Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createGunzip } from 'node:zlib'
import type { CatalogModel } from './catalog'
import { ModelError } from './modelError'
import { readTar, TarError } from './tarReader'

/**
 * Model files from a folder or an archive, for machines that cannot download (offline, or the model host blocked):
 * copied into a staging folder with their SHA-256 computed on the way, then matched against the catalog, so nothing
 * is installed that the catalog does not vouch for. What counts is only the catalog's own paths (config.json,
 * onnx/encoder_model_quantized.onnx, …), at the top of the folder or archive or inside one folder there (an archive
 * of the model's folder); everything else is ignored, and a file larger than the catalog allows for its path is not
 * copied (the disk used is bounded by the model's size).
 *
 * Archives: .tar, .tar.gz / .tgz (read with Node's zlib and a small tar reader, see tarReader.ts). A .zip is refused
 * with what to do instead: the app ships no zip reader.
 */

export interface CollectedFile {
  size: number
  sha256: string
}

export interface Collected {
  /** Catalog path → what was copied to `<staging>/<path>`. */
  files: Map<string, CollectedFile>
  /** Files not copied and why (too large for their path). */
  skipped: string[]
  /** What was read: "folder", "tar archive", "gzip-compressed tar archive". */
  kind: string
}

/** Every path the catalog models use, with the largest size any of them allows for it. */
export function catalogPathLimits(models: readonly CatalogModel[]): Map<string, number> {
  const limits = new Map<string, number>()
  for (const m of models) for (const f of m.files) limits.set(f.path, Math.max(limits.get(f.path) ?? 0, f.size))
  return limits
}

/** A stored path as a catalog path: `./a/b` and `top/a/b` (one folder above the model's files) both give `a/b`. */
export function catalogPathOf(stored: string, limits: ReadonlyMap<string, number>): string | null {
  const clean = posix.normalize(stored.replace(/\\/g, '/')).replace(/^(\.\/)+/, '')
  if (clean.startsWith('/') || clean.startsWith('../') || clean === '..') return null
  if (limits.has(clean)) return clean
  const slash = clean.indexOf('/')
  const inner = slash === -1 ? null : clean.slice(slash + 1)
  return inner !== null && limits.has(inner) ? inner : null
}

/** Copy a stream to `dest` while hashing it; the byte count and SHA-256 of what was written. */
async function copyHashed(source: AsyncIterable<Uint8Array> | NodeJS.ReadableStream, dest: string): Promise<CollectedFile> {
  await mkdir(dirname(dest), { recursive: true })
  const hash = createHash('sha256')
  let size = 0
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk)
      size += chunk.length
      done(null, chunk)
    }
  })
  await pipeline(source as NodeJS.ReadableStream, tap, createWriteStream(dest))
  return { size, sha256: hash.digest('hex') }
}

async function collectFromFolder(dir: string, staging: string, limits: ReadonlyMap<string, number>): Promise<Collected> {
  // The model's files at the top of the folder, or in one folder inside it (the folder that holds the model).
  const roots = [dir]
  for (const entry of await readdir(dir, { withFileTypes: true })) if (entry.isDirectory() && !entry.name.startsWith('.')) roots.push(join(dir, entry.name))
  const files = new Map<string, CollectedFile>()
  const skipped: string[] = []
  for (const root of roots) {
    for (const [path, limit] of limits) {
      if (files.has(path)) continue
      const from = join(root, ...path.split('/'))
      let size: number
      try {
        const info = await stat(from)
        if (!info.isFile()) continue
        size = info.size
      } catch {
        continue
      }
      if (size > limit) {
        skipped.push(`${path} is ${size} bytes, more than the catalog allows (${limit})`)
        continue
      }
      files.set(path, await copyHashed(createReadStream(from), join(staging, ...path.split('/'))))
    }
  }
  return { files, skipped, kind: 'folder' }
}

async function collectFromTar(source: AsyncIterable<Uint8Array>, staging: string, limits: ReadonlyMap<string, number>, kind: string): Promise<Collected> {
  const files = new Map<string, CollectedFile>()
  const skipped: string[] = []
  await readTar(source, async (entry, body) => {
    if (entry.type !== 'file') return
    const path = catalogPathOf(entry.path, limits)
    if (path === null) return
    if (entry.size > limits.get(path)!) {
      skipped.push(`${entry.path} is ${entry.size} bytes, more than the catalog allows for ${path} (${limits.get(path)})`)
      return
    }
    files.set(path, await copyHashed(body, join(staging, ...path.split('/'))))
  })
  return { files, skipped, kind }
}

async function sniff(path: string): Promise<Buffer> {
  const handle = await open(path, 'r')
  try {
    const head = Buffer.alloc(512)
    const { bytesRead } = await handle.read(head, 0, 512, 0)
    return head.subarray(0, bytesRead)
  } finally {
    await handle.close()
  }
}

/**
 * Copy the catalog's files found in `source` (a folder, or a .tar / .tar.gz file) into `staging` (which must not exist
 * yet, on the models folder's filesystem), hashing them on the way. Throws a ModelError('bad_source') saying what to
 * do when the source cannot be read as either.
 */
export async function collectModelFiles(source: string, staging: string, models: readonly CatalogModel[]): Promise<Collected> {
  const limits = catalogPathLimits(models)
  let info
  try {
    info = await stat(source)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new ModelError('bad_source', code === 'ENOENT' ? `${source} does not exist` : `cannot read ${source} (${code ?? (error as Error).message})`)
  }
  await mkdir(staging, { recursive: true })
  if (info.isDirectory()) return collectFromFolder(source, staging, limits)
  if (!info.isFile()) throw new ModelError('bad_source', `${source} is neither a folder nor a file`)
  const head = await sniff(source)
  if (head.subarray(0, 4).equals(Buffer.from([0x50, 0x4b, 0x03, 0x04]))) {
    throw new ModelError('bad_source', `${source} is a zip archive, which the app cannot read: unpack it and import the folder, or use a .tar.gz of the model's files`)
  }
  const gzip = head[0] === 0x1f && head[1] === 0x8b
  const kind = gzip ? 'gzip-compressed tar archive' : 'tar archive'
  try {
    const stream = gzip ? createReadStream(source).pipe(createGunzip()) : createReadStream(source)
    return await collectFromTar(stream as unknown as Readable, staging, limits, kind)
  } catch (error) {
    if (error instanceof TarError) throw new ModelError('bad_source', `${source} cannot be read as a ${kind}: ${error.message}`)
    const code = (error as NodeJS.ErrnoException).code
    if (gzip && typeof code === 'string' && code.startsWith('Z_')) throw new ModelError('bad_source', `${source} cannot be decompressed (${(error as Error).message}): the file is damaged or not gzip`)
    throw error
  }
}

export type ModelMatch = { ok: true; model: CatalogModel } | { ok: false; model: CatalogModel; problems: string[] }

/** What a candidate model lacks in `files`: missing files, wrong sizes, checksum mismatches (none: it is all there). */
export function modelProblems(model: CatalogModel, files: ReadonlyMap<string, CollectedFile>): string[] {
  const problems: string[] = []
  for (const f of model.files) {
    const got = files.get(f.path)
    if (!got) problems.push(`${f.path} is missing`)
    else if (got.size !== f.size) problems.push(`${f.path} has ${got.size} bytes, the catalog says ${f.size}`)
    else if (got.sha256 !== f.sha256) problems.push(`${f.path} fails its checksum (SHA-256 ${got.sha256.slice(0, 12)}…, the catalog says ${f.sha256.slice(0, 12)}…)`)
  }
  return problems
}

/**
 * The first candidate whose every file was found with the catalog's size and SHA-256; otherwise the candidate that
 * came closest (fewest problems) with its problems. Pure.
 */
export function matchModel(candidates: readonly CatalogModel[], files: ReadonlyMap<string, CollectedFile>): ModelMatch {
  let best: { model: CatalogModel; problems: string[] } | null = null
  for (const model of candidates) {
    const problems = modelProblems(model, files)
    if (problems.length === 0) return { ok: true, model }
    if (!best || problems.length < best.problems.length) best = { model, problems }
  }
  if (!best) throw new ModelError('unknown_model', 'the catalog has no model to import')
  return { ok: false, ...best }
}

import { createHash, randomBytes } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { ModelInfo, ModelProgress } from '../../shared/contract/models'
import { backoffDelayMs, DEFAULT_BACKOFF, delayUnlessAborted, type BackoffPolicy } from '../../shared/backoff'
import { TypedEmitter } from '../../shared/typedEmitter'
import { modelSize, type Catalog, type CatalogModel } from './catalog'

/**
 * Downloads, verifies and installs on-device models into the user data folder:
 *  - each file is fetched to `<models>/.partial/<id>/<path>.part` and resumed with an HTTP Range request after a
 *    cancel, a crash or a dropped connection (a server that ignores Range restarts the file from zero);
 *  - a transfer that stalls (no byte for `idleTimeoutMs`, headers included) or drops is resumed automatically with
 *    a Range request, with backoff, up to `maxRetries` times in a row without progress (any progress resets the
 *    count); before this, a stalled download hung with no end;
 *  - every file's size and SHA-256 are checked against the catalog before anything is installed;
 *  - install is atomic: the files are assembled in a staging folder and renamed into `<models>/<id>` in one step,
 *    so a model folder that exists is always complete (a manifest.json inside records what was installed);
 *  - failures are reported as sentences a user can act on (disk full, not found, checksum mismatch, offline).
 */

export class ModelError extends Error {
  constructor(
    readonly code: 'not_found' | 'http' | 'network' | 'disk_full' | 'bad_hash' | 'bad_size' | 'cancelled' | 'busy' | 'unknown_model' | 'io',
    message: string
  ) {
    super(message)
    this.name = 'ModelError'
  }
}

export type FetchLike = (url: string, init: { headers: Record<string, string>; signal: AbortSignal }) => Promise<Response>

export interface ModelManagerOptions {
  /** The app's user data folder: models live in `<userDataDir>/models`. */
  userDataDir?: string
  /** The models folder itself (the command line's and the standalone backend's `--models-dir`); wins over userDataDir. */
  modelsDir?: string
  catalog: Catalog
  fetch?: FetchLike
  /** Minimum time between progress events per model. */
  progressIntervalMs?: number
  log?: (line: string) => void
  /** A transfer with no byte for this long (waiting for headers included) is dropped and resumed. Default 30 s. */
  idleTimeoutMs?: number
  /** Automatic resumes in a row without progress before the error is reported. Default 5. */
  maxRetries?: number
  /** Delay before each automatic resume (default: the shared reconnect backoff, 250 ms doubling to 10 s). */
  backoff?: BackoffPolicy
}

type Events = { progress: ModelProgress }

const MANIFEST = 'manifest.json'

export class ModelManager {
  readonly events = new TypedEmitter<Events>()
  readonly modelsDir: string
  private readonly fetchImpl: FetchLike
  private readonly active = new Map<string, { controller: AbortController; progress: ModelProgress; done: Promise<void> }>()
  private readonly lastError = new Map<string, string>()

  constructor(private readonly opts: ModelManagerOptions) {
    const dir = opts.modelsDir ?? (opts.userDataDir === undefined ? undefined : join(opts.userDataDir, 'models'))
    if (dir === undefined) throw new Error('ModelManager needs modelsDir or userDataDir')
    this.modelsDir = resolve(dir)
    this.fetchImpl = opts.fetch ?? ((url, init) => fetch(url, { ...init, redirect: 'follow' }))
  }

  private model(id: string): CatalogModel {
    const model = this.opts.catalog.models.find((m) => m.id === id)
    if (!model) throw new ModelError('unknown_model', `no model "${id}" in the catalog`)
    return model
  }

  /** Folder of an installed model, or null. */
  async installedPath(id: string): Promise<string | null> {
    const dir = join(this.modelsDir, id)
    try {
      const manifest = JSON.parse(await readFile(join(dir, MANIFEST), 'utf8')) as { id?: string; revision?: string }
      return manifest.id === id ? dir : null
    } catch {
      return null
    }
  }

  async list(): Promise<ModelInfo[]> {
    const out: ModelInfo[] = []
    for (const m of this.opts.catalog.models) {
      const installed = (await this.installedPath(m.id)) !== null
      const active = this.active.get(m.id)
      const partial = active ? active.progress.receivedBytes : await this.partialBytes(m)
      out.push({
        id: m.id,
        name: m.name,
        engine: m.engine,
        language: m.language,
        description: m.description,
        license: m.license,
        licenseUrl: m.licenseUrl,
        sizeBytes: modelSize(m),
        state: active ? 'downloading' : installed ? 'installed' : 'not_installed',
        receivedBytes: installed ? modelSize(m) : partial,
        error: this.lastError.get(m.id) ?? null
      })
    }
    return out
  }

  /** Start (or resume) a download; resolves when it is installed, rejects with a ModelError. */
  download(id: string): Promise<void> {
    const model = this.model(id)
    const existing = this.active.get(id)
    if (existing) return existing.done
    const controller = new AbortController()
    const progress: ModelProgress = { modelId: id, state: 'downloading', receivedBytes: 0, totalBytes: modelSize(model), error: null }
    const done = this.run(model, controller.signal, progress).then(
      () => {
        this.lastError.delete(id)
        this.emit({ ...progress, state: 'installed', receivedBytes: progress.totalBytes, error: null }, true)
      },
      (error: unknown) => {
        const e = error instanceof ModelError ? error : new ModelError('io', (error as Error).message)
        if (e.code === 'cancelled') {
          this.lastError.delete(id)
          this.emit({ ...progress, state: 'cancelled', error: null }, true)
        } else {
          this.lastError.set(id, e.message)
          this.emit({ ...progress, state: 'error', error: e.message }, true)
        }
        throw e
      }
    ).finally(() => this.active.delete(id))
    this.active.set(id, { controller, progress, done })
    done.catch(() => undefined) // callers that do not await still must not see an unhandled rejection
    return done
  }

  /** Stop a download; what was fetched is kept so the next download resumes. */
  cancel(id: string): boolean {
    const active = this.active.get(id)
    active?.controller.abort()
    return active !== undefined
  }

  async delete(id: string): Promise<void> {
    this.model(id)
    if (this.active.has(id)) throw new ModelError('busy', 'the model is downloading; cancel the download first')
    await rm(join(this.modelsDir, id), { recursive: true, force: true })
    await rm(join(this.modelsDir, '.partial', id), { recursive: true, force: true })
    this.lastError.delete(id)
  }

  private partialPath(model: CatalogModel, file: CatalogModel['files'][number]): string {
    return join(this.modelsDir, '.partial', model.id, `${file.path}.part`)
  }

  private async partialBytes(model: CatalogModel): Promise<number> {
    let n = 0
    for (const f of model.files) n += await sizeOf(this.partialPath(model, f))
    return n
  }

  private lastEmit = new Map<string, number>()
  private emit(progress: ModelProgress, force = false): void {
    const now = Date.now()
    const interval = this.opts.progressIntervalMs ?? 200
    if (!force && now - (this.lastEmit.get(progress.modelId) ?? 0) < interval) return
    this.lastEmit.set(progress.modelId, now)
    this.events.emit('progress', { ...progress })
  }

  private async run(model: CatalogModel, signal: AbortSignal, progress: ProgressCell): Promise<void> {
    if (await this.installedPath(model.id)) return
    let before = 0
    for (const file of model.files) {
      const part = this.partialPath(model, file)
      await mkdir(dirname(part), { recursive: true }).catch((e: NodeJS.ErrnoException) => {
        throw ioError(e, this.modelsDir, modelSize(model))
      })
      await this.fetchFile(model, file, part, signal, (received) => {
        progress.receivedBytes = before + received
        this.emit(progress)
      })
      before += file.size
    }
    // Atomic install: stage next to the destination (same filesystem), then one rename.
    const staging = join(this.modelsDir, `.staging-${model.id}-${randomBytes(4).toString('hex')}`)
    const target = join(this.modelsDir, model.id)
    try {
      for (const file of model.files) {
        const dest = join(staging, file.path)
        await mkdir(dirname(dest), { recursive: true })
        await rename(this.partialPath(model, file), dest)
      }
      const manifest = { id: model.id, name: model.name, engine: model.engine, revision: model.revision, installedAt: new Date().toISOString(), files: model.files.map(({ path, size, sha256 }) => ({ path, size, sha256 })) }
      await writeFile(join(staging, MANIFEST), JSON.stringify(manifest, null, 2))
      await rm(target, { recursive: true, force: true })
      await rename(staging, target)
      await rm(join(this.modelsDir, '.partial', model.id), { recursive: true, force: true })
    } catch (error) {
      await rm(staging, { recursive: true, force: true })
      throw ioError(error as NodeJS.ErrnoException, this.modelsDir, modelSize(model))
    }
    this.opts.log?.(`models: installed ${model.id} into ${target}`)
  }

  /** One file, resumed automatically after a stall or a dropped connection (see the class comment). */
  private async fetchFile(model: CatalogModel, file: CatalogModel['files'][number], part: string, signal: AbortSignal, onBytes: (n: number) => void): Promise<void> {
    const maxRetries = this.opts.maxRetries ?? 5
    for (let failures = 0; ; ) {
      const before = await sizeOf(part)
      try {
        return await this.fetchOnce(model, file, part, signal, onBytes)
      } catch (error) {
        if (!(error instanceof ModelError) || error.code !== 'network' || signal.aborted) throw error
        // Failed attempts in a row; one that brought bytes starts a new run (a long download may drop many times).
        failures = (await sizeOf(part)) > before ? 1 : failures + 1
        if (failures > maxRetries) throw error
        const delay = backoffDelayMs(failures - 1, this.opts.backoff ?? DEFAULT_BACKOFF)
        this.opts.log?.(`models: ${error.message}; resuming ${file.path} in ${delay} ms`)
        if (!(await delayUnlessAborted(delay, signal))) throw new ModelError('cancelled', 'download cancelled')
      }
    }
  }

  private async fetchOnce(model: CatalogModel, file: CatalogModel['files'][number], part: string, signal: AbortSignal, onBytes: (n: number) => void): Promise<void> {
    let have = await sizeOf(part)
    if (have > file.size) {
      await rm(part, { force: true })
      have = 0
    }
    if (have === file.size) {
      onBytes(have)
      return this.verify(part, file, model)
    }
    if (signal.aborted) throw new ModelError('cancelled', 'download cancelled')
    // This attempt ends on the user's cancel or when no byte arrived for idleTimeoutMs.
    const idleMs = this.opts.idleTimeoutMs ?? 30_000
    const stalled = new AbortController()
    let idleTimer = setTimeout(() => stalled.abort(), idleMs)
    const stillAlive = (): void => {
      clearTimeout(idleTimer)
      idleTimer = setTimeout(() => stalled.abort(), idleMs)
    }
    const attempt = AbortSignal.any([signal, stalled.signal])
    const stallError = (): ModelError => new ModelError('network', `the download of ${file.path} stalled (no data for ${idleMs / 1000} s); try again — it resumes where it stopped`)
    try {
      let response: Response
      try {
        response = await this.fetchImpl(file.url, { headers: have > 0 ? { range: `bytes=${have}-` } : {}, signal: attempt })
      } catch (error) {
        if (signal.aborted) throw new ModelError('cancelled', 'download cancelled')
        if (stalled.signal.aborted) throw stallError()
        throw new ModelError('network', `cannot reach ${new URL(file.url).host} to download ${file.path} (${(error as Error).message}); check your connection and try again — the download resumes where it stopped`)
      }
      stillAlive()
      if (response.status === 416 && have > 0) {
        // The server says our partial already covers the file (or is bogus): verify decides.
        await response.body?.cancel()
        onBytes(have)
        return await this.verify(part, file, model)
      }
      if (response.status === 404) {
        await response.body?.cancel()
        throw new ModelError('not_found', `${file.path} was not found at ${file.url} (HTTP 404); the model catalog may be out of date`)
      }
      if (response.status >= 500 || response.status === 429) {
        // A busy or failing server is worth another try (the automatic resume above, with backoff); a 4xx is not.
        await response.body?.cancel()
        throw new ModelError('network', `downloading ${file.path} failed: the server answered HTTP ${response.status}; try again — it resumes where it stopped`)
      }
      if (response.status !== 200 && response.status !== 206) {
        await response.body?.cancel()
        throw new ModelError('http', `downloading ${file.path} failed: the server answered HTTP ${response.status}`)
      }
      const resumed = response.status === 206 && have > 0 && contentRangeStart(response.headers.get('content-range')) === have
      if (!resumed) have = 0 // 200 (Range ignored) or an unexpected 206: start this file over
      if (!response.body) throw new ModelError('http', `downloading ${file.path} failed: empty response`)
      let received = have
      onBytes(received)
      const counter = async function* (source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
        for await (const chunk of source) {
          stillAlive()
          received += chunk.length
          if (received > file.size) throw new ModelError('bad_size', `${file.path} is larger than the catalog says (${file.size} bytes); the download was stopped`)
          onBytes(received)
          yield chunk
        }
      }
      try {
        await pipeline(Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>), counter, createWriteStream(part, { flags: resumed ? 'a' : 'w' }), { signal: attempt })
      } catch (error) {
        if (signal.aborted) throw new ModelError('cancelled', 'download cancelled')
        if (stalled.signal.aborted) throw stallError()
        if (error instanceof ModelError) {
          await rm(part, { force: true })
          throw error
        }
        const code = (error as NodeJS.ErrnoException).code
        if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'EACCES' || code === 'EROFS') throw ioError(error as NodeJS.ErrnoException, this.modelsDir, file.size - received)
        throw new ModelError('network', `the download of ${file.path} was interrupted (${(error as Error).message}); try again — it resumes where it stopped`)
      }
      if (received !== file.size) {
        throw new ModelError('network', `the download of ${file.path} ended early (${received} of ${file.size} bytes); try again — it resumes where it stopped`)
      }
    } finally {
      clearTimeout(idleTimer)
    }
    return this.verify(part, file, model)
  }

  private async verify(part: string, file: CatalogModel['files'][number], model: CatalogModel): Promise<void> {
    const size = await sizeOf(part)
    if (size !== file.size) {
      await rm(part, { force: true })
      throw new ModelError('bad_size', `${file.path} has ${size} bytes, the catalog says ${file.size}; it was deleted, try again`)
    }
    const hash = createHash('sha256')
    await pipeline(createReadStream(part), hash)
    const digest = hash.digest('hex')
    if (digest !== file.sha256) {
      await rm(part, { force: true })
      throw new ModelError('bad_hash', `${file.path} of ${model.name} failed its checksum (SHA-256 ${digest.slice(0, 12)}…, expected ${file.sha256.slice(0, 12)}…); the file was deleted. The download may have been corrupted or the file changed upstream.`)
    }
  }
}

type ProgressCell = ModelProgress


async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size
  } catch {
    return 0
  }
}

function contentRangeStart(header: string | null): number | null {
  const m = header ? /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(header.trim()) : null
  return m ? Number(m[1]) : null
}

function ioError(error: NodeJS.ErrnoException, dir: string, neededBytes: number): ModelError {
  if (error instanceof ModelError) return error
  if (error.code === 'ENOSPC' || error.code === 'EDQUOT') {
    return new ModelError('disk_full', `not enough disk space in ${dir}: about ${Math.ceil(neededBytes / 1e6)} MB more is needed. Free some space and try again; the download resumes where it stopped`)
  }
  if (error.code === 'EACCES' || error.code === 'EPERM' || error.code === 'EROFS') {
    return new ModelError('io', `cannot write to ${dir} (${error.code}); check the folder's permissions`)
  }
  return new ModelError('io', `saving the model failed: ${error.message}`)
}

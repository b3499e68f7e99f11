import { createHash, randomBytes } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { ModelInfo, ModelProgress } from '../../shared/contract/models'
import { backoffDelayMs, DEFAULT_BACKOFF, delayUnlessAborted, type BackoffPolicy } from '../../shared/backoff'
import { TypedEmitter } from '../../shared/typedEmitter'
import { defaultModel, modelSize, type Catalog, type CatalogModel } from './catalog'
import { withMirror } from './mirror'
import { ModelError } from './modelError'
import { collectModelFiles, matchModel } from './modelImport'
import { TransferMeter } from './transferMeter'
import type { Logger } from '../../shared/logging/logger'

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
 *  - failures are reported as sentences a user can act on (disk full, not found, checksum mismatch, offline);
 *  - progress events carry the speed and time left (TransferMeter) and, while an automatic resume waits, why and when;
 *  - a download may come from a mirror of the model host (`download(id, { mirror })`), checked against the same
 *    SHA-256; `importFrom` installs from a folder or archive (offline machines), verified the same way.
 */

export { ModelError } from './modelError'

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
  logger?: Logger
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
  private readonly active = new Map<string, { controller: AbortController; progress: ModelProgress; done: Promise<void>; meter: TransferMeter }>()
  /** Imports in progress: a model being imported is busy for downloads and deletes. */
  private readonly importing = new Set<string>()
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
        recommended: m.id === defaultModel(this.opts.catalog)?.id,
        state: active ? 'downloading' : installed ? 'installed' : 'not_installed',
        receivedBytes: installed ? modelSize(m) : partial,
        error: this.lastError.get(m.id) ?? null
      })
    }
    return out
  }

  /**
   * Start (or resume) a download; resolves when it is installed, rejects with a ModelError. `mirror`: fetch from a
   * mirror of the model host (same paths under another base URL; the catalog's SHA-256 still decide).
   */
  download(id: string, opts: { mirror?: URL | null } = {}): Promise<void> {
    const catalogModel = this.model(id)
    const existing = this.active.get(id)
    if (existing) return existing.done
    if (this.importing.has(id)) return Promise.reject(new ModelError('busy', 'the model is being imported; wait for the import to finish'))
    const model = opts.mirror ? withMirror({ ...this.opts.catalog, models: [catalogModel] }, opts.mirror).models[0]! : catalogModel
    const controller = new AbortController()
    const progress: ModelProgress = { modelId: id, state: 'downloading', receivedBytes: 0, totalBytes: modelSize(model), error: null, bytesPerSecond: null, secondsLeft: null, retry: null, source: new URL(model.files[0]!.url).host }
    const meter = new TransferMeter(progress.totalBytes)
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
    this.active.set(id, { controller, progress, done, meter })
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
    if (this.importing.has(id)) throw new ModelError('busy', 'the model is being imported; wait for the import to finish')
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
    const meter = this.active.get(progress.modelId)?.meter
    if (meter && progress.state === 'downloading') {
      const reading = meter.update(now, progress.receivedBytes)
      progress.bytesPerSecond = reading.bytesPerSecond
      progress.secondsLeft = reading.secondsLeft
    }
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
      await this.fetchFile(
        model,
        file,
        part,
        signal,
        (received) => {
          progress.receivedBytes = before + received
          // Bytes again after a drop: the resume worked, say so at once.
          const resumed = progress.retry !== null && progress.retry !== undefined
          progress.retry = null
          this.emit(progress, resumed)
        },
        (retry) => {
          progress.retry = retry
          this.emit(progress, true)
        }
      )
      before += file.size
    }
    // Atomic install: stage next to the destination (same filesystem), then one rename.
    const staging = this.stagingDir(model.id)
    try {
      for (const file of model.files) {
        const dest = join(staging, file.path)
        await mkdir(dirname(dest), { recursive: true })
        await rename(this.partialPath(model, file), dest)
      }
    } catch (error) {
      await rm(staging, { recursive: true, force: true })
      throw ioError(error as NodeJS.ErrnoException, this.modelsDir, modelSize(model))
    }
    await this.installStaged(model, staging)
    await rm(join(this.modelsDir, '.partial', model.id), { recursive: true, force: true })
    this.opts.logger?.info('model installed', { model: model.id, dir: join(this.modelsDir, model.id) })
  }

  private stagingDir(label: string): string {
    return join(this.modelsDir, `.staging-${label}-${randomBytes(4).toString('hex')}`)
  }

  /** The staged, verified files of `model` become `<models>/<id>` in one rename; the manifest is written last inside. */
  private async installStaged(model: CatalogModel, staging: string): Promise<void> {
    const target = join(this.modelsDir, model.id)
    try {
      const manifest = { id: model.id, name: model.name, engine: model.engine, revision: model.revision, installedAt: new Date().toISOString(), files: model.files.map(({ path, size, sha256 }) => ({ path, size, sha256 })) }
      await writeFile(join(staging, MANIFEST), JSON.stringify(manifest, null, 2))
      await rm(target, { recursive: true, force: true })
      await rename(staging, target)
    } catch (error) {
      await rm(staging, { recursive: true, force: true })
      throw ioError(error as NodeJS.ErrnoException, this.modelsDir, modelSize(model))
    }
  }

  /**
   * Install a model from a folder or a .tar / .tar.gz archive holding its files by their catalog paths (offline
   * machines; see modelImport.ts). Every file is checked against the catalog's size and SHA-256 before anything is
   * installed; `id` says which model it must be, else the first catalog model it matches in full. Nothing is left
   * behind when it fails: the error says which files are missing or damaged.
   */
  async importFrom(source: string, opts: { id?: string } = {}): Promise<{ id: string; name: string }> {
    const catalog = this.opts.catalog
    const wanted = opts.id === undefined ? null : this.model(opts.id)
    const candidates = wanted ? [wanted] : [...catalog.models].sort((a, b) => Number(b.id === defaultModel(catalog)?.id) - Number(a.id === defaultModel(catalog)?.id))
    const busy = candidates.find((m) => this.active.has(m.id) || this.importing.has(m.id))
    if (busy) throw new ModelError('busy', `${busy.name} is downloading or being imported; cancel or wait for it first`)
    for (const m of candidates) this.importing.add(m.id)
    await mkdir(this.modelsDir, { recursive: true }).catch((e: NodeJS.ErrnoException) => {
      for (const m of candidates) this.importing.delete(m.id)
      throw ioError(e, this.modelsDir, Math.max(...candidates.map(modelSize)))
    })
    const staging = this.stagingDir('import')
    try {
      let collected
      try {
        collected = await collectModelFiles(source, staging, candidates)
      } catch (error) {
        if (error instanceof ModelError) throw error
        throw ioError(error as NodeJS.ErrnoException, this.modelsDir, Math.max(...candidates.map(modelSize)))
      }
      const match = matchModel(candidates, collected.files)
      if (!match.ok) {
        const found = collected.files.size === 0 ? `no file of ${match.model.name} was found in the ${collected.kind}` : match.problems.join('; ')
        const skipped = collected.skipped.length > 0 ? ` (not copied: ${collected.skipped.join('; ')})` : ''
        throw new ModelError(match.problems.some((p) => p.includes('checksum')) ? 'bad_hash' : 'bad_source', `${source} does not hold ${match.model.name} as the catalog lists it: ${found}${skipped}. Nothing was installed; get the files of revision ${match.model.revision.slice(0, 12)} from ${match.model.homepage}`)
      }
      // Only the matched model's files go in (another catalog model's extra files may have been staged too).
      const keep = new Set(match.model.files.map((f) => f.path))
      for (const path of collected.files.keys()) if (!keep.has(path)) await rm(join(staging, ...path.split('/')), { force: true })
      await this.installStaged(match.model, staging)
      this.lastError.delete(match.model.id)
      this.opts.logger?.info('model imported', { model: match.model.id, source })
      this.events.emit('progress', { modelId: match.model.id, state: 'installed', receivedBytes: modelSize(match.model), totalBytes: modelSize(match.model), error: null })
      return { id: match.model.id, name: match.model.name }
    } finally {
      await rm(staging, { recursive: true, force: true })
      for (const m of candidates) this.importing.delete(m.id)
    }
  }

  /** One file, resumed automatically after a stall or a dropped connection (see the class comment). */
  private async fetchFile(
    model: CatalogModel,
    file: CatalogModel['files'][number],
    part: string,
    signal: AbortSignal,
    onBytes: (n: number) => void,
    onRetry: (retry: NonNullable<ModelProgress['retry']>) => void
  ): Promise<void> {
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
        this.opts.logger?.warn('model download interrupted; resuming', { file: file.path, delayMs: delay, error: error.message })
        onRetry({ attempt: failures, maxAttempts: maxRetries, inMs: delay, reason: error.message })
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

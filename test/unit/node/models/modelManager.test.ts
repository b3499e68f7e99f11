import { createHash, randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { ModelProgress } from '../../../../src/shared/contract/models'
import { loadCatalog, type Catalog } from '../../../../src/node/models/catalog'
import { ModelError, ModelManager } from '../../../../src/node/models/modelManager'
import { MemoryLogger } from '../../../helpers/memoryLogger'

/** A loopback file server with Range support and switches to misbehave. */
interface Behaviour {
  /** Destroy the connection after sending this many bytes of the body (first request per path only). */
  cutAfter?: Record<string, number>
  /** Bytes per chunk and delay between chunks (to cancel mid-way). */
  slow?: { chunk: number; delayMs: number }
  ignoreRange?: boolean
  /** Send this many bytes of the body, then nothing more while keeping the connection open (the first `times` requests per path). */
  stallAfter?: Record<string, { bytes: number; times: number }>
}

const files: Record<string, Buffer> = {
  '/m/a.bin': randomBytes(300_000),
  '/m/b.json': Buffer.from(JSON.stringify({ hello: 'world' }))
}
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex')

describe('ModelManager against a local HTTP server', () => {
  let server: Server
  let base: string
  let behaviour: Behaviour = {}
  let requests: Array<{ path: string; range: string | undefined }> = []
  let userDataDir: string
  const cutDone = new Set<string>()
  const stalls = new Map<string, number>()

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res) => {
      const path = req.url ?? '/'
      requests.push({ path, range: req.headers.range })
      // A mirror of the model host: the same paths under /mirror.
      const body = files[path] ?? files[path.replace(/^\/mirror(?=\/)/, '')]
      if (!body) return void res.writeHead(404).end('nope')
      let start = 0
      const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '')
      if (m && !behaviour.ignoreRange) {
        start = Number(m[1])
        if (start >= body.length) return void res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end()
        res.writeHead(206, { 'content-range': `bytes ${start}-${body.length - 1}/${body.length}`, 'content-length': body.length - start })
      } else res.writeHead(200, { 'content-length': body.length })
      const rest = body.subarray(start)
      const stall = behaviour.stallAfter?.[path]
      if (stall && (stalls.get(path) ?? 0) < stall.times) {
        stalls.set(path, (stalls.get(path) ?? 0) + 1)
        res.write(rest.subarray(0, stall.bytes)) // …and nothing more: the connection stays open
        return
      }
      const cut = behaviour.cutAfter?.[path]
      if (cut !== undefined && !cutDone.has(path)) {
        cutDone.add(path)
        res.write(rest.subarray(0, cut), () => setTimeout(() => res.destroy(), 20))
        return
      }
      if (behaviour.slow) {
        const { chunk, delayMs } = behaviour.slow
        let at = 0
        const tick = (): void => {
          if (res.destroyed) return
          if (at >= rest.length) return void res.end()
          res.write(rest.subarray(at, (at += chunk)))
          setTimeout(tick, delayMs)
        }
        return tick()
      }
      res.end(rest)
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(() => {
    server.closeAllConnections()
    return new Promise<void>((r) => server.close(() => r()))
  })

  beforeEach(async () => {
    behaviour = {}
    requests = []
    cutDone.clear()
    stalls.clear()
    userDataDir = await mkdtemp(join(tmpdir(), 'models-'))
  })
  afterEach(() => rm(userDataDir, { recursive: true, force: true }))

  const catalog = (overrides: Partial<Record<'aHash' | 'aPath', string>> = {}): Catalog => ({
    version: 1,
    models: [
      {
        id: 'test-model',
        name: 'Test model',
        engine: 'moonshine',
        language: 'en',
        description: 'a test',
        license: 'MIT',
        licenseUrl: 'https://example.invalid/license',
        homepage: 'https://example.invalid/',
        revision: 'r1',
        files: [
          { path: 'onnx/a.bin', url: `${base}${overrides.aPath ?? '/m/a.bin'}`, size: files['/m/a.bin']!.length, sha256: overrides.aHash ?? sha(files['/m/a.bin']!) },
          { path: 'b.json', url: `${base}/m/b.json`, size: files['/m/b.json']!.length, sha256: sha(files['/m/b.json']!) }
        ]
      }
    ]
  })
  const fastRetries = { baseMs: 10, maxMs: 40, jitter: 0 }
  const manager = (c: Catalog = catalog(), extra: Partial<ConstructorParameters<typeof ModelManager>[0]> = {}): { m: ModelManager; progress: ModelProgress[] } => {
    const m = new ModelManager({ userDataDir, catalog: c, progressIntervalMs: 0, backoff: fastRetries, ...extra })
    const progress: ModelProgress[] = []
    m.events.on('progress', (p) => progress.push(p))
    return { m, progress }
  }

  it('downloads, verifies and installs atomically, with monotonic progress', async () => {
    const { m, progress } = manager()
    expect((await m.list())[0]).toMatchObject({ state: 'not_installed', receivedBytes: 0, sizeBytes: 300_000 + files['/m/b.json']!.length })
    await m.download('test-model')
    const dir = join(userDataDir, 'models', 'test-model')
    expect(await readFile(join(dir, 'onnx', 'a.bin'))).toEqual(files['/m/a.bin'])
    expect(JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'))).toMatchObject({ id: 'test-model', revision: 'r1' })
    expect(existsSync(join(userDataDir, 'models', '.partial', 'test-model'))).toBe(false)
    const bytes = progress.map((p) => p.receivedBytes)
    expect(bytes).toEqual([...bytes].sort((a, b) => a - b))
    expect(progress.at(-1)).toMatchObject({ state: 'installed', receivedBytes: progress.at(-1)!.totalBytes })
    expect((await m.list())[0]).toMatchObject({ state: 'installed', error: null })
    expect(await m.installedPath('test-model')).toBe(dir)
    await m.delete('test-model')
    expect((await m.list())[0]!.state).toBe('not_installed')
  })

  it('resumes an interrupted download with an HTTP Range request', async () => {
    behaviour = { cutAfter: { '/m/a.bin': 100_000 } }
    const { m } = manager(catalog(), { maxRetries: 0 })
    const failure = await m.download('test-model').catch((e: unknown) => e)
    expect(failure).toBeInstanceOf(ModelError)
    expect((failure as ModelError).code).toBe('network')
    expect((failure as ModelError).message).toMatch(/resumes where it stopped/)
    const listed = (await m.list())[0]!
    expect(listed.state).toBe('not_installed')
    expect(listed.receivedBytes).toBeGreaterThanOrEqual(100_000)
    expect(listed.error).toMatch(/interrupted|ended early/)
    requests = []
    await m.download('test-model')
    expect(requests[0]).toEqual({ path: '/m/a.bin', range: `bytes=${listed.receivedBytes}-` })
    expect(await readFile(join(userDataDir, 'models', 'test-model', 'onnx', 'a.bin'))).toEqual(files['/m/a.bin'])
  })

  it('a dropped connection is resumed automatically with a Range request, in the same download', async () => {
    behaviour = { cutAfter: { '/m/a.bin': 100_000 } }
    const { m, progress } = manager()
    await m.download('test-model')
    const forA = requests.filter((r) => r.path === '/m/a.bin')
    expect(forA).toHaveLength(2)
    expect(forA[1]!.range).toMatch(/^bytes=\d+-$/)
    expect(Number(/\d+/.exec(forA[1]!.range!)![0])).toBeGreaterThanOrEqual(100_000)
    expect(progress.at(-1)).toMatchObject({ state: 'installed', error: null })
    expect(await readFile(join(userDataDir, 'models', 'test-model', 'onnx', 'a.bin'))).toEqual(files['/m/a.bin'])
  })

  it('progress says when a dropped connection is being resumed (attempt, wait, why), then the speed once bytes flow again', async () => {
    behaviour = { cutAfter: { '/m/a.bin': 100_000 } }
    const { m, progress } = manager()
    await m.download('test-model')
    const waiting = progress.filter((p) => p.retry)
    expect(waiting).toHaveLength(1)
    expect(waiting[0]).toMatchObject({ state: 'downloading', retry: { attempt: 1, maxAttempts: 5, inMs: 10, reason: expect.stringMatching(/interrupted|ended early/) } })
    expect(waiting[0]!.receivedBytes).toBeGreaterThanOrEqual(100_000)
    const after = progress.slice(progress.indexOf(waiting[0]!) + 1)
    expect(after[0]).toMatchObject({ retry: null })
    expect(progress.every((p) => p.source === new URL(base).host)).toBe(true)
    expect(progress.at(-1)).toMatchObject({ state: 'installed' })
  })

  it('reports speed and time left from the transfer meter while downloading', async () => {
    behaviour = { slow: { chunk: 16_384, delayMs: 20 } }
    const { m, progress } = manager()
    await m.download('test-model')
    const measured = progress.filter((p) => p.state === 'downloading' && p.bytesPerSecond !== null && p.bytesPerSecond !== undefined)
    expect(measured.length).toBeGreaterThan(0)
    const last = measured.at(-1)!
    expect(last.bytesPerSecond).toBeGreaterThan(50_000) // 16 kB per ~20 ms ≈ 0.8 MB/s; well above this floor
    expect(last.secondsLeft === null || last.secondsLeft! < 10).toBe(true)
  })

  it('downloads from a mirror base URL when one is given (same paths under it), checked against the same SHA-256', async () => {
    // The catalog points at a host that refuses connections; only the mirror can serve.
    const offline = catalog({ aPath: '/m/a.bin' })
    const blocked: Catalog = { ...offline, models: offline.models.map((mm) => ({ ...mm, files: mm.files.map((f) => ({ ...f, url: f.url.replace(base, 'http://127.0.0.1:9') })) })) }
    const { m, progress } = manager(blocked, { maxRetries: 0 })
    await expect(m.download('test-model')).rejects.toMatchObject({ code: 'network' })
    await m.download('test-model', { mirror: new URL(`${base}/mirror`) })
    expect(requests.map((r) => r.path)).toEqual(['/mirror/m/a.bin', '/mirror/m/b.json'])
    expect(progress.at(-1)).toMatchObject({ state: 'installed', source: new URL(base).host })
    expect(await readFile(join(userDataDir, 'models', 'test-model', 'onnx', 'a.bin'))).toEqual(files['/m/a.bin'])
    // A mirror serving other bytes cannot change what is installed.
    await m.delete('test-model')
    const wrong = manager(catalog({ aHash: 'f'.repeat(64) })).m
    await expect(wrong.download('test-model', { mirror: new URL(`${base}/mirror`) })).rejects.toMatchObject({ code: 'bad_hash' })
    expect(await wrong.installedPath('test-model')).toBeNull()
  })

  it('a stalled transfer times out and resumes where it stopped (idle timeout, Range, backoff)', async () => {
    behaviour = { stallAfter: { '/m/a.bin': { bytes: 120_000, times: 2 } } }
    const logs = new MemoryLogger()
    const { m } = manager(catalog(), { idleTimeoutMs: 300, logger: logs })
    const t0 = Date.now()
    await m.download('test-model')
    // Two stalls of 300 ms each, then the rest; the second stall made no progress (its first 120 kB were already had).
    expect(Date.now() - t0).toBeLessThan(5000)
    const forA = requests.filter((r) => r.path === '/m/a.bin')
    expect(forA.map((r) => r.range)).toEqual([undefined, 'bytes=120000-', 'bytes=240000-'])
    const resumed = logs.find('model download interrupted; resuming')
    expect(resumed.filter((l) => l.fields.file === 'onnx/a.bin' && /stalled \(no data for 0\.3 s\)/.test(String(l.fields.error)) && typeof l.fields.delayMs === 'number')).toHaveLength(2)
    expect(await readFile(join(userDataDir, 'models', 'test-model', 'onnx', 'a.bin'))).toEqual(files['/m/a.bin'])
  })

  it('a server that always stalls: after maxRetries resumes without progress, the error says it stalled', async () => {
    behaviour = { stallAfter: { '/m/a.bin': { bytes: 0, times: 1000 } } }
    const { m } = manager(catalog(), { idleTimeoutMs: 200, maxRetries: 2 })
    await expect(m.download('test-model')).rejects.toMatchObject({ code: 'network', message: expect.stringMatching(/stalled \(no data for 0\.2 s\).*resumes where it stopped/) })
    expect(requests.filter((r) => r.path === '/m/a.bin')).toHaveLength(3)
    // A cancel during the wait between resumes ends at once.
    behaviour = { stallAfter: { '/m/a.bin': { bytes: 0, times: 1000 } } }
    const slow = manager(catalog(), { idleTimeoutMs: 100, backoff: { baseMs: 60_000, maxMs: 60_000, jitter: 0 } }).m
    const running = slow.download('test-model')
    await new Promise((r) => setTimeout(r, 300))
    slow.cancel('test-model')
    await expect(running).rejects.toMatchObject({ code: 'cancelled' })
  })

  it('cancel keeps the partial file; the next download resumes; a server ignoring Range restarts the file', async () => {
    behaviour = { slow: { chunk: 16_384, delayMs: 5 } }
    const { m, progress } = manager()
    const running = m.download('test-model')
    while (!progress.some((p) => p.receivedBytes > 50_000)) await new Promise((r) => setTimeout(r, 5))
    expect(m.cancel('test-model')).toBe(true)
    await expect(running).rejects.toMatchObject({ code: 'cancelled' })
    expect(progress.at(-1)!.state).toBe('cancelled')
    const partial = (await m.list())[0]!.receivedBytes
    expect(partial).toBeGreaterThan(50_000)
    behaviour = { ignoreRange: true }
    requests = []
    await m.download('test-model')
    expect(requests[0]!.range).toBe(`bytes=${partial}-`)
    expect(await readFile(join(userDataDir, 'models', 'test-model', 'onnx', 'a.bin'))).toEqual(files['/m/a.bin'])
  })

  it('refuses a file whose checksum does not match, installing nothing', async () => {
    const { m, progress } = manager(catalog({ aHash: 'ab'.repeat(32) }))
    const failure = (await m.download('test-model').catch((e: unknown) => e)) as ModelError
    expect(failure.code).toBe('bad_hash')
    expect(failure.message).toMatch(/onnx\/a\.bin of Test model failed its checksum/)
    expect(progress.at(-1)).toMatchObject({ state: 'error' })
    expect(existsSync(join(userDataDir, 'models', 'test-model'))).toBe(false)
    expect((await m.list())[0]).toMatchObject({ state: 'not_installed', receivedBytes: 0 })
  })

  it('says clearly when a file is missing upstream (404) or the disk is full', async () => {
    const { m } = manager(catalog({ aPath: '/m/missing.bin' }))
    await expect(m.download('test-model')).rejects.toMatchObject({ code: 'not_found', message: expect.stringMatching(/HTTP 404.*catalog may be out of date/) })
    // /dev/full answers every write with ENOSPC: stand it in for the partial file.
    const partialDir = join(userDataDir, 'models', '.partial', 'test-model', 'onnx')
    await mkdir(partialDir, { recursive: true })
    await symlink('/dev/full', join(partialDir, 'a.bin.part'))
    const full = manager().m
    await expect(full.download('test-model')).rejects.toMatchObject({ code: 'disk_full', message: expect.stringMatching(/not enough disk space/) })
  })

  it('reports an unreachable server and unknown models', async () => {
    const c = catalog()
    c.models[0]!.files[0]!.url = 'http://127.0.0.1:1/m/a.bin'
    const { m } = manager(c, { maxRetries: 1 })
    await expect(m.download('test-model')).rejects.toMatchObject({ code: 'network', message: expect.stringMatching(/cannot reach 127\.0\.0\.1:1/) })
    expect(() => m.download('nope')).toThrow(/no model "nope"/)
  })

  it('ships a valid catalog whose STT model has real URLs, sizes and SHA-256s', async () => {
    const shipped = await loadCatalog()
    const moonshine = shipped.models.find((x) => x.id === 'moonshine-tiny-q8')!
    expect(moonshine.files.map((f) => f.path)).toContain('onnx/encoder_model_quantized.onnx')
    expect(moonshine.files.every((f) => f.url.startsWith('https://huggingface.co/onnx-community/moonshine-tiny-ONNX/resolve/'))).toBe(true)
    expect(moonshine.files.reduce((n, f) => n + f.size, 0)).toBe(32_079_635)
  })
})

describe('ModelManager on a models folder given as is (--models-dir)', () => {
  const catalog: Catalog = {
    version: 1,
    models: [{ id: 'm1', name: 'M1', engine: 'moonshine', language: 'en', description: '', license: 'MIT', licenseUrl: 'https://l.example', homepage: 'https://h.example', revision: 'r', files: [{ path: 'a.bin', url: 'https://h.example/a.bin', size: 10, sha256: 'a'.repeat(64) }] }]
  }

  it('finds, lists and deletes models in that folder, not in a "models" folder under it', async () => {
    const dir = join(await mkdtemp(join(tmpdir(), 'models-dir-')), 'speech')
    await mkdir(join(dir, 'm1'), { recursive: true })
    await writeFile(join(dir, 'm1', 'manifest.json'), JSON.stringify({ id: 'm1' }))
    const manager = new ModelManager({ modelsDir: dir, catalog })
    expect(manager.modelsDir).toBe(dir)
    expect(await manager.installedPath('m1')).toBe(join(dir, 'm1'))
    expect(await manager.list()).toMatchObject([{ id: 'm1', state: 'installed' }])
    await manager.delete('m1')
    expect(await manager.installedPath('m1')).toBeNull()
  })

  it('resolves a relative folder against the working directory; the app layout is <userDataDir>/models; one of the two is needed', () => {
    expect(new ModelManager({ modelsDir: 'rel/models', catalog }).modelsDir).toBe(join(process.cwd(), 'rel/models'))
    expect(new ModelManager({ userDataDir: '/data/va', catalog }).modelsDir).toBe('/data/va/models')
    expect(() => new ModelManager({ catalog })).toThrow(/needs modelsDir or userDataDir/)
  })
})

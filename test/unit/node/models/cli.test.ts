import { spawnSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { UsageError } from '../../../../src/node/cli'
import { parseModelsArgs, runModels, type ModelsCliIo } from '../../../../src/node/models/cli'

const REPO = fileURLToPath(new URL('../../../../', import.meta.url))
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex')

/** Two small "models" served by a loopback server, under the hub's path layout and under a mirror's prefix. */
const files: Record<string, Buffer> = {
  'small/config.json': Buffer.from(JSON.stringify({ hello: 'world' })),
  'small/onnx/weights.bin': randomBytes(400_000),
  'other/weights.bin': randomBytes(1000)
}

describe('npm run models (against a loopback file server)', () => {
  let server: Server
  let origin: string
  let requests: Array<{ path: string; range?: string }> = []
  /** cutAfter: the first big transfer breaks after that many bytes; down: every request after the cut gets a 503. */
  let behaviour: { cutAfter?: number; slowChunk?: number; down?: boolean } = {}
  let cut = false
  let root: string
  let modelsDir: string
  let catalogPath: string

  beforeAll(async () => {
    server = createServer((req, res) => {
      const path = req.url ?? '/'
      requests.push({ path, range: req.headers.range })
      const m = /^(?:\/mirror\/cache)?\/hub\/resolve\/r1\/(.+)$/.exec(path)
      const body = m ? files[m[1]!] : undefined
      if (!body) return void res.writeHead(404).end()
      if (behaviour.down && cut) return void res.writeHead(503).end()
      const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '')
      const start = range ? Number(range[1]) : 0
      res.writeHead(range ? 206 : 200, { 'content-length': body.length - start, ...(range ? { 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` } : {}) })
      const rest = body.subarray(start)
      if (behaviour.cutAfter !== undefined && !cut && body.length > behaviour.cutAfter) {
        cut = true
        return void res.write(rest.subarray(0, behaviour.cutAfter), () => setTimeout(() => res.destroy(), 20))
      }
      if (!behaviour.slowChunk) return void res.end(rest)
      let at = 0
      const tick = (): void => {
        if (res.destroyed) return
        if (at >= rest.length) return void res.end()
        res.write(rest.subarray(at, (at += behaviour.slowChunk!)))
        setTimeout(tick, 25)
      }
      tick()
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(() => new Promise<void>((r) => server.close(() => r())))

  beforeEach(async () => {
    requests = []
    behaviour = {}
    cut = false
    root = await mkdtemp(join(tmpdir(), 'models-cli-'))
    modelsDir = join(root, 'my models') // not named "models": the CLI takes the folder as given
    catalogPath = join(root, 'catalog.json')
    const entry = (id: string, prefix: string, isDefault: boolean) => ({
      id,
      name: `Test ${id}`,
      engine: 'moonshine',
      language: 'en',
      description: 'a generated test model',
      license: 'MIT',
      licenseUrl: 'https://example.invalid/licence',
      homepage: 'https://example.invalid/home',
      revision: 'r1',
      ...(isDefault ? { default: true } : {}),
      files: Object.entries(files)
        .filter(([p]) => p.startsWith(`${prefix}/`))
        .map(([p, body]) => ({ path: p.slice(prefix.length + 1), url: `${origin}/hub/resolve/r1/${p}`, size: body.length, sha256: sha(body) }))
    })
    await writeFile(catalogPath, JSON.stringify({ version: 1, models: [entry('test-small', 'small', true), entry('test-other', 'other', false)] }))
  })
  afterEach(() => rm(root, { recursive: true, force: true }))

  async function run(...argv: string[]): Promise<{ code: number; out: string[]; err: string }> {
    const out: string[] = []
    let err = ''
    const io: ModelsCliIo = { out: (l) => out.push(l), err: (t) => (err += t), errIsTty: false, progressEveryMs: 0 }
    const code = await runModels(parseModelsArgs([...argv, '--models-dir', modelsDir, '--catalog', catalogPath], {}), io)
    return { code, out, err }
  }

  it('lists the catalog with sizes, licences and what is installed', async () => {
    const { code, out } = await run('list')
    expect(code).toBe(0)
    expect(out[0]).toMatch(/^MODEL\s+SIZE\s+STATE\s+LICENSE\s+NAME$/)
    expect(out[1]).toMatch(/^test-small\s+400\.0 kB\s+not installed\s+MIT\s+Test test-small \(default\)$/)
    expect(out[2]).toMatch(/^test-other\s+1\.0 kB\s+not installed/)
    expect(out[3]).toBe(`models folder: ${modelsDir}`)
    const json = JSON.parse((await run('list', '--json')).out[0]!)
    expect(json).toMatchObject({ modelsDir, models: [{ id: 'test-small', state: 'not_installed', default: true }, { id: 'test-other', default: false }] })
  })

  it('installs the default model with progress on stderr (percent, speed, time left), once', async () => {
    behaviour = { slowChunk: 20_000 } // 20 chunks 25 ms apart: long enough to measure a speed
    const { code, out, err } = await run('install')
    expect(code).toBe(0)
    expect(out).toEqual([`installed test-small in ${modelsDir}`])
    expect(err).toMatch(/^installing Test test-small: 400\.0 kB, licence MIT \(https:\/\/example\.invalid\/licence\), from http:\/\/127\.0\.0\.1:\d+\n/)
    const lines = err.split('\n').filter((l) => l.startsWith('test-small  '))
    expect(lines.length).toBeGreaterThan(3)
    expect(lines.some((l) => /^test-small {2}\d{1,2}% {2}[\d.]+ kB of 400\.0 kB {2}[\d.]+ (kB|MB)\/s {2}\d+ s left$/.test(l))).toBe(true)
    expect(lines.at(-1)).toMatch(/^test-small {2}100% {2}400\.0 kB of 400\.0 kB {2}[\d.]+ (kB|MB)\/s {2}done$/)
    const percents = lines.map((l) => Number(/ (\d+)% /.exec(l)![1]))
    expect(percents).toEqual([...percents].sort((a, b) => a - b))
    expect(await readFile(join(modelsDir, 'test-small', 'onnx', 'weights.bin'))).toEqual(files['small/onnx/weights.bin'])
    expect((await run('list')).out[1]).toMatch(/^test-small\s+400\.0 kB\s+installed/)
    expect(await run('install', 'test-small')).toMatchObject({ code: 0, out: [`test-small is already installed in ${modelsDir}`] })
  })

  it('honours a mirror base URL: every file comes from the mirror, none from the catalog host', async () => {
    const { code, err } = await run('install', 'test-small', '--mirror', `${origin}/mirror/cache/`)
    expect(code).toBe(0)
    expect(err).toMatch(new RegExp(`from ${origin.replace(/[.]/g, '\\.')} \\(mirror\\)`))
    expect(requests.map((r) => r.path).sort()).toEqual(['/mirror/cache/hub/resolve/r1/small/config.json', '/mirror/cache/hub/resolve/r1/small/onnx/weights.bin'])
  })

  it('a dropped connection is resumed within the run with a Range request (exit 0)', async () => {
    behaviour = { cutAfter: 150_000 }
    const run1 = await run('install', 'test-small')
    expect(run1.code).toBe(0)
    const weights = requests.filter((r) => r.path.endsWith('weights.bin'))
    expect(weights.map((r) => r.range)).toEqual([undefined, expect.stringMatching(/^bytes=1[45]\d{4}-$/)])
    expect(await readFile(join(modelsDir, 'test-small', 'onnx', 'weights.bin'))).toEqual(files['small/onnx/weights.bin'])
  })

  it('a server that stays down fails the run (exit 1, says how to go on); running it again resumes with a Range request', async () => {
    behaviour = { cutAfter: 150_000, down: true }
    const first = await run('install', 'test-small')
    expect(first.code).toBe(1)
    expect(first.err).toMatch(/models: installing test-small failed: .*resumes where it stopped/)
    expect(existsSync(join(modelsDir, 'test-small'))).toBe(false) // nothing half-installed
    expect((await run('list')).out[1]).toMatch(/partial \d+% \(install resumes\)/)
    behaviour = {}
    requests = []
    const second = await run('install', 'test-small')
    expect(second.code).toBe(0)
    expect(second.err).toMatch(/resuming: 1[45]\d\.\d kB of it is already here/)
    expect(requests.find((r) => r.path.endsWith('weights.bin'))?.range).toMatch(/^bytes=1[45]\d{4}-$/)
    expect(await readFile(join(modelsDir, 'test-small', 'onnx', 'weights.bin'))).toEqual(files['small/onnx/weights.bin'])
  })

  it('refuses a file whose checksum does not match the catalog (exit 1) and installs nothing', async () => {
    const catalog = JSON.parse(await readFile(catalogPath, 'utf8'))
    catalog.models[1].files[0].sha256 = 'ab'.repeat(32)
    await writeFile(catalogPath, JSON.stringify(catalog))
    const { code, err } = await run('install', 'test-other')
    expect(code).toBe(1)
    expect(err).toMatch(/weights\.bin of Test test-other failed its checksum/)
    expect(existsSync(join(modelsDir, 'test-other'))).toBe(false)
  })

  it('verify passes an intact model and catches a corrupted or missing file (exit 1, names the file)', async () => {
    expect(await run('verify')).toMatchObject({ code: 0, out: [`no models are installed in ${modelsDir}`] })
    expect(await run('verify', 'test-small')).toMatchObject({ code: 1, out: [`missing  test-small is not installed in ${modelsDir}`] })
    await run('install', 'test-small')
    await run('install', 'test-other')
    expect(await run('verify')).toMatchObject({ code: 0, out: ['ok       test-small', 'ok       test-other'] })
    const weights = join(modelsDir, 'test-small', 'onnx', 'weights.bin')
    const bytes = await readFile(weights)
    bytes[1234] = bytes[1234]! ^ 0xff
    await writeFile(weights, bytes)
    const damaged = await run('verify')
    expect(damaged.code).toBe(1)
    expect(damaged.out).toEqual([expect.stringMatching(/^damaged {2}test-small: onnx\/weights\.bin fails its checksum \(SHA-256 [0-9a-f]{12}…, the catalog says [0-9a-f]{12}…\)$/), 'ok       test-other'])
    expect(damaged.err).toContain('npm run models -- remove test-small && npm run models -- install test-small')
    await rm(join(modelsDir, 'test-other', 'weights.bin'))
    const json = JSON.parse((await run('verify', 'test-other', '--json')).out[0]!)
    expect(json.models).toEqual([expect.objectContaining({ id: 'test-other', state: 'damaged', problems: ['weights.bin is missing'] })])
  })

  it('removes a model (or a partial download); removing what is not there is not an error', async () => {
    await run('install', 'test-other')
    expect(await run('remove', 'test-other')).toMatchObject({ code: 0, out: [`removed test-other from ${modelsDir}`] })
    expect(existsSync(join(modelsDir, 'test-other'))).toBe(false)
    expect(await run('remove', 'test-other')).toMatchObject({ code: 0, out: [`test-other is not installed in ${modelsDir}`] })
    behaviour = { cutAfter: 100_000, down: true }
    await run('install', 'test-small')
    expect(await run('remove', 'test-small')).toMatchObject({ code: 0, out: [`removed test-small from ${modelsDir} (a partial download)`] })
    expect((await run('list')).out[1]).toMatch(/not installed/)
  })

  it('usage: unknown commands, ids and misplaced options are refused before anything runs', async () => {
    const usage = (...argv: string[]): string => {
      try {
        parseModelsArgs(argv, {})
      } catch (error) {
        expect(error).toBeInstanceOf(UsageError)
        return (error as Error).message
      }
      throw new Error(`accepted: ${argv.join(' ')}`)
    }
    expect(usage()).toBe('no command given; commands: list, install, verify, remove')
    expect(usage('fetch')).toBe('unknown command "fetch"; commands: list, install, verify, remove')
    expect(usage('remove')).toMatch(/^remove needs the id/)
    expect(usage('list', 'x')).toBe('list takes no model id')
    expect(usage('list', '--mirror', 'https://m.example')).toBe('--mirror applies to install only')
    expect(usage('install', '--mirror', 'ftp://m.example')).toBe('--mirror: the mirror must be an http or https URL, not ftp:')
    expect(usage('install', '--json')).toBe('--json applies to list and verify, not install')
    expect(usage('list', '--force')).toMatch(/^unknown option --force; known: --models-dir, --mirror, --catalog, --json/)
    expect(await run('install', 'nope')).toMatchObject({ code: 2, err: 'models: no model "nope" in the catalog; models: test-small, test-other\n' })
    expect(parseModelsArgs(['list'], { VOICE_ASSISTANT_MODELS_DIR: '/srv/models' }).modelsDir).toBe('/srv/models')
  })

  it('as a process: exit codes 0 (done), 1 (failed), 2 (usage)', () => {
    const cli = (...argv: string[]) => spawnSync(process.execPath, ['--import', 'tsx', join(REPO, 'src/node/models/cli.ts'), ...argv], { cwd: REPO, encoding: 'utf8', timeout: 60_000, env: { ...process.env, VOICE_ASSISTANT_MODELS_DIR: modelsDir } })
    const list = cli('list', '--catalog', catalogPath)
    expect(list.status).toBe(0)
    expect(list.stdout).toContain(`models folder: ${modelsDir}`)
    const usage = cli('frob')
    expect(usage.status).toBe(2)
    expect(usage.stderr).toMatch(/^models: unknown command "frob"; commands: list, install, verify, remove\nusage: npm run models -- <command>/)
    // A port nothing listens on: the download fails at once, and says so.
    const closed = cli('install', '--catalog', catalogPath, '--mirror', 'http://127.0.0.1:9/')
    expect(closed.status).toBe(1)
    expect(closed.stderr).toMatch(/models: installing test-small failed: cannot reach 127\.0\.0\.1:9/)
  })
})

import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ModelProgress } from '../../../../src/shared/contract/models'
import type { AppCore } from '../../../../src/main/services/appCore'
import { modelFixture, writeModelFiles } from '../../../helpers/modelFixtures'
import { startOfflineCore } from '../../../helpers/offlineCore'

/**
 * The app api's model setup, through AppCore.dispatch as the window calls it: the mirror setting moves downloads onto
 * the mirror, importModel installs a verified folder and refuses a damaged one, chooseModelSource needs a dialog.
 */
describe('AppCore: model setup api', () => {
  // The catalog's own host refuses connections (port 9 on loopback); only the mirror serves the files.
  const { catalog, bytes } = modelFixture('http://127.0.0.1:9/m')
  let dir: string
  let server: Server
  let mirror: string
  const requested: string[] = []
  let core: AppCore
  const progress: ModelProgress[] = []

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'va-core-models-'))
    await writeFile(join(dir, 'catalog.json'), JSON.stringify(catalog))
    server = createServer((req, res) => {
      requested.push(req.url ?? '')
      const m = /^\/mirror\/m\/([^/]+)\/(.+)$/.exec(req.url ?? '')
      const body = m ? bytes[m[1]!]?.[m[2]!] : undefined
      if (!body) return void res.writeHead(404).end()
      res.writeHead(200, { 'content-length': body.length }).end(body)
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    mirror = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mirror`
    core = await startOfflineCore({ userDataDir: join(dir, 'user'), extra: { modelCatalogPath: join(dir, 'catalog.json') } })
    core.events.on('modelDownloadProgress', (p) => progress.push(p))
  })
  afterAll(async () => {
    await core?.stop()
    await new Promise<void>((r) => server.close(() => r()))
    await rm(dir, { recursive: true, force: true })
  })

  it('downloads from the mirror the settings name (a bad mirror URL is refused when saved)', async () => {
    expect(await core.dispatch('updateSettings', { models: { mirrorBaseUrl: 'not a url' } })).toMatchObject({ ok: false, error: { code: 'invalid_params' } })
    expect(await core.dispatch('updateSettings', { models: { mirrorBaseUrl: mirror } })).toMatchObject({ ok: true })
    const started = await core.dispatch('downloadModel', { id: 'tiny-test' })
    expect(started).toMatchObject({ ok: true })
    await expect.poll(() => progress.at(-1)?.state, { timeout: 10_000 }).toBe('installed')
    expect(requested.every((u) => u.startsWith('/mirror/m/tiny-test/'))).toBe(true)
    expect(requested).toHaveLength(4)
    expect(progress.find((p) => p.state === 'downloading')?.source).toBe(new URL(mirror).host)
  })

  it('importModel installs a verified folder and lists it; a damaged one is invalid_params, naming the file', async () => {
    const damaged = { ...bytes['base-test']!, 'config.json': Buffer.from('{"tampered":true}') }
    await writeModelFiles(join(dir, 'damaged'), damaged)
    const refused = await core.dispatch('importModel', { path: join(dir, 'damaged'), id: 'base-test' })
    expect(refused).toMatchObject({ ok: false, error: { code: 'invalid_params', message: expect.stringMatching(/config\.json has \d+ bytes, the catalog says/) } })
    await writeModelFiles(join(dir, 'good'), bytes['base-test']!)
    const done = await core.dispatch('importModel', { path: join(dir, 'good') })
    expect(done).toMatchObject({ ok: true, result: { id: 'base-test', name: 'Base (test)' } })
    const models = (done as { result: { models: Array<{ id: string; state: string }> } }).result.models
    expect(models.find((x) => x.id === 'base-test')?.state).toBe('installed')
    expect(await core.dispatch('importModel', { path: '  ' })).toMatchObject({ ok: false, error: { code: 'invalid_params' } })
  })

  it('chooseModelSource is unavailable without a dialog, and returns what the dialog chose', async () => {
    expect(await core.dispatch('chooseModelSource', { kind: 'folder' })).toMatchObject({ ok: false, error: { code: 'unavailable', message: expect.stringMatching(/type the path/) } })
    const withDialog = await startOfflineCore({ extra: { chooseModelSource: async (kind) => (kind === 'archive' ? '/tmp/model.tar.gz' : null) } })
    try {
      expect(await withDialog.dispatch('chooseModelSource', { kind: 'archive' })).toEqual({ ok: true, result: { path: '/tmp/model.tar.gz' } })
      expect(await withDialog.dispatch('chooseModelSource', { kind: 'folder' })).toEqual({ ok: true, result: { path: null } })
    } finally {
      await withDialog.stop()
    }
  })
})

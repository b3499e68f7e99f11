import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { safeStorageCipher } from '../../../../src/main/electron/safeStorageCipher'
import type { AppCore } from '../../../../src/main/services/appCore'
import { startOfflineCore } from '../../../helpers/offlineCore'
import { fileKeyCipher, refusingCipher, SecretsStore, type SecretCipher } from '../../../../src/main/services/secretsStore'

const KEY = 'sk-test-0123456789abcdef'

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'va-secrets-'))
}

/** A stand-in for Electron safeStorage: a reversible transform whose output never contains the input. */
function fakeSafeStorage(opts: { available?: boolean; backend?: string } = {}) {
  return {
    isEncryptionAvailable: () => opts.available ?? true,
    getSelectedStorageBackend: () => opts.backend ?? 'gnome_libsecret',
    encryptString: (plain: string) => Buffer.from(Buffer.from(plain, 'utf8').map((b) => b ^ 0x5a)),
    decryptString: (data: Buffer) => Buffer.from(data.map((b) => b ^ 0x5a)).toString('utf8')
  }
}

describe('SecretsStore', () => {
  it('refuses to store keys without an encrypting cipher, writing nothing', async () => {
    const dir = await tempDir()
    const store = new SecretsStore(dir, refusingCipher())
    await store.load()
    expect(store.status().storage).toMatchObject({ available: false, kind: 'unavailable', reason: expect.stringContaining('VOICE_ASSISTANT_SECRETS_KEY_FILE') })
    await expect(store.set('llm.apiKey', KEY)).rejects.toMatchObject({ code: 'unavailable' })
    await expect(stat(store.file)).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('with a file key, stores keys encrypted (never the plain key on disk) and reads them back after a restart', async () => {
    const dir = await tempDir()
    const keyFile = join(dir, 'keys', 'secrets.key')
    const store = new SecretsStore(dir, await fileKeyCipher(keyFile))
    await store.load()
    const status = await store.set('llm.apiKey', KEY)
    expect(status.keys).toEqual({ 'stt.apiKey': false, 'llm.apiKey': true, 'tts.apiKey': false })
    const onDisk = await readFile(store.file, 'utf8')
    expect(onDisk).not.toContain(KEY)
    expect(onDisk).not.toContain(Buffer.from(KEY).toString('base64'))
    expect((await stat(store.file)).mode & 0o777).toBe(0o600)
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600)

    const again = new SecretsStore(dir, await fileKeyCipher(keyFile))
    await again.load()
    expect(again.get('llm.apiKey')).toBe(KEY)
    expect(again.get('stt.apiKey')).toBeNull()
    await again.clear('llm.apiKey')
    expect(again.status().keys['llm.apiKey']).toBe(false)
    expect(await readFile(again.file, 'utf8')).not.toContain('llm.apiKey')
  })

  it('a wrong key file or tampered entry is a clear error, not garbage', async () => {
    const dir = await tempDir()
    const store = new SecretsStore(dir, await fileKeyCipher(join(dir, 'a.key')))
    await store.set('tts.apiKey', KEY)
    const other = new SecretsStore(dir, await fileKeyCipher(join(dir, 'b.key')))
    await other.load()
    expect(() => other.get('tts.apiKey')).toThrow(/cannot be decrypted/)
    await writeFile(join(dir, 'short.key'), Buffer.alloc(5))
    await expect(fileKeyCipher(join(dir, 'short.key'))).rejects.toThrow(/exactly 32 bytes/)
  })

  it('keys written by one cipher are reported as unreadable by another', async () => {
    const dir = await tempDir()
    const desktop = new SecretsStore(dir, safeStorageCipher(fakeSafeStorage(), 'linux'))
    await desktop.set('stt.apiKey', KEY)
    const browser = new SecretsStore(dir, await fileKeyCipher(join(dir, 'k')))
    await browser.load()
    expect(browser.status().keys['stt.apiKey']).toBe(true)
    expect(() => browser.get('stt.apiKey')).toThrow(/stored with safeStorage/)
  })

  it('a corrupt secrets file is moved aside with a notice', async () => {
    const dir = await tempDir()
    const store = new SecretsStore(dir, refusingCipher())
    await writeFile(store.file, '{"version": 1, "entries": {"llm.apiKey": "plain"}}')
    const notices = await store.load()
    expect(notices).toEqual([expect.stringMatching(/could not be read; the file was saved as .*secrets\.json\.corrupt-/)])
    expect(store.status().keys['llm.apiKey']).toBe(false)
  })

  it('the safeStorage cipher refuses the Linux basic_text fallback and an unavailable keychain', () => {
    expect(safeStorageCipher(fakeSafeStorage({ backend: 'basic_text' }), 'linux').unavailableReason()).toContain('no desktop keyring')
    expect(safeStorageCipher(fakeSafeStorage({ available: false }), 'win32').unavailableReason()).toContain('not available')
    expect(safeStorageCipher(fakeSafeStorage({ backend: 'basic_text' }), 'darwin').unavailableReason()).toBeNull()
  })
})

describe('secrets over the api', () => {
  async function core(cipher?: SecretCipher): Promise<AppCore> {
    return startOfflineCore({ secretsCipher: cipher })
  }

  it('set/clear answer with "is set" only; no method returns a key', async () => {
    const c = await core(safeStorageCipher(fakeSafeStorage(), 'linux'))
    const set = await c.dispatch('setSecret', { name: 'llm.apiKey', value: KEY })
    expect(set).toMatchObject({ ok: true, result: { keys: { 'llm.apiKey': true } } })
    expect(JSON.stringify(set)).not.toContain(KEY)
    for (const method of ['getSecretsStatus', 'getSettings', 'getAssistantStatus'] as const) {
      expect(JSON.stringify(await c.dispatch(method, {}))).not.toContain(KEY)
    }
    expect(await c.dispatch('clearSecret', { name: 'llm.apiKey' })).toMatchObject({ ok: true, result: { keys: { 'llm.apiKey': false } } })
  })

  it('rejects unknown names and malformed values; browser-mode default refuses with the reason', async () => {
    const c = await core()
    expect(await c.dispatch('setSecret', { name: 'password', value: KEY })).toMatchObject({ ok: false, error: { code: 'invalid_params' } })
    expect(await c.dispatch('setSecret', { name: 'llm.apiKey', value: 'has space' })).toMatchObject({ ok: false, error: { code: 'invalid_params' } })
    expect(await c.dispatch('setSecret', { name: 'llm.apiKey', value: '' })).toMatchObject({ ok: false, error: { code: 'invalid_params' } })
    const refused = await c.dispatch('setSecret', { name: 'llm.apiKey', value: KEY })
    expect(refused).toMatchObject({ ok: false, error: { code: 'unavailable', message: expect.stringContaining('API key not saved') } })
  })
})

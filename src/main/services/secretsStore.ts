import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { z } from 'zod'
import { ContractError } from '../../shared/contract/errors'
import { secretNames, type SecretName, type SecretsStatus } from '../../shared/contract/secrets'

/**
 * How secrets are encrypted at rest. The desktop app uses Electron safeStorage (OS keychain / DPAPI / libsecret,
 * src/main/electron/safeStorageCipher.ts). Browser mode and tests get `refusingCipher` unless the user opted into a
 * key file (`fileKeyCipher`). There is deliberately no plain-text cipher.
 */
export interface SecretCipher {
  readonly kind: 'safeStorage' | 'file-key' | 'unavailable'
  /** null when the cipher can encrypt now; otherwise a sentence saying why not and how to fix it. */
  unavailableReason(): string | null
  encrypt(plain: string): Buffer
  decrypt(data: Buffer): string
}

export const SECRETS_KEY_FILE_ENV = 'VOICE_ASSISTANT_SECRETS_KEY_FILE'

/** The default outside Electron: storing a key is refused with instructions. */
export function refusingCipher(reason = `API keys are stored only by the desktop app (OS keychain via Electron safeStorage). To store them in browser mode, opt into file-key encryption: set ${SECRETS_KEY_FILE_ENV} to the path of a key file (it is created if missing; keep it private).`): SecretCipher {
  return {
    kind: 'unavailable',
    unavailableReason: () => reason,
    encrypt: () => {
      throw new ContractError('unavailable', reason)
    },
    decrypt: () => {
      throw new ContractError('unavailable', reason)
    }
  }
}

/**
 * AES-256-GCM with a 32-byte key from a file the user chose (created with mode 0600 if missing). It keeps keys out
 * of secrets.json for anyone who copies the settings folder without the key file; it does not protect against
 * someone who can read the key file. Opt-in only (browser mode, headless servers without a keychain).
 */
export async function fileKeyCipher(keyFile: string): Promise<SecretCipher> {
  let key: Buffer
  try {
    key = await readFile(keyFile)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`cannot read the secrets key file ${keyFile}: ${(error as Error).message}`, { cause: error })
    key = randomBytes(32)
    await mkdir(dirname(keyFile), { recursive: true })
    await writeFile(keyFile, key, { mode: 0o600, flag: 'wx' })
  }
  if (key.length !== 32) throw new Error(`the secrets key file ${keyFile} must hold exactly 32 bytes (it holds ${key.length}); delete it to have a new one made`)
  return {
    kind: 'file-key',
    unavailableReason: () => null,
    encrypt(plain) {
      const iv = randomBytes(12)
      const cipher = createCipheriv('aes-256-gcm', key, iv)
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()])
      return Buffer.concat([Buffer.from([1]), iv, cipher.getAuthTag(), body])
    },
    decrypt(data) {
      if (data.length < 1 + 12 + 16 || data[0] !== 1) throw new Error('stored secret is not in the file-key format')
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(1, 13))
      decipher.setAuthTag(data.subarray(13, 29))
      return Buffer.concat([decipher.update(data.subarray(29)), decipher.final()]).toString('utf8')
    }
  }
}

const secretsFileSchema = z.object({
  version: z.literal(1),
  entries: z.record(z.string(), z.object({ cipher: z.enum(['safeStorage', 'file-key']), data: z.string().regex(/^[A-Za-z0-9+/=]*$/) }))
})
type SecretsFile = z.infer<typeof secretsFileSchema>

/**
 * Encrypted API keys in `<userData>/secrets.json` (mode 0600): each entry is the cipher's output in base64, tagged
 * with the cipher that wrote it. Only main-process code reads keys (`get`); the api exposes set/clear/status.
 * A file that cannot be parsed is moved aside (never deleted) and an empty store is used, with a notice.
 */
export class SecretsStore {
  readonly file: string
  private entries: SecretsFile['entries'] = {}
  private queue: Promise<unknown> = Promise.resolve()

  constructor(
    dir: string,
    private readonly cipher: SecretCipher,
    fileName = 'secrets.json'
  ) {
    this.file = join(dir, fileName)
  }

  /** Returns notices for the user (e.g. a corrupt file was backed up). */
  async load(): Promise<string[]> {
    let text: string
    try {
      text = await readFile(this.file, 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
      throw new Error(`cannot read ${this.file}: ${(error as Error).message}`, { cause: error })
    }
    let parsed: SecretsFile | null = null
    try {
      const result = secretsFileSchema.safeParse(JSON.parse(text))
      if (result.success) parsed = result.data
    } catch {
      parsed = null
    }
    if (!parsed) {
      const backup = `${this.file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`
      await rename(this.file, backup)
      this.entries = {}
      return [`the stored API keys could not be read; the file was saved as ${backup} and the keys must be entered again`]
    }
    this.entries = Object.fromEntries(Object.entries(parsed.entries).filter(([name]) => (secretNames as readonly string[]).includes(name)))
    return []
  }

  status(): SecretsStatus {
    const reason = this.cipher.unavailableReason()
    return {
      storage: { available: reason === null, kind: this.cipher.kind, reason },
      keys: Object.fromEntries(secretNames.map((name) => [name, name in this.entries])) as Record<SecretName, boolean>
    }
  }

  set(name: SecretName, value: string): Promise<SecretsStatus> {
    return this.serialize(async () => {
      const reason = this.cipher.unavailableReason()
      if (reason !== null || this.cipher.kind === 'unavailable') throw new ContractError('unavailable', `API key not saved: ${reason ?? 'no encryption available'}`)
      const data = this.cipher.encrypt(value).toString('base64')
      await this.write({ ...this.entries, [name]: { cipher: this.cipher.kind, data } })
      return this.status()
    })
  }

  clear(name: SecretName): Promise<SecretsStatus> {
    return this.serialize(async () => {
      if (name in this.entries) {
        const { [name]: _removed, ...rest } = this.entries
        await this.write(rest)
      }
      return this.status()
    })
  }

  /** The key, for main-process provider code only; null when not set. Throws when it cannot be decrypted here. */
  get(name: SecretName): string | null {
    const entry = this.entries[name]
    if (!entry) return null
    if (entry.cipher !== this.cipher.kind) {
      throw new ContractError('unavailable', `the ${name} was stored with ${entry.cipher} and cannot be read with ${this.cipher.kind}; enter it again`)
    }
    try {
      return this.cipher.decrypt(Buffer.from(entry.data, 'base64'))
    } catch (error) {
      if (error instanceof ContractError) throw error
      throw new ContractError('unavailable', `the stored ${name} cannot be decrypted (${(error as Error).message}); enter it again`)
    }
  }

  private serialize<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task)
    this.queue = run.catch(() => undefined)
    return run
  }

  private async write(entries: SecretsFile['entries']): Promise<void> {
    await mkdir(dirname(this.file), { recursive: true })
    const tmp = `${this.file}.${process.pid}.tmp`
    const body: SecretsFile = { version: 1, entries }
    await writeFile(tmp, JSON.stringify(body, null, 2) + '\n', { encoding: 'utf8', mode: 0o600 })
    await chmod(tmp, 0o600)
    await rename(tmp, this.file)
    this.entries = entries
  }
}

import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import {
  applySettingsPatch,
  defaultSettings,
  migrateSettings,
  type Settings,
  type SettingsPatch
} from '../../shared/contract/settings'

export interface SettingsLoadReport {
  settings: Settings
  /** What the user should be told (reset fields, backed-up corrupt file, migration). */
  notices: string[]
}

/**
 * A valid change that could not be written (read-only folder, disk full, settings.json is a directory…). `code` is
 * the errno code; the message says what to do. AppCore answers it as `storage_error`, not as bad input.
 */
export class SettingsSaveError extends Error {
  constructor(
    readonly code: string,
    message: string
  ) {
    super(message)
    this.name = 'SettingsSaveError'
  }
}

/** What an errno code means for the settings folder, in words a user can act on. */
function describeFsError(error: NodeJS.ErrnoException, file: string): string {
  switch (error.code) {
    case 'EROFS':
      return `the settings folder ${dirname(file)} is on a read-only file system (EROFS)`
    case 'EACCES':
    case 'EPERM':
      return `no permission to write in the settings folder ${dirname(file)} (${error.code})`
    case 'ENOSPC':
    case 'EDQUOT':
      return `the disk holding ${dirname(file)} is full (${error.code})`
    case 'EISDIR':
    case 'ENOTEMPTY':
    case 'EEXIST':
      return `${file} is a directory, not a file (${error.code}); remove or rename it`
    default:
      return `${error.message}${error.code ? ` (${error.code})` : ''}`
  }
}

/**
 * Settings persisted as JSON in the user data folder. Reads migrate older files; a file that cannot be read as
 * settings is moved aside (never deleted) and defaults are used, with a notice naming the backup. Writes are
 * atomic (temp file + rename) and serialized, so a crash mid-write never leaves a half file.
 *
 * Loading never fails: when the file cannot be read at all (settings.json is a directory, no permission) or cannot
 * be moved aside or rewritten (read-only folder), defaults (or the migrated settings) are used in memory and a notice
 * says why and that changes will not be saved until it is fixed. The app keeps running either way.
 */
export class SettingsStore {
  readonly file: string
  private current: Settings = defaultSettings()
  private queue: Promise<void> = Promise.resolve()

  constructor(dir: string, fileName = 'settings.json') {
    this.file = join(dir, fileName)
  }

  get(): Settings {
    return this.current
  }

  async load(): Promise<SettingsLoadReport> {
    let text: string
    try {
      text = await readFile(this.file, 'utf8')
    } catch (error) {
      this.current = defaultSettings()
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { settings: this.current, notices: [] }
      return { settings: this.current, notices: [`cannot read the settings file: ${describeFsError(error as NodeJS.ErrnoException, this.file)}; default settings are in use and changes will not be saved until that is fixed`] }
    }
    let raw: unknown
    let problem: string | null = null
    try {
      raw = JSON.parse(text)
    } catch (error) {
      problem = `settings file is not valid JSON (${(error as Error).message})`
    }
    const migrated = problem === null ? migrateSettings(raw) : null
    if (!migrated || !migrated.ok) {
      const reason = problem ?? (migrated && !migrated.ok ? migrated.reason : 'unknown problem')
      const backup = `${this.file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`
      this.current = defaultSettings()
      try {
        await rename(this.file, backup)
      } catch (error) {
        return { settings: this.current, notices: [`${reason}; it could not be moved aside (${describeFsError(error as NodeJS.ErrnoException, this.file)}), so it was left as it is: default settings are in use and changes will not be saved until that is fixed`] }
      }
      const notices = [`${reason}; it was saved as ${backup} and default settings are in use`]
      await this.persist(this.current).catch((error: Error) => notices.push(`default settings could not be saved: ${error.message}`))
      return { settings: this.current, notices }
    }
    this.current = migrated.settings
    const notices = [...migrated.notices]
    if (migrated.migratedFrom !== null || notices.length > 0) {
      if (migrated.migratedFrom !== null) notices.push(`settings were upgraded from v${migrated.migratedFrom}`)
      await this.persist(this.current).catch((error: Error) => notices.push(`the upgraded settings are in use but could not be saved: ${error.message}`))
    }
    return { settings: this.current, notices }
  }

  /**
   * Apply a validated patch; the returned settings are what is now on disk. Updates run one at a time. An invalid
   * merged result throws the validation error; a write that fails throws SettingsSaveError (memory is unchanged).
   */
  update(patch: SettingsPatch): Promise<Settings> {
    return this.serialize(async () => {
      const next = applySettingsPatch(this.current, patch)
      await this.write(next)
      this.current = next
      return next
    })
  }

  private persist(settings: Settings): Promise<void> {
    return this.serialize(() => this.write(settings))
  }

  private serialize<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task)
    this.queue = run.then(
      () => undefined,
      () => undefined
    )
    return run
  }

  private async write(settings: Settings): Promise<void> {
    const tmp = `${this.file}.${process.pid}.tmp`
    try {
      await mkdir(dirname(this.file), { recursive: true })
      await writeFile(tmp, JSON.stringify(settings, null, 2) + '\n', 'utf8')
      await rename(tmp, this.file)
    } catch (error) {
      await rm(tmp, { force: true }).catch(() => undefined)
      const e = error as NodeJS.ErrnoException
      throw new SettingsSaveError(e.code ?? 'EIO', `cannot save settings: ${describeFsError(e, this.file)}`)
    }
  }
}

import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
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
 * Settings persisted as JSON in the user data folder. Reads migrate older files; a file that cannot be read as
 * settings is moved aside (never deleted) and defaults are used, with a notice naming the backup. Writes are
 * atomic (temp file + rename) and serialized, so a crash mid-write never leaves a half file.
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
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        this.current = defaultSettings()
        return { settings: this.current, notices: [] }
      }
      throw new Error(`cannot read settings file ${this.file}: ${(error as Error).message}`)
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
      await rename(this.file, backup)
      this.current = defaultSettings()
      await this.persist(this.current)
      return { settings: this.current, notices: [`${reason}; it was saved as ${backup} and default settings are in use`] }
    }
    this.current = migrated.settings
    const notices = [...migrated.notices]
    if (migrated.migratedFrom !== null || notices.length > 0) {
      if (migrated.migratedFrom !== null) notices.push(`settings were upgraded from v${migrated.migratedFrom}`)
      await this.persist(this.current)
    }
    return { settings: this.current, notices }
  }

  /** Apply a validated patch; the returned settings are what is now on disk. Updates run one at a time. */
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
    await mkdir(dirname(this.file), { recursive: true })
    const tmp = `${this.file}.${process.pid}.tmp`
    await writeFile(tmp, JSON.stringify(settings, null, 2) + '\n', 'utf8')
    await rename(tmp, this.file)
  }
}

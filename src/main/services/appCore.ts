import type { ApiEventName, ApiEventPayload, AppInfo } from '../../shared/contract/api'
import { apiMethods } from '../../shared/contract/api'
import { createDispatcher, type Dispatcher } from '../../shared/contract/dispatch'
import { ContractError } from '../../shared/contract/errors'
import type { WebSocketFactory } from '../../shared/signalingClient'
import { TypedEmitter } from '../../shared/typedEmitter'
import { BackendService, type BackendCommand, type SpawnFn } from './backendService'
import { SettingsStore } from './settingsStore'

export type ApiEventMap = { [E in ApiEventName]: ApiEventPayload<E> }

export interface AppCoreOptions {
  appInfo: AppInfo
  userDataDir: string
  backendCommand: BackendCommand
  wsFactory: WebSocketFactory
  spawn?: SpawnFn
  log?: (line: string) => void
  /** Start the backend when the core starts (off in tests that only need settings). */
  autoStartBackend?: boolean
}

/**
 * The main-process services behind the api, with no Electron import: Electron's IPC adapter and browser mode's
 * WebSocket adapter both call `dispatch` and forward `events`.
 */
export class AppCore {
  readonly events = new TypedEmitter<ApiEventMap>()
  readonly settings: SettingsStore
  readonly backend: BackendService
  readonly dispatch: Dispatcher
  private readonly log: (line: string) => void

  constructor(private readonly opts: AppCoreOptions) {
    this.log = opts.log ?? ((line) => console.log(line))
    this.settings = new SettingsStore(opts.userDataDir)
    this.backend = new BackendService({
      command: opts.backendCommand,
      backendSettings: () => this.settings.get().backend,
      wsFactory: opts.wsFactory,
      spawn: opts.spawn,
      log: this.log
    })
    this.backend.events.on('status', (status) => this.events.emit('backendStatus', status))
    this.dispatch = createDispatcher(
      apiMethods,
      {
        getAppInfo: () => this.opts.appInfo,
        ping: ({ clientTime }) => ({ clientTime, serviceTime: Date.now() }),
        getSettings: () => this.settings.get(),
        updateSettings: async (patch) => {
          const before = this.settings.get()
          let next
          try {
            next = await this.settings.update(patch)
          } catch (error) {
            throw new ContractError('invalid_params', `settings not saved: ${(error as Error).message}`)
          }
          this.events.emit('settingsChanged', next)
          const backendChanged = JSON.stringify(before.backend) !== JSON.stringify(next.backend)
          if (backendChanged) void this.backend.start()
          return next
        },
        getBackendStatus: () => this.backend.status,
        restartBackend: () => this.backend.start()
      },
      (method, error) => this.log(`api ${method} failed: ${error instanceof Error ? error.stack : String(error)}`)
    )
  }

  /** Notices raised before any window was listening (e.g. settings reset at load); delivered once. */
  private pendingNotices: Array<ApiEventPayload<'notice'>> = []

  /** Hand over (and forget) the notices no window has seen yet; adapters call this when a window connects. */
  drainNotices(): Array<ApiEventPayload<'notice'>> {
    return this.pendingNotices.splice(0)
  }

  async start(): Promise<void> {
    const report = await this.settings.load()
    for (const message of report.notices) {
      this.log(`settings: ${message}`)
      this.pendingNotices.push({ level: 'warning', message })
    }
    if (this.opts.autoStartBackend !== false) void this.backend.start()
  }

  async stop(): Promise<void> {
    await this.backend.stop()
  }
}

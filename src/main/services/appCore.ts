import { join } from 'node:path'
import type { ApiEventName, ApiEventPayload, AppInfo } from '../../shared/contract/api'
import { apiMethods } from '../../shared/contract/api'
import { createDispatcher, type Dispatcher } from '../../shared/contract/dispatch'
import { ContractError } from '../../shared/contract/errors'
import type { WebSocketFactory } from '../../shared/signalingClient'
import { TypedEmitter } from '../../shared/typedEmitter'
import { BackendService, type BackendCommand, type SpawnFn } from './backendService'
import { SettingsSaveError, SettingsStore } from './settingsStore'
import { endpointerConfigFromSettings, VadService } from './vad/vadService'
import { loadCatalog } from '../../node/models/catalog'
import { ModelError, ModelManager } from '../../node/models/modelManager'
import { parseMirrorBase } from '../../node/models/mirror'
import { transcribeLocally } from './stt/localTranscriber'
import { SttService } from '../../node/stt/sttService'
import type { LocalUtterance } from './vad/vadService'
import { refusingCipher, SecretsStore, type SecretCipher } from './secretsStore'
import { applySettingsPatch, hotkeyActionLabels } from '../../shared/contract/settings'
import { findHotkeyProblems, toHotkeyPlatform } from '../../shared/hotkeys/accelerator'
import type { AssistantStatus } from '../../shared/contract/api'
import { ConversationObserver } from './conversationObserver'
import type { TalkKeyService } from '../hotkeys/pushToTalkHotkey'
import { DiagnosticsService } from '../diagnostics/diagnosticsService'
import { secretNames } from '../../shared/contract/secrets'
import { silentLogger, type Logger } from '../../shared/logging/logger'
import { RendererErrorLog } from './rendererErrorLog'

export type ApiEventMap = { [E in ApiEventName]: ApiEventPayload<E> }

export interface AppCoreOptions {
  appInfo: AppInfo
  userDataDir: string
  backendCommand: BackendCommand
  wsFactory: WebSocketFactory
  spawn?: SpawnFn
  /** The app's logger (the log file); each service logs on a child naming it. Default: silent. */
  logger?: Logger
  /** Start the backend when the core starts (off in tests that only need settings). */
  autoStartBackend?: boolean
  /** How API keys are encrypted: Electron safeStorage in the app; default refuses to store keys (browser mode). */
  secretsCipher?: SecretCipher
  /** The built VAD worker (electron-vite `?modulePath`); unset = the TypeScript source through tsx (tests). */
  vadWorkerPath?: string
  /** The built STT worker (electron-vite `?modulePath`); unset = the TypeScript source through tsx (tests). */
  sttWorkerPath?: string
  /** A native file dialog for importing a model (desktop app); unset = unavailable (browser mode: type the path). */
  chooseModelSource?: (kind: 'folder' | 'archive') => Promise<string | null>
  /** Another model catalog (tests: generated models served from loopback); default resources/models/catalog.json. */
  modelCatalogPath?: string
  /** Puts text on the system clipboard (desktop app: Electron's clipboard); unset in browser mode (the page copies). */
  writeClipboard?: (text: string) => void | Promise<void>
}

/**
 * The main-process services behind the api, with no Electron import: Electron's IPC adapter and browser mode's
 * WebSocket adapter both call `dispatch` and forward `events`.
 */
export class AppCore {
  readonly events = new TypedEmitter<ApiEventMap>()
  readonly settings: SettingsStore
  readonly backend: BackendService
  readonly secrets: SecretsStore
  /** Local Silero VAD + endpointing over the capture-tap audio; started by the first audio that arrives. */
  readonly vad: VadService
  /** On-device model catalog + downloads (resources/models/catalog.json → <userData>/models). */
  readonly models: Promise<ModelManager>
  /** On-device fallback STT (worker thread). */
  readonly stt: SttService
  /** What the assistant is doing; the window reports it, the tray and status pill follow it. */
  private assistant: AssistantStatus = { activity: 'idle', micMuted: false }
  readonly dispatch: Dispatcher
  private readonly logger: Logger
  /** Observes the renderer's backend session: turn traces (with the backend clock offset) and voice notices. */
  readonly conversation: ConversationObserver
  /** "Copy diagnostics" (window and tray): versions, redacted settings, backend, recent turns, the log's tail. */
  readonly diagnostics: DiagnosticsService
  /** The talk key (src/main/hotkeys), attached by the entry once wired; the api's talk methods reach it here. */
  talkKey: Pick<TalkKeyService, 'command' | 'status'> | null = null

  constructor(private readonly opts: AppCoreOptions) {
    this.logger = opts.logger ?? silentLogger
    this.settings = new SettingsStore(opts.userDataDir)
    this.secrets = new SecretsStore(opts.userDataDir, opts.secretsCipher ?? refusingCipher())
    this.vad = new VadService({ workerPath: opts.vadWorkerPath, config: () => endpointerConfigFromSettings(this.settings.get().listening), logger: this.logger.child({ part: 'vad' }) })
    this.vad.events.on('vadEvent', (event) => this.events.emit('vadEvent', event))
    this.vad.events.on('status', (status) => this.events.emit('vadStatus', status))
    this.models = loadCatalog(opts.modelCatalogPath).then((catalog) => {
      const manager = new ModelManager({ userDataDir: opts.userDataDir, catalog, logger: this.logger.child({ part: 'models' }) })
      manager.events.on('progress', (p) => this.events.emit('modelDownloadProgress', p))
      return manager
    })
    this.models.catch((error: Error) => this.logger.error('the model catalog could not be loaded', { error: error.message }))
    this.stt = new SttService({ workerPath: opts.sttWorkerPath, logger: this.logger.child({ part: 'local-stt' }) })
    this.vad.events.on('utterance', (utterance) => void this.failover(utterance))
    const withModels = async <T>(run: (m: ModelManager) => Promise<T> | T): Promise<T> => {
      let manager: ModelManager
      try {
        manager = await this.models
      } catch (error) {
        throw new ContractError('unavailable', (error as Error).message)
      }
      try {
        return await run(manager)
      } catch (error) {
        if (error instanceof ModelError) throw new ContractError(modelErrorCode(error), error.message)
        throw error
      }
    }
    this.backend = new BackendService({
      command: opts.backendCommand,
      modelsDir: join(opts.userDataDir, 'models'),
      backendSettings: () => this.settings.get().backend,
      wsFactory: opts.wsFactory,
      spawn: opts.spawn,
      logger: this.logger
    })
    this.backend.events.on('status', (status) => this.events.emit('backendStatus', status))
    this.backend.events.on('ranking', (ranking) => this.events.emit('backendRanking', ranking))
    this.backend.events.on('notice', (notice) => this.events.emit('notice', notice))
    this.conversation = new ConversationObserver({
      signaling: () => this.backend.signalingClient,
      settings: () => this.settings.get(),
      secret: (name) => this.secrets.get(name),
      emit: (event, payload) => this.events.emit(event, payload as ApiEventMap[typeof event]),
      logger: this.logger.child({ part: 'conversation' })
    })
    this.diagnostics = new DiagnosticsService({
      appInfo: opts.appInfo,
      userDataDir: opts.userDataDir,
      settings: () => this.settings.get(),
      secretsStatus: () => this.secrets.status(),
      secretValues: () => [...secretNames.map((name) => this.secrets.get(name) ?? ''), ...urlTokens(this.backend.status.signalingUrl)],
      backendStatus: () => this.backend.status,
      assistantStatus: () => this.assistant,
      talkKeyStatus: () => this.talkKey?.status() ?? null
    })
    this.events.on('turnTrace', (trace) => this.diagnostics.recordTurn(trace))
    const rendererErrors = new RendererErrorLog(this.logger.child({ part: 'renderer' }))
    const dispatch = createDispatcher(
      apiMethods,
      {
        getAppInfo: () => this.opts.appInfo,
        ping: ({ clientTime }) => ({ clientTime, serviceTime: Date.now() }),
        getSettings: () => this.settings.get(),
        updateSettings: async (patch) => {
          const before = this.settings.get()
          if (patch.hotkeys) this.checkHotkeys(patch)
          let next
          try {
            next = await this.settings.update(patch)
          } catch (error) {
            if (error instanceof SettingsSaveError) throw new ContractError('storage_error', `settings not saved: ${error.message}`)
            throw new ContractError('invalid_params', `settings not saved: ${(error as Error).message}`)
          }
          this.events.emit('settingsChanged', next)
          const vadBefore = endpointerConfigFromSettings(before.listening)
          if (JSON.stringify(vadBefore) !== JSON.stringify(endpointerConfigFromSettings(next.listening))) void this.vad.reconfigure()
          const backendChanged = JSON.stringify(before.backend) !== JSON.stringify(next.backend)
          if (backendChanged) void this.backend.start()
          return next
        },
        getBackendStatus: () => this.backend.status,
        restartBackend: () => this.backend.start(),
        getBackendRanking: () => this.backend.ranking,
        getSecretsStatus: () => this.secrets.status(),
        setSecret: ({ name, value }) => this.secrets.set(name, value),
        clearSecret: ({ name }) => this.secrets.clear(name),
        getAssistantStatus: () => this.assistant,
        reportAssistantStatus: (update) => {
          const next = { ...this.assistant, ...update }
          if (next.activity !== this.assistant.activity || next.micMuted !== this.assistant.micMuted) {
            this.assistant = next
            this.events.emit('assistantStatus', next)
          }
          return this.assistant
        },
        getVadStatus: () => this.vad.status,
        reportRendererError: (report) => ({ logged: rendererErrors.report(report) }),
        listModels: () => withModels((m) => m.list()),
        downloadModel: ({ id }) =>
          withModels(async (m) => {
            // Runs in the background; progress and the outcome arrive as modelDownloadProgress events. The mirror
            // setting (checked when it was saved) moves the files' URLs onto the mirror.
            const mirror = this.settings.get().models.mirrorBaseUrl
            const base = mirror === null ? null : parseMirrorBase(mirror)
            void m.download(id, { mirror: base instanceof URL ? base : null }).catch(() => undefined)
            return m.list()
          }),
        importModel: ({ path, id }) => withModels(async (m) => ({ ...(await m.importFrom(path, { id })), models: await m.list() })),
        chooseModelSource: async ({ kind }) => {
          if (!this.opts.chooseModelSource) throw new ContractError('unavailable', 'no file dialog here: type the path of the folder or archive')
          return { path: await this.opts.chooseModelSource(kind) }
        },
        cancelDownload: ({ id }) => withModels((m) => (m.cancel(id), m.list())),
        deleteModel: ({ id }) => withModels(async (m) => (await m.delete(id), m.list())),
        observeConversation: ({ sessionId, token }) => this.conversation.observe(sessionId, token, this.backend.status.signalingUrl),
        talkCommand: ({ command }) => this.requireTalkKey().command(command),
        getTalkKeyStatus: () => this.requireTalkKey().status(),
        copyDiagnostics: async (params) => {
          const text = await this.diagnostics.compose(params)
          if (!this.opts.writeClipboard) return { text, copied: false }
          await this.opts.writeClipboard(text)
          return { text, copied: true }
        },
        vadControl: ({ action }) => {
          if (action === 'flush') this.vad.flush()
          else this.vad.reset()
          return this.vad.status
        }
      },
      (method, error) => this.logger.error('api handler failed', { method, error })
    )
    const apiLogger = this.logger.child({ part: 'api' })
    this.dispatch = async (method, params, ctx) => {
      const outcome = await dispatch(method, params, ctx)
      // The method and its outcome, never the params (setSecret carries an API key). Pings and status reports are
      // the window's heartbeat: not logged.
      if (method !== 'ping' && method !== 'reportAssistantStatus') apiLogger.debug('api call', { method: String(method).slice(0, 64), ok: outcome.ok, ...(outcome.ok ? {} : { code: outcome.error.code }) })
      return outcome
    }
  }

  /** Notices raised before any window was listening (e.g. settings reset at load); delivered once. */
  private pendingNotices: Array<ApiEventPayload<'notice'>> = []

  /** Hand over (and forget) the notices no window has seen yet; adapters call this when a window connects. */
  drainNotices(): Array<ApiEventPayload<'notice'>> {
    return this.pendingNotices.splice(0)
  }

  private requireTalkKey(): Pick<TalkKeyService, 'command' | 'status'> {
    if (!this.talkKey) throw new ContractError('unavailable', 'the talk key is not set up in this process')
    return this.talkKey
  }

  get assistantStatus(): AssistantStatus {
    return this.assistant
  }

  /** Duplicate and OS-reserved hotkeys are refused before anything is saved (they depend on the platform). */
  private checkHotkeys(patch: Parameters<typeof applySettingsPatch>[1]): void {
    let merged
    try {
      merged = applySettingsPatch(this.settings.get(), patch)
    } catch {
      return // invalid on its own: SettingsStore.update reports it
    }
    const problems = findHotkeyProblems(merged.hotkeys, toHotkeyPlatform(this.opts.appInfo.platform), hotkeyActionLabels)
    if (problems.length > 0) {
      throw new ContractError('invalid_params', 'settings not saved: hotkey conflict', problems.map((p) => p.message))
    }
  }

  async start(): Promise<void> {
    for (const message of await this.secrets.load()) {
      this.logger.warn('secrets store', { notice: message })
      this.pendingNotices.push({ level: 'warning', message })
    }
    const report = await this.settings.load()
    for (const message of report.notices) {
      this.logger.warn('settings store', { notice: message })
      this.pendingNotices.push({ level: 'warning', message })
    }
    if (this.opts.autoStartBackend !== false) void this.backend.start()
  }

  /**
   * Failover: each committed utterance goes to the on-device engine when the backend is not ready or the user chose
   * local transcription; its transcript (or why there is none) flows to the UI as a `transcript` event.
   */
  private async failover(utterance: LocalUtterance): Promise<void> {
    const choice = this.settings.get().listening.transcription
    if (choice === 'auto' && this.backend.status.state === 'ready') return // the backend transcribes it (WebRTC)
    let models: ModelManager
    try {
      models = await this.models
    } catch (error) {
      this.events.emit('transcript', { utteranceId: utterance.utteranceId, source: 'local', engine: 'none', text: '', audioMs: Math.round(utterance.audio.length / 16), transcriptionMs: 0, error: (error as Error).message })
      return
    }
    this.events.emit('transcript', await transcribeLocally(utterance, models, this.stt))
  }

  async stop(): Promise<void> {
    this.conversation.stop()
    await this.vad.stop()
    await this.stt.stop()
    await this.backend.stop()
  }
}

/** A model failure as an api error: what the caller got wrong (a bad source, an unknown id) vs what is unavailable. */
function modelErrorCode(error: ModelError): 'not_found' | 'conflict' | 'invalid_params' | 'unavailable' {
  if (error.code === 'unknown_model') return 'not_found'
  if (error.code === 'busy') return 'conflict'
  if (error.code === 'bad_source' || error.code === 'bad_hash' || error.code === 'bad_size') return 'invalid_params'
  return 'unavailable'
}

/** The values of a URL's query (the backend's per-run secret rides in `?token=`), to keep out of diagnostics. */
function urlTokens(url: string | null): string[] {
  if (!url) return []
  try {
    return [...new URL(url).searchParams.values()]
  } catch {
    return []
  }
}

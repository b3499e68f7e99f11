import { create } from 'zustand'
import type { VoiceApi } from '../../../shared/contract/api'
import { ContractError } from '../../../shared/contract/errors'
import type { ModelInfo, ModelProgress } from '../../../shared/contract/models'
import type { Settings } from '../../../shared/contract/settings'
import type { NoticeCode } from '../../../shared/contract/notice'
import type { Transcript } from '../../../shared/contract/transcript'
import { formatBytes, formatRate } from '../../../shared/models/transferFormat'
import { useAppStore } from './appStore'
import { useSettingsPageStore } from './settingsPageStore'

/**
 * On-device speech recognition as the window sees it: the model catalog (download with progress, cancel, delete,
 * import from a folder or archive), whether a cloud STT is configured (for the first-run setup), and the last
 * transcripts the local engine produced while the backend was unavailable (or the user chose local).
 */
export interface LocalSttState {
  models: ModelInfo[]
  progress: Record<string, ModelProgress>
  transcripts: Transcript[]
  error: string | null
  /** A cloud STT key is stored; null until known. */
  cloudKey: boolean | null
  importing: boolean
  /** The last import's outcome, in words. */
  importResult: { ok: boolean; message: string } | null
  /** A model was installed in this window's lifetime (download or import): the setup says it is ready. */
  justInstalled: string | null
  /** Load the catalog and follow download progress and transcripts; returns the unsubscribe. */
  attach(api: VoiceApi): () => void
  download(id: string): void
  cancelDownload(id: string): void
  deleteModel(id: string): void
  /** Install from a folder or .tar/.tar.gz on this machine (verified against the catalog first). */
  importFrom(path: string): Promise<boolean>
  /** The desktop app's file dialog; null when cancelled or when there is none (browser mode). */
  chooseSource(kind: 'folder' | 'archive'): Promise<string | null>
  dismissInstalled(): void
}

/** Transcripts the panel lists. */
export const MAX_TRANSCRIPTS = 8

/**
 * The first-run setup is needed when this app's own backend would have no speech recognition: no cloud STT
 * configured (neither a key nor an endpoint) and no on-device model installed. A remote backend has its operator's
 * providers, so it is not asked there. Unknown (still loading) is not needed: the sentence must never flash.
 */
export function sttSetupNeeded(i: { settings: Settings | null; cloudKey: boolean | null; models: readonly ModelInfo[] }): boolean {
  if (!i.settings || i.cloudKey === null || i.models.length === 0) return false
  if (i.settings.backend.mode !== 'embedded') return false
  if (i.cloudKey || i.settings.providers.stt.baseUrl !== null) return false
  return !i.models.some((m) => m.state === 'installed')
}

/**
 * The voice loop's own notice that no speech-to-text is configured says what the first-run setup already says above
 * the talk button: while the setup is shown, the notice is not shown again as a toast.
 */
export function noticeCoveredBySetup(notice: { code?: NoticeCode }, setupShown: boolean): boolean {
  return setupShown && notice.code === 'no_speech_to_text'
}

/** The model the setup offers: the catalog's recommended one, else the first. */
export function offeredModel(models: readonly ModelInfo[]): ModelInfo | null {
  return models.find((m) => m.recommended) ?? models[0] ?? null
}

export interface DownloadStatus {
  state: 'idle' | 'partial' | 'downloading' | 'resuming' | 'error' | 'installed'
  percent: number
  /** "12.3 MB of 31.9 MB" */
  amount: string
  /** "2.1 MB/s · 9 s left", while downloading. */
  rate: string | null
  /** While resuming: what happened and that it resumes by itself; after an error: the error (it says what to do). */
  message: string | null
}

/** One model's download as the window shows it. Pure. */
export function downloadStatus(model: ModelInfo, progress: ModelProgress | undefined): DownloadStatus {
  const total = model.sizeBytes
  const live = progress?.state === 'downloading' ? progress : null
  const received = live ? live.receivedBytes : model.state === 'installed' ? total : model.receivedBytes
  const base = { percent: total > 0 ? Math.min(100, (received / total) * 100) : 0, amount: `${formatBytes(received)} of ${formatBytes(total)}` }
  if (model.state === 'installed' && !live) return { ...base, state: 'installed', rate: null, message: null }
  if (live || model.state === 'downloading') {
    const retry = live?.retry
    if (retry) {
      const what = /stalled/.test(retry.reason) ? 'The download stalled' : 'Connection dropped'
      return { ...base, state: 'resuming', rate: null, message: `${what}, resuming… (attempt ${retry.attempt} of ${retry.maxAttempts})` }
    }
    return { ...base, state: 'downloading', rate: formatRate(live?.bytesPerSecond ?? null, live?.secondsLeft ?? null), message: null }
  }
  const error = progress?.state === 'error' ? progress.error : model.error
  if (error) return { ...base, state: 'error', rate: null, message: error }
  return { ...base, state: received > 0 ? 'partial' : 'idle', rate: null, message: null }
}

function describe(error: unknown): string {
  if (error instanceof ContractError) return error.message
  return error instanceof Error ? error.message : String(error)
}

export const useLocalSttStore = create<LocalSttState>((set, get) => {
  /** A catalog call: its answer is the new catalog, its error is shown. */
  const act = (run: (api: VoiceApi) => Promise<ModelInfo[]>): void => {
    const api = useAppStore.getState().api
    if (!api) return
    void run(api).then((models) => set({ models, error: null }), (e: Error) => set({ error: e.message }))
  }
  return {
    models: [],
    progress: {},
    transcripts: [],
    error: null,
    cloudKey: null,
    importing: false,
    importResult: null,
    justInstalled: null,
    attach(api) {
      const refresh = (): void => {
        void api.listModels({}).then((models) => set({ models, error: null }), (e: Error) => set({ error: e.message }))
      }
      const offs = [
        api.on('modelDownloadProgress', (p) => {
          set((s) => ({ progress: { ...s.progress, [p.modelId]: p }, ...(p.state === 'installed' ? { justInstalled: p.modelId } : {}) }))
          if (p.state !== 'downloading') refresh()
        }),
        api.on('transcript', (t) => set((s) => ({ transcripts: [...s.transcripts, t].slice(-MAX_TRANSCRIPTS) })))
      ]
      refresh()
      void api.getSecretsStatus({}).then(
        (status) => set({ cloudKey: status.keys['stt.apiKey'] ?? false }),
        () => set({ cloudKey: false })
      )
      // The settings dialog sets and removes keys: follow what it learns.
      offs.push(useSettingsPageStore.subscribe((s, prev) => s.secrets !== prev.secrets && s.secrets && set({ cloudKey: s.secrets.keys['stt.apiKey'] ?? false })))
      return () => offs.forEach((off) => off())
    },
    download: (id) => {
      set({ justInstalled: null, importResult: null })
      act((api) => api.downloadModel({ id }))
    },
    cancelDownload: (id) => act((api) => api.cancelDownload({ id })),
    deleteModel: (id) => act((api) => api.deleteModel({ id })),
    async importFrom(path) {
      const api = useAppStore.getState().api
      if (!api || get().importing) return false
      set({ importing: true, importResult: null })
      try {
        const { name, models, id } = await api.importModel({ path })
        set({ models, importing: false, justInstalled: id, importResult: { ok: true, message: `${name} was verified and installed.` } })
        return true
      } catch (error) {
        set({ importing: false, importResult: { ok: false, message: describe(error) } })
        return false
      }
    },
    async chooseSource(kind) {
      const api = useAppStore.getState().api
      if (!api) return null
      try {
        return (await api.chooseModelSource({ kind })).path
      } catch (error) {
        set({ importResult: { ok: false, message: describe(error) } })
        return null
      }
    },
    dismissInstalled: () => set({ justInstalled: null, importResult: null })
  }
})

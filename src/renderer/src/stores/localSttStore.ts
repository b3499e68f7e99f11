import { create } from 'zustand'
import type { VoiceApi } from '../../../shared/contract/api'
import type { ModelInfo, ModelProgress } from '../../../shared/contract/models'
import type { Transcript } from '../../../shared/contract/transcript'
import { useAppStore } from './appStore'

/**
 * On-device speech recognition as the window sees it: the model catalog (download with progress, cancel, delete) and
 * the last transcripts the local engine produced while the backend was unavailable (or the user chose local).
 */
export interface LocalSttState {
  models: ModelInfo[]
  progress: Record<string, ModelProgress>
  transcripts: Transcript[]
  error: string | null
  /** Load the catalog and follow download progress and transcripts; returns the unsubscribe. */
  attach(api: VoiceApi): () => void
  download(id: string): void
  cancelDownload(id: string): void
  deleteModel(id: string): void
}

/** Transcripts the panel lists. */
export const MAX_TRANSCRIPTS = 8

export const useLocalSttStore = create<LocalSttState>((set) => {
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
    attach(api) {
      const refresh = (): void => {
        void api.listModels({}).then((models) => set({ models, error: null }), (e: Error) => set({ error: e.message }))
      }
      const offs = [
        api.on('modelDownloadProgress', (p) => {
          set((s) => ({ progress: { ...s.progress, [p.modelId]: p } }))
          if (p.state !== 'downloading') refresh()
        }),
        api.on('transcript', (t) => set((s) => ({ transcripts: [...s.transcripts, t].slice(-MAX_TRANSCRIPTS) })))
      ]
      refresh()
      return () => offs.forEach((off) => off())
    },
    download: (id) => act((api) => api.downloadModel({ id })),
    cancelDownload: (id) => act((api) => api.cancelDownload({ id })),
    deleteModel: (id) => act((api) => api.deleteModel({ id }))
  }
})

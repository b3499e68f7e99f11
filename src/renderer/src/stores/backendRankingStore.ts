import { create } from 'zustand'
import type { BackendRanking, VoiceApi } from '../../../shared/contract/api'

export interface BackendRankingState {
  /** Nearest-backend ranking from the main process (remote mode with several URLs); null until loaded. */
  ranking: BackendRanking | null
  /** Load the current ranking and follow its changes; returns the unsubscribe. */
  attach(api: VoiceApi): () => void
}

export const useBackendRankingStore = create<BackendRankingState>((set) => ({
  ranking: null,
  attach(api) {
    const off = api.on('backendRanking', (ranking) => set({ ranking }))
    api.getBackendRanking({}).then(
      (ranking) => set({ ranking }),
      () => undefined // the connection notice already tells the user; the next event fills it in
    )
    return off
  }
}))

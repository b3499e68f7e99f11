import { create, type StoreApi, type UseBoundStore } from 'zustand'

/**
 * Which view the window shows: the conversation (the default) or Diagnostics (the engineering panels: backend,
 * pipeline, microphone test and processing, local VAD, local STT), one click away. Kept in the URL's hash
 * (#diagnostics) so a reload stays where the user was.
 */
export type View = 'conversation' | 'diagnostics'

export function viewFromHash(hash: string): View {
  return hash === '#diagnostics' ? 'diagnostics' : 'conversation'
}

export interface ViewState {
  view: View
  setView(view: View): void
}

export function createViewStore(location: { hash: string }, replaceHash: (hash: string) => void): UseBoundStore<StoreApi<ViewState>> {
  return create<ViewState>((set) => ({
    view: viewFromHash(location.hash),
    setView(view) {
      replaceHash(view === 'diagnostics' ? '#diagnostics' : '')
      set({ view })
    }
  }))
}

export const useViewStore = createViewStore(typeof window === 'undefined' ? { hash: '' } : window.location, (hash) =>
  // replaceState: switching views is not a navigation (Back should not flip between them).
  window.history.replaceState(null, '', `${window.location.pathname}${window.location.search}${hash}`)
)

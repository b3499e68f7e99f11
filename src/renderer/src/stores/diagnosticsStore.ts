import { create, type StoreApi, type UseBoundStore } from 'zustand'
import type { ApiParams, ApiResult } from '../../../shared/contract/api'
import type { TurnTrace } from '../../../shared/latency/trace'
import type { OffsetEstimate } from '../../../shared/latency/clockOffset'
import { useAppStore } from './appStore'
import { useTurnStore } from './turnStore'

/**
 * "Copy diagnostics" in the Diagnostics view: the services compose the text (nothing leaves the machine); the desktop
 * app puts it on the clipboard itself, browser mode copies it here with navigator.clipboard. When the browser refuses
 * the clipboard (no permission, not a secure context), the text is shown selected for the user to copy by hand.
 */
export type CopyPhase = 'idle' | 'copying' | 'copied' | 'manual' | 'error'

/** How long "Copied" stays shown. */
export const COPIED_SHOWN_MS = 4000
/** The turns the window sends (the report shows the last 20). */
const WINDOW_TURNS = 20

export interface DiagnosticsState {
  phase: CopyPhase
  /** The text, when the user must copy it by hand (phase manual). */
  text: string | null
  error: string | null
  copy(): Promise<void>
  /** Close the by-hand text (or the error). */
  dismiss(): void
}

export interface DiagnosticsPorts {
  request(params: ApiParams<'copyDiagnostics'>): Promise<ApiResult<'copyDiagnostics'>>
  /** navigator.clipboard.writeText; rejects when the browser refuses. */
  writeClipboard(text: string): Promise<void>
  /** The window's recent turns with their clock offsets, and (browser mode) the browser's user agent. */
  windowInfo(): { turns: TurnTrace[]; userAgent?: string }
  setTimer(run: () => void, ms: number): void
}

/**
 * The window's turns as the services need them: each carries the offset that moves the window's own marks (speech
 * end at the mic, playout) onto the services' clock (main − renderer, measured by the turn store's pings).
 */
export function windowTurns(turns: readonly TurnTrace[], mainOffset: OffsetEstimate | null): TurnTrace[] {
  return turns.slice(-WINDOW_TURNS).map((t) => (mainOffset ? { ...t, clockOffsets: { ...t.clockOffsets, renderer: mainOffset.offsetMs } } : t))
}

export function createDiagnosticsStore(ports: DiagnosticsPorts): UseBoundStore<StoreApi<DiagnosticsState>> {
  return create<DiagnosticsState>((set, get) => {
    let copies = 0
    return {
      phase: 'idle',
      text: null,
      error: null,
      async copy() {
        if (get().phase === 'copying') return
        const mine = ++copies
        set({ phase: 'copying', error: null, text: null })
        let result: ApiResult<'copyDiagnostics'>
        try {
          result = await ports.request(ports.windowInfo())
        } catch (error) {
          set({ phase: 'error', error: `Could not make the diagnostics: ${(error as Error).message}` })
          return
        }
        if (!result.copied) {
          try {
            await ports.writeClipboard(result.text)
          } catch {
            set({ phase: 'manual', text: result.text })
            return
          }
        }
        set({ phase: 'copied' })
        ports.setTimer(() => {
          if (mine === copies && get().phase === 'copied') set({ phase: 'idle' })
        }, COPIED_SHOWN_MS)
      },
      dismiss() {
        set({ phase: 'idle', text: null, error: null })
      }
    }
  })
}

export const useDiagnosticsStore = createDiagnosticsStore({
  request: async (params) => {
    const api = useAppStore.getState().api
    if (!api) throw new Error('the app services are not connected')
    return api.copyDiagnostics(params)
  },
  writeClipboard: async (text) => {
    if (!navigator.clipboard) throw new Error('no clipboard here')
    await navigator.clipboard.writeText(text)
  },
  windowInfo: () => {
    const { turns, mainOffset } = useTurnStore.getState()
    const browserMode = useAppStore.getState().appInfo?.mode === 'browser'
    return { turns: windowTurns(turns, mainOffset), ...(browserMode ? { userAgent: navigator.userAgent.slice(0, 512) } : {}) }
  },
  setTimer: (run, ms) => void setTimeout(run, ms)
})

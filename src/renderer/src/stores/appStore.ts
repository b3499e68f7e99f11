import { create } from 'zustand'
import type { AppInfo, BackendStatus, VoiceApi } from '../../../shared/contract/api'
import { ContractError } from '../../../shared/contract/errors'
import type { NoticeCode } from '../../../shared/contract/notice'
import type { Settings, SettingsPatch } from '../../../shared/contract/settings'
import { createApi } from '../api'
import type { ConnectionState } from '../api/wsRawApi'
import { forwardWindowErrors } from '../api/forwardErrors'

export interface Notice {
  id: number
  level: 'info' | 'warning' | 'error'
  message: string
  /** What kind of notice (shared/contract/notice.ts), when the sender said. */
  code?: NoticeCode
}

export interface AppState {
  api: VoiceApi | null
  /** Connection to the app services (always open in Electron). */
  connection: ConnectionState | 'unavailable'
  connectionDetail: string | null
  appInfo: AppInfo | null
  backend: BackendStatus | null
  settings: Settings | null
  notices: Notice[]
  init(win: Window): void
  updateSettings(patch: SettingsPatch): Promise<boolean>
  restartBackend(): Promise<void>
  notify(level: Notice['level'], message: string, code?: NoticeCode): void
  dismissNotice(id: number): void
}

function describeError(error: unknown): string {
  if (error instanceof ContractError) return error.issues?.length ? `${error.message}: ${error.issues.join('; ')}` : error.message
  return error instanceof Error ? error.message : String(error)
}

export const useAppStore = create<AppState>((set, get) => {
  let noticeId = 1
  return {
    api: null,
    connection: 'connecting',
    connectionDetail: null,
    appInfo: null,
    backend: null,
    settings: null,
    notices: [],

    init(win) {
      if (get().api) return
      const api = createApi(win, (connection, detail) => {
        set({ connection, connectionDetail: detail ?? null })
        // After a reconnect the services may have restarted: refresh everything they own.
        if (connection === 'open' && get().api) void refresh(get().api!)
      })
      if (!api) {
        set({ connection: 'unavailable', connectionDetail: 'This page was opened without its access token. Open the full URL printed by `npm start`.' })
        return
      }
      set({ api })
      forwardWindowErrors(win, api)
      api.on('backendStatus', (backend) => set({ backend }))
      api.on('settingsChanged', (settings) => set({ settings }))
      api.on('notice', ({ level, message, code }) => get().notify(level, message, code))
      const refresh = async (a: VoiceApi): Promise<void> => {
        try {
          const [appInfo, settings, backend] = await Promise.all([a.getAppInfo({}), a.getSettings({}), a.getBackendStatus({})])
          set({ appInfo, settings, backend })
        } catch (error) {
          get().notify('error', `Could not load app state: ${describeError(error)}`)
        }
      }
      void refresh(api)
    },

    async updateSettings(patch) {
      const api = get().api
      if (!api) return false
      try {
        const settings = await api.updateSettings(patch)
        set({ settings })
        return true
      } catch (error) {
        get().notify('error', `Settings not saved: ${describeError(error)}`)
        return false
      }
    },

    async restartBackend() {
      const api = get().api
      if (!api) return
      try {
        set({ backend: await api.restartBackend({}) })
      } catch (error) {
        get().notify('error', `Restart failed: ${describeError(error)}`)
      }
    },

    notify(level, message, code) {
      const notice: Notice = { id: noticeId++, level, message, ...(code ? { code } : {}) }
      set({ notices: [...get().notices.slice(-4), notice] })
    },

    dismissNotice(id) {
      set({ notices: get().notices.filter((n) => n.id !== id) })
    }
  }
})

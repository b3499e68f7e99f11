import { create } from 'zustand'
import type { SecretName, SecretsStatus } from '../../../shared/contract/secrets'
import { ContractError } from '../../../shared/contract/errors'
import type { SettingsPatch } from '../../../shared/contract/settings'
import { useAppStore } from './appStore'

/** The settings page's sections; each saves on its own and shows its own error. */
export type SettingsSection = 'audio' | 'listening' | 'hotkeys' | 'backend' | 'providers' | 'ui' | 'system' | 'models'

export interface SettingsPageState {
  open: boolean
  /** Per-section outcome of the last save: an error message (with one line per failed field) or a confirmation. */
  results: Partial<Record<SettingsSection | 'secrets', { ok: boolean; message: string }>>
  secrets: SecretsStatus | null
  setOpen(open: boolean): void
  save(section: SettingsSection, patch: SettingsPatch): Promise<boolean>
  refreshSecrets(): Promise<void>
  setSecret(name: SecretName, value: string): Promise<boolean>
  clearSecret(name: SecretName): Promise<boolean>
}

export function describeSaveError(error: unknown): string {
  if (error instanceof ContractError) return error.issues?.length ? `${error.message}: ${error.issues.join('; ')}` : error.message
  return error instanceof Error ? error.message : String(error)
}

/**
 * Settings page state. Saves go straight to the api (not through appStore.updateSettings) so a refused value is
 * shown next to the field that caused it instead of as a toast; the saved settings still land in appStore, which
 * the rest of the window (and, through the services, the tray) reads.
 */
export const useSettingsPageStore = create<SettingsPageState>((set, get) => ({
  open: false,
  results: {},
  secrets: null,

  setOpen(open) {
    set({ open, results: {} })
    if (open) void get().refreshSecrets()
  },

  async save(section, patch) {
    const api = useAppStore.getState().api
    if (!api) return false
    try {
      const settings = await api.updateSettings(patch)
      useAppStore.setState({ settings })
      set({ results: { ...get().results, [section]: { ok: true, message: 'Saved' } } })
      return true
    } catch (error) {
      set({ results: { ...get().results, [section]: { ok: false, message: describeSaveError(error) } } })
      return false
    }
  },

  async refreshSecrets() {
    const api = useAppStore.getState().api
    if (!api) return
    try {
      set({ secrets: await api.getSecretsStatus({}) })
    } catch (error) {
      set({ results: { ...get().results, secrets: { ok: false, message: describeSaveError(error) } } })
    }
  },

  async setSecret(name, value) {
    const api = useAppStore.getState().api
    if (!api) return false
    try {
      set({ secrets: await api.setSecret({ name, value }), results: { ...get().results, secrets: { ok: true, message: `${name} saved (encrypted)` } } })
      return true
    } catch (error) {
      set({ results: { ...get().results, secrets: { ok: false, message: describeSaveError(error) } } })
      return false
    }
  },

  async clearSecret(name) {
    const api = useAppStore.getState().api
    if (!api) return false
    try {
      set({ secrets: await api.clearSecret({ name }), results: { ...get().results, secrets: { ok: true, message: `${name} removed` } } })
      return true
    } catch (error) {
      set({ results: { ...get().results, secrets: { ok: false, message: describeSaveError(error) } } })
      return false
    }
  }
}))

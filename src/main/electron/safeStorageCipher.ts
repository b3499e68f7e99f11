import type { SafeStorage } from 'electron'
import type { SecretCipher } from '../services/secretsStore'

/**
 * SecretCipher over Electron safeStorage (macOS Keychain, Windows DPAPI, Linux libsecret/kwallet). On Linux without
 * a keyring Electron falls back to 'basic_text' (a hard-coded password, i.e. not secret): that is treated as
 * unavailable so keys are never stored effectively in plain text. Call only after app 'ready'.
 */
export function safeStorageCipher(safeStorage: Pick<SafeStorage, 'isEncryptionAvailable' | 'encryptString' | 'decryptString'> & { getSelectedStorageBackend?: () => string }, platform: string): SecretCipher {
  return {
    kind: 'safeStorage',
    unavailableReason() {
      if (!safeStorage.isEncryptionAvailable()) return 'the OS keychain is not available, so API keys cannot be stored encrypted'
      if (platform === 'linux' && safeStorage.getSelectedStorageBackend?.() === 'basic_text') {
        return 'no desktop keyring (GNOME Keyring / KWallet) is running, so API keys cannot be stored encrypted; start one and restart the app'
      }
      return null
    },
    encrypt: (plain) => safeStorage.encryptString(plain),
    decrypt: (data) => safeStorage.decryptString(data)
  }
}

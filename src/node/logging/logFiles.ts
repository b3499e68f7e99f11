import { join } from 'node:path'

/**
 * Where the app's log files live: `<userData>/logs/`. Electron main and browser mode write the same file (the app is
 * one or the other, never both at once); the diagnostics bundle reads its tail from here.
 */
export function logsDir(userDataDir: string): string {
  return join(userDataDir, 'logs')
}

/** The app's current log file (electron-log rotates it to `main.old.log` past its size limit). */
export function appLogPath(userDataDir: string): string {
  return join(logsDir(userDataDir), 'main.log')
}

import { homedir, platform } from 'node:os'
import { join } from 'node:path'

/** Where settings and models live outside Electron (browser mode, CLI); matches Electron's app.getPath('userData'). */
export function defaultUserDataDir(env: NodeJS.ProcessEnv = process.env, os: string = platform(), home: string = homedir()): string {
  if (env.VOICE_ASSISTANT_USER_DATA) return env.VOICE_ASSISTANT_USER_DATA
  const appName = 'Voice Assistant'
  if (os === 'win32') return join(env.APPDATA ?? join(home, 'AppData', 'Roaming'), appName)
  if (os === 'darwin') return join(home, 'Library', 'Application Support', appName)
  return join(env.XDG_CONFIG_HOME ?? join(home, '.config'), appName)
}

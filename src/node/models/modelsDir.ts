import { homedir, platform } from 'node:os'
import { join } from 'node:path'

/**
 * Where installed models live when nobody says: `$VOICE_ASSISTANT_MODELS_DIR`, else `<user data>/models`, the folder
 * the app's ModelManager uses. The user data folder follows the app's rule (src/main/userData.ts, which matches
 * Electron's app.getPath('userData')): `$VOICE_ASSISTANT_USER_DATA`, else %APPDATA%/Voice Assistant on Windows,
 * ~/Library/Application Support/Voice Assistant on macOS, $XDG_CONFIG_HOME (~/.config)/Voice Assistant elsewhere. The
 * rule is repeated here because src/node cannot import src/main; test/unit/node/models/modelsDir.test.ts pins the two
 * to the same answers.
 */
export function defaultModelsDir(env: NodeJS.ProcessEnv = process.env, os: string = platform(), home: string = homedir()): string {
  if (env.VOICE_ASSISTANT_MODELS_DIR) return env.VOICE_ASSISTANT_MODELS_DIR
  return join(userDataDir(env, os, home), 'models')
}

function userDataDir(env: NodeJS.ProcessEnv, os: string, home: string): string {
  if (env.VOICE_ASSISTANT_USER_DATA) return env.VOICE_ASSISTANT_USER_DATA
  const appName = 'Voice Assistant'
  if (os === 'win32') return join(env.APPDATA ?? join(home, 'AppData', 'Roaming'), appName)
  if (os === 'darwin') return join(home, 'Library', 'Application Support', appName)
  return join(env.XDG_CONFIG_HOME ?? join(home, '.config'), appName)
}

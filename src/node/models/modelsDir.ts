import { homedir, platform } from 'node:os'
import { join } from 'node:path'
import { defaultUserDataDir } from '../userData'

/**
 * Where installed models live when nobody says: `$VOICE_ASSISTANT_MODELS_DIR`, else `<user data>/models`, the folder
 * the app's ModelManager uses (src/node/userData.ts has the user data rule, the same as Electron's
 * app.getPath('userData')).
 */
export function defaultModelsDir(env: NodeJS.ProcessEnv = process.env, os: string = platform(), home: string = homedir()): string {
  if (env.VOICE_ASSISTANT_MODELS_DIR) return env.VOICE_ASSISTANT_MODELS_DIR
  return join(defaultUserDataDir(env, os, home), 'models')
}

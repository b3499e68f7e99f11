import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { defaultUserDataDir } from '../../../../src/node/userData'
import { defaultModelsDir } from '../../../../src/node/models/modelsDir'

describe('the default models folder', () => {
  const cases: Array<[string, NodeJS.ProcessEnv, string]> = [
    ['linux', {}, '/home/u'],
    ['linux', { XDG_CONFIG_HOME: '/xdg' }, '/home/u'],
    ['darwin', {}, '/Users/u'],
    ['win32', { APPDATA: 'C:\\Users\\u\\AppData\\Roaming' }, 'C:\\Users\\u'],
    ['win32', {}, 'C:\\Users\\u'],
    ['linux', { VOICE_ASSISTANT_USER_DATA: '/data/va' }, '/home/u']
  ]
  it.each(cases)("is the app's <user data>/models (%s, %j): the same rule as src/node/userData.ts", (os, env, home) => {
    expect(defaultModelsDir(env, os, home)).toBe(join(defaultUserDataDir(env, os, home), 'models'))
  })

  it('VOICE_ASSISTANT_MODELS_DIR names the folder itself', () => {
    expect(defaultModelsDir({ VOICE_ASSISTANT_MODELS_DIR: '/srv/models', VOICE_ASSISTANT_USER_DATA: '/data/va' }, 'linux', '/home/u')).toBe('/srv/models')
    expect(defaultModelsDir({}, 'linux', '/home/u')).toBe('/home/u/.config/Voice Assistant/models')
  })
})

import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { defaultUserDataDir } from '../../../src/node/userData'

describe('defaultUserDataDir (Electron userData outside Electron)', () => {
  it('VOICE_ASSISTANT_USER_DATA wins on every platform', () => {
    expect(defaultUserDataDir({ VOICE_ASSISTANT_USER_DATA: '/tmp/va' }, 'linux', '/home/u')).toBe('/tmp/va')
    expect(defaultUserDataDir({ VOICE_ASSISTANT_USER_DATA: 'C:\\va' }, 'win32', 'C:\\Users\\u')).toBe('C:\\va')
  })
  it('follows each platform’s convention', () => {
    expect(defaultUserDataDir({}, 'linux', '/home/u')).toBe(join('/home/u', '.config', 'Voice Assistant'))
    expect(defaultUserDataDir({ XDG_CONFIG_HOME: '/xdg' }, 'linux', '/home/u')).toBe(join('/xdg', 'Voice Assistant'))
    expect(defaultUserDataDir({}, 'darwin', '/Users/u')).toBe(join('/Users/u', 'Library', 'Application Support', 'Voice Assistant'))
    expect(defaultUserDataDir({ APPDATA: '/appdata' }, 'win32', '/home/u')).toBe(join('/appdata', 'Voice Assistant'))
  })
})

import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { appLogPath, logsDir } from '../../../../src/node/logging/logFiles'

describe('logFiles', () => {
  it('keeps logs under userData/logs', () => {
    expect(logsDir('/u')).toBe(join('/u', 'logs'))
    expect(appLogPath('/u')).toBe(join('/u', 'logs', 'main.log'))
  })
})

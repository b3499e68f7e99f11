import { describe, expect, it } from 'vitest'
import { isLogLevel, levelEnabled, silentLogger } from '../../../../src/shared/logging/logger'

describe('logger', () => {
  it('knows the four levels and nothing else', () => {
    for (const level of ['debug', 'info', 'warn', 'error']) expect(isLogLevel(level)).toBe(true)
    for (const other of ['trace', 'fatal', 'INFO', '', 3, null]) expect(isLogLevel(other)).toBe(false)
  })

  it('passes a line at or above the threshold only', () => {
    expect(levelEnabled('error', 'info')).toBe(true)
    expect(levelEnabled('info', 'info')).toBe(true)
    expect(levelEnabled('debug', 'info')).toBe(false)
    expect(levelEnabled('warn', 'error')).toBe(false)
  })

  it('silentLogger drops lines and its children are silent too', () => {
    expect(() => silentLogger.error('x', { a: 1 })).not.toThrow()
    expect(silentLogger.child({ sessionId: 's' })).toBe(silentLogger)
  })
})

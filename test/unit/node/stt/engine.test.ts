import { describe, expect, it } from 'vitest'
import { SttError } from '../../../../src/node/stt/engine'

describe('SttError', () => {
  it('carries a code callers switch on, and reads as a sentence', () => {
    const e = new SttError('busy', 'on-device speech recognition is busy')
    expect(e).toBeInstanceOf(Error)
    expect(e).toMatchObject({ name: 'SttError', code: 'busy', message: 'on-device speech recognition is busy' })
    expect(String(e)).toBe('SttError: on-device speech recognition is busy')
  })
})

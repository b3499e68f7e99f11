import { describe, expect, it } from 'vitest'
import { defaultBackendConfig, parseBackendArgs } from '../../../src/server/config'

describe('backend CLI options', () => {
  const defaults = defaultBackendConfig(2)
  it('defaults to loopback and one worker per core', () => {
    expect(defaults).toMatchObject({ listenIp: '127.0.0.1', workers: 2, rtcPort: 0 })
  })
  it('parses the documented flags', () => {
    expect(parseBackendArgs(['--listen', '0.0.0.0', '--announced-ip', '203.0.113.7', '--port', '40000', '--workers', '4'], defaults)).toMatchObject({
      listenIp: '0.0.0.0',
      announcedIp: '203.0.113.7',
      rtcPort: 40000,
      workers: 4
    })
  })
  it('explains bad flags with the usage line', () => {
    expect(() => parseBackendArgs(['--port', 'eighty'], defaults)).toThrow(/expects a whole number[\s\S]*usage: npm run server/)
    expect(() => parseBackendArgs(['--port', '70000'], defaults)).toThrow(/rtcPort/)
    expect(() => parseBackendArgs(['--workers', '0'], defaults)).toThrow(/workers/)
    expect(() => parseBackendArgs(['--frobnicate'], defaults)).toThrow(/unknown option --frobnicate/)
    expect(() => parseBackendArgs(['--listen'], defaults)).toThrow(/needs a value/)
  })
})

describe('--pipeline: the default pipeline for joins that do not name one', () => {
  const defaults = defaultBackendConfig(1)
  it('accepts echo and click, rejects anything else', () => {
    expect(defaults.defaultPipeline).toBeUndefined()
    expect(parseBackendArgs(['--pipeline', 'click'], defaults).defaultPipeline).toBe('click')
    expect(parseBackendArgs(['--pipeline', 'echo'], defaults).defaultPipeline).toBe('echo')
    expect(() => parseBackendArgs(['--pipeline', 'karaoke'], defaults)).toThrow(/defaultPipeline[\s\S]*usage: npm run server/)
  })
})

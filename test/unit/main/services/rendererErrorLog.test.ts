import { describe, expect, it } from 'vitest'
import { RendererErrorLog } from '../../../../src/main/services/rendererErrorLog'
import { MemoryLogger } from '../../../helpers/memoryLogger'
import { startOfflineCore } from '../../../helpers/offlineCore'

describe('RendererErrorLog', () => {
  it('logs each report as an error line with its message, stack and source', () => {
    const logger = new MemoryLogger()
    const log = new RendererErrorLog(logger, () => 0)
    expect(log.report({ kind: 'error', message: 'TypeError: x is undefined', stack: 'at f (index.js:1:2)', source: 'app://bundle/assets/index.js:1:2' })).toBe(true)
    expect(log.report({ kind: 'unhandledrejection', message: 'Error: fetch failed' })).toBe(true)
    expect(logger.lines).toEqual([
      { level: 'error', message: 'renderer error', fields: { message: 'TypeError: x is undefined', stack: 'at f (index.js:1:2)', source: 'app://bundle/assets/index.js:1:2' } },
      { level: 'error', message: 'renderer unhandled rejection', fields: { message: 'Error: fetch failed', stack: undefined, source: undefined } }
    ])
  })

  it('writes at most its budget a minute, then says how many it dropped when the next minute begins', () => {
    const logger = new MemoryLogger()
    let now = 1000
    const log = new RendererErrorLog(logger, () => now, 3)
    const results = Array.from({ length: 10 }, (_, i) => log.report({ kind: 'error', message: `e${i}` }))
    expect(results).toEqual([true, true, true, false, false, false, false, false, false, false])
    now += 59_999
    expect(log.report({ kind: 'error', message: 'still the same minute' })).toBe(false)
    now += 1
    expect(log.report({ kind: 'error', message: 'next minute' })).toBe(true)
    expect(logger.lines.map((l) => [l.level, l.message, l.fields.message ?? l.fields.dropped])).toEqual([
      ['error', 'renderer error', 'e0'],
      ['error', 'renderer error', 'e1'],
      ['error', 'renderer error', 'e2'],
      ['warn', 'renderer errors dropped: more than the budget in a minute', 8],
      ['error', 'renderer error', 'next minute']
    ])
  })

  it("is the api's reportRendererError: validated by the contract, written to the app's logger", async () => {
    const logger = new MemoryLogger()
    const core = await startOfflineCore({ extra: { logger } })
    expect(await core.dispatch('reportRendererError', { kind: 'error', message: 'boom' })).toEqual({ ok: true, result: { logged: true } })
    expect(await core.dispatch('reportRendererError', { kind: 'error', message: 'x'.repeat(2001) })).toMatchObject({ ok: false, error: { code: 'invalid_params' } })
    expect(await core.dispatch('reportRendererError', { kind: 'crash', message: 'boom' })).toMatchObject({ ok: false, error: { code: 'invalid_params' } })
    expect(logger.lines.filter((l) => l.fields.part === 'renderer')).toEqual([{ level: 'error', message: 'renderer error', fields: { part: 'renderer', message: 'boom', stack: undefined, source: undefined } }])
    await core.stop()
  })
})

import { describe, expect, it } from 'vitest'
import { SessionTicker } from '../../../../src/server/voice/sessionTicker'
import { FakeClock } from '../../../helpers/fakeClock'

describe('SessionTicker', () => {
  it('one 20 ms timer for every listener; it stops with the last one and starts again with the next', () => {
    const clock = new FakeClock()
    const ticker = new SessionTicker(clock)
    const ticks = { a: 0, b: 0 }
    const stopA = ticker.add(() => ticks.a++)
    const stopB = ticker.add(() => ticks.b++)
    expect(clock.liveTimers).toBe(1)
    clock.advance(100)
    expect(ticks).toEqual({ a: 5, b: 5 })
    stopA()
    clock.advance(40)
    expect(ticks).toEqual({ a: 5, b: 7 })
    stopB()
    expect(clock.liveTimers).toBe(0)
    ticker.add(() => ticks.a++)
    expect(clock.liveTimers).toBe(1)
    ticker.close()
    expect(clock.liveTimers).toBe(0)
    expect(ticker.listening).toBe(0)
  })
})

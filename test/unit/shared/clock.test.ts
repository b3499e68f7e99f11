import { describe, expect, it } from 'vitest'
import { realClock } from '../../../src/shared/clock'
import { FakeClock } from '../../helpers/fakeClock'

describe('realClock', () => {
  it('now() is monotonic milliseconds; a timeout fires once, a cleared one never', async () => {
    const t0 = realClock.now()
    const fired: string[] = []
    realClock.setTimeout(() => fired.push('a'), 5)
    const cleared = realClock.setTimeout(() => fired.push('b'), 5)
    realClock.clearTimeout(cleared)
    await new Promise((r) => setTimeout(r, 30))
    expect(fired).toEqual(['a'])
    expect(realClock.now() - t0).toBeGreaterThanOrEqual(25)
  })

  it('an interval repeats until cleared', async () => {
    let n = 0
    const h = realClock.setInterval(() => n++, 5)
    await new Promise((r) => setTimeout(r, 40))
    realClock.clearInterval(h)
    const seen = n
    await new Promise((r) => setTimeout(r, 20))
    expect(seen).toBeGreaterThanOrEqual(2)
    expect(n).toBe(seen)
  })
})

describe('FakeClock (test/helpers)', () => {
  it('fires due timers in time order as time advances, intervals repeatedly, and counts the live ones', () => {
    const clock = new FakeClock(100)
    const fired: string[] = []
    clock.setTimeout(() => fired.push(`b@${clock.now()}`), 20)
    clock.setTimeout(() => fired.push(`a@${clock.now()}`), 10)
    const every = clock.setInterval(() => fired.push(`i@${clock.now()}`), 15)
    expect(clock.liveTimers).toBe(3)
    clock.advance(30)
    expect(fired).toEqual(['a@110', 'i@115', 'b@120', 'i@130'])
    expect(clock.now()).toBe(130)
    expect(clock.liveTimers).toBe(1)
    clock.clearInterval(every)
    expect(clock.liveTimers).toBe(0)
  })

  it('a timer set by a firing timer fires in the same advance when it falls due', () => {
    const clock = new FakeClock()
    const fired: number[] = []
    clock.setTimeout(() => clock.setTimeout(() => fired.push(clock.now()), 5), 5)
    clock.advance(10)
    expect(fired).toEqual([10])
  })
})

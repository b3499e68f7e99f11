import { afterEach, describe, expect, it, vi } from 'vitest'
import { TalkController } from '../../../../src/main/hotkeys/talkController'

describe('TalkController', () => {
  afterEach(() => vi.useRealTimers())

  it('runs the machine\'s deadline timer: a held talk commits after the grace period', () => {
    vi.useFakeTimers({ now: 0 })
    const effects: string[] = []
    const talk = new TalkController('hold', (e) => effects.push(e))
    expect(talk.command('talk-start')).toEqual({ command: 'talk-start', phase: 'listening', applied: true })
    vi.advanceTimersByTime(1000)
    expect(talk.command('talk-stop')).toEqual({ command: 'talk-stop', phase: 'listening', applied: true })
    vi.advanceTimersByTime(299)
    expect(effects).toEqual(['startCapture'])
    vi.advanceTimersByTime(1)
    expect(effects).toEqual(['startCapture', 'commitUtterance'])
    expect(talk.machine.state.phase).toBe('processing')
  })

  it('reports commands that change nothing as not applied (a press inside the debounce, a stop while idle)', () => {
    vi.useFakeTimers({ now: 0 })
    const talk = new TalkController('toggle', () => undefined)
    expect(talk.command('talk-stop')).toEqual({ command: 'talk-stop', phase: 'idle', applied: false })
    expect(talk.command('toggle').applied).toBe(true)
    vi.advanceTimersByTime(50)
    expect(talk.command('toggle')).toEqual({ command: 'toggle', phase: 'listening', applied: false }) // 50 ms < 150 ms debounce
    expect(talk.command('show')).toEqual({ command: 'show', phase: 'listening', applied: false })
  })

  it('after dispose no timer fires and inputs are ignored', () => {
    vi.useFakeTimers({ now: 0 })
    const effects: string[] = []
    const talk = new TalkController('hold', (e) => effects.push(e))
    talk.send({ type: 'keyDown', at: 0 })
    vi.advanceTimersByTime(500)
    talk.send({ type: 'keyUp', at: 500 })
    talk.dispose()
    vi.advanceTimersByTime(1000)
    expect(talk.send({ type: 'keyDown', at: 1500 })).toBe(false)
    expect(effects).toEqual(['startCapture'])
  })
})

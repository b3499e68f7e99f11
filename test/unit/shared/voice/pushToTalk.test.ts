import { describe, expect, it } from 'vitest'
import { DEFAULT_PUSH_TO_TALK_CONFIG, PushToTalkMachine, type PushToTalkInput } from '../../../../src/shared/voice/pushToTalk'

/** A fake clock: inputs at explicit times, with the machine's own deadline fired as a tick when time passes it. */
function drive(mode: 'hold' | 'toggle' | 'hands-free', script: Array<[number, PushToTalkInput['type']]>) {
  const m = new PushToTalkMachine({ ...DEFAULT_PUSH_TO_TALK_CONFIG, mode })
  const log: string[] = []
  let deadline: number | null = null
  for (const [at, type] of script) {
    if (deadline !== null && at >= deadline) {
      const step = m.send({ type: 'tick', at: deadline })
      log.push(...step.effects.map((e) => `${deadline}:${e}`))
      deadline = step.deadline
    }
    const step = m.send({ type, at } as PushToTalkInput)
    log.push(...step.effects.map((e) => `${at}:${e}`))
    deadline = step.deadline
  }
  return { m, log, deadline }
}

describe('push-to-talk state machine (fake clock)', () => {
  it('hold: key-down listens, key-up commits after the grace period', () => {
    const { m, log } = drive('hold', [[1000, 'keyDown'], [1030, 'keyDown'], [1060, 'keyDown'], [2500, 'keyUp'], [2700, 'tick'], [2850, 'tick']])
    expect(log).toEqual(['1000:startCapture', '2800:commitUtterance'])
    expect(m.state.phase).toBe('processing')
    m.send({ type: 'processingDone', at: 4000 })
    expect(m.state.phase).toBe('idle')
  })

  it('hold: pressing again within the grace period continues the same listening', () => {
    const { m, log } = drive('hold', [[0, 'keyDown'], [1000, 'keyUp'], [1200, 'keyDown'], [1500, 'tick'], [3000, 'keyUp'], [3400, 'tick']])
    expect(log).toEqual(['0:startCapture', '3300:commitUtterance'])
    expect(m.state.phase).toBe('processing')
  })

  it('hold: an accidental tap shorter than min hold is cancelled, not processed', () => {
    const { m, log } = drive('hold', [[0, 'keyDown'], [120, 'keyUp'], [600, 'tick']])
    expect(log).toEqual(['0:startCapture', '120:cancelCapture'])
    expect(m.state.phase).toBe('idle')
  })

  it('debounces key chatter right after a state change', () => {
    // Tap cancelled at 120 → a bounce at 200 (<150 ms later) is ignored; a real press at 400 starts.
    const { log } = drive('hold', [[0, 'keyDown'], [120, 'keyUp'], [200, 'keyDown'], [260, 'keyUp'], [400, 'keyDown']])
    expect(log).toEqual(['0:startCapture', '120:cancelCapture', '400:startCapture'])
  })

  it('toggle: a press starts, the next press commits; a double-fired callback is ignored', () => {
    const { m, log } = drive('toggle', [[0, 'toggle'], [40, 'toggle'], [2000, 'keyDown'], [2001, 'keyUp']])
    expect(log).toEqual(['0:startCapture', '2000:commitUtterance'])
    expect(m.state.phase).toBe('processing')
  })

  it('a press while processing interrupts the response and listens again (barge-in)', () => {
    const { m, log } = drive('toggle', [[0, 'toggle'], [2000, 'toggle'], [2600, 'toggle']])
    expect(log).toEqual(['0:startCapture', '2000:commitUtterance', '2600:interrupt', '2600:startCapture'])
    expect(m.state.phase).toBe('listening')
  })

  it('hands-free: VAD end of utterance processes, then listening resumes until switched off', () => {
    const { m, log } = drive('hands-free', [[0, 'toggle'], [3000, 'endOfUtterance'], [4000, 'processingDone'], [7000, 'endOfUtterance']])
    expect(log).toEqual(['0:startCapture'])
    expect(m.state.phase).toBe('processing')
    m.send({ type: 'toggle', at: 7500 }) // disarm while busy
    expect(m.send({ type: 'processingDone', at: 8000 }).effects).toEqual(['cancelCapture']) // the mic stayed open for the turn
    expect(m.state.phase).toBe('idle')
    const off = drive('hands-free', [[0, 'toggle'], [1000, 'toggle']])
    expect(off.log).toEqual(['0:startCapture', '1000:cancelCapture'])
    expect(off.m.state.phase).toBe('idle')
  })

  it('hands-free: a mic opened on connect (no press) is followed, so the first press stops listening', () => {
    const m = new PushToTalkMachine({ ...DEFAULT_PUSH_TO_TALK_CONFIG, mode: 'hands-free' })
    expect(m.send({ type: 'micReported', open: true, at: 1000 })).toEqual({ state: expect.objectContaining({ phase: 'listening', armed: true }), effects: [], deadline: null })
    expect(m.send({ type: 'toggle', at: 1500 }).effects).toEqual(['cancelCapture'])
    expect(m.state.phase).toBe('idle')
  })

  it('hands-free: a mic closed elsewhere (tray, mute) leaves the machine idle, so the next press starts; a stale close right after a press is ignored', () => {
    const m = new PushToTalkMachine({ ...DEFAULT_PUSH_TO_TALK_CONFIG, mode: 'hands-free' })
    m.send({ type: 'toggle', at: 0 })
    m.send({ type: 'micReported', open: false, at: 50 }) // the status from before the press
    expect(m.state.phase).toBe('listening')
    expect(m.send({ type: 'micReported', open: false, at: 2000 }).effects).toEqual([])
    expect(m.state).toMatchObject({ phase: 'idle', armed: false })
    expect(m.send({ type: 'toggle', at: 3000 }).effects).toEqual(['startCapture'])
  })

  it('push-to-talk modes ignore mic reports: only the key opens the mic there', () => {
    for (const mode of ['hold', 'toggle'] as const) {
      const m = new PushToTalkMachine({ ...DEFAULT_PUSH_TO_TALK_CONFIG, mode })
      m.send({ type: 'micReported', open: true, at: 1000 })
      expect(m.state.phase).toBe('idle')
    }
  })

  it('key-up without a key-down, ticks without a deadline and stray events change nothing', () => {
    const { m, log } = drive('hold', [[0, 'keyUp'], [10, 'tick'], [20, 'processingDone'], [30, 'endOfUtterance']])
    expect(log).toEqual([])
    expect(m.state.phase).toBe('idle')
  })

  it('cancel drops listening and stops processing', () => {
    const { m, log } = drive('hold', [[0, 'keyDown'], [500, 'cancel']])
    expect(log).toEqual(['0:startCapture', '500:cancelCapture'])
    expect(m.state.phase).toBe('idle')
  })
})

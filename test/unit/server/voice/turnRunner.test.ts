import { describe, expect, it } from 'vitest'
import { silentLogger } from '../../../../src/shared/logging/logger'
import type { TurnMark } from '../../../../src/shared/latency/trace'
import { FallbackChain } from '../../../../src/server/providers/fallbackChain'
import { ReplyStream } from '../../../../src/server/voice/replyStream'
import { SpeculativeTranscription } from '../../../../src/server/voice/speculativeTranscription'
import { TurnDetector, type TurnAction, type TurnSignal } from '../../../../src/server/voice/turnDetector'
import { TurnRunner } from '../../../../src/server/voice/turnRunner'
import { UtteranceAudio } from '../../../../src/server/voice/utteranceAudio'
import type { Turn, TurnInput, TurnResult } from '../../../../src/server/voice/conversationTurn'
import type { VoiceProviders } from '../../../../src/server/voice/voiceProviders'
import { FakeClock } from '../../../helpers/fakeClock'
import { FakeStt } from '../../../helpers/voiceSessionRig'

/** The real detector, whose commits carry this decision (what the turn policy adds to them). */
class DecidingDetector extends TurnDetector {
  constructor(private readonly decision: { waitMs: number; reason: string }) {
    super()
  }

  override push(signal: TurnSignal): TurnAction[] {
    return super.push(signal).map((a) => (a.type === 'commit' ? { ...a, decision: this.decision } : a))
  }
}

/** A TurnRunner over the real detector, audio and speculation, with a VoiceLoop stand-in that records its turns. */
function rig(detector = new TurnDetector()) {
  const clock = new FakeClock(5000)
  let wall = 1_700_000_000_000
  const audio = new UtteranceAudio(() => detector.earlyCommitted !== null)
  const notifications: string[] = []
  const turns: Array<{ input: TurnInput; marks: TurnMark[]; cancelled: boolean; finish: (r: Partial<TurnResult>) => void }> = []
  const stt = new FallbackChain([new FakeStt('STT', () => 'what time is it')], { stage: 'stt', firstChunkTimeoutMs: 1000, idleTimeoutMs: 1000 })
  const providers = {
    stt,
    warmUp: () => undefined,
    loop: {
      startTurn(input: TurnInput): Turn {
        let finish: (r: Partial<TurnResult>) => void = () => undefined
        const done = new Promise<TurnResult>((resolve) => (finish = (r) => resolve({ status: 'done', transcript: 'x', reply: '', trace: { turnId: input.turnId, status: 'done', marks: [] }, ...r })))
        const record = { input, marks: [] as TurnMark[], cancelled: false, finish }
        turns.push(record)
        return { turnId: input.turnId, done, addMark: (m) => void record.marks.push(m), cancel: () => ((record.cancelled = true), finish({ status: 'cancelled' }), done) }
      }
    }
  } as unknown as VoiceProviders
  const outlet = { reply: () => undefined, flushReply: () => undefined, replyQueued: () => 0 }
  const reply = new ReplyStream(outlet, clock, { onPlaying: (playing) => runner.signal({ type: 'replyPlaying', playing, at: clock.now() }), onFirstFrame: () => undefined })
  const speculation = new SpeculativeTranscription({ now: () => clock.now(), onTranscript: (utterance, text) => runner.signal({ type: 'interruptionTranscript', utterance, text, at: clock.now() }), logger: silentLogger })
  const runner: TurnRunner = new TurnRunner({
    sessionId: 'abcdefgh-session',
    detector,
    audio,
    speculation,
    reply,
    providers,
    notify: (type) => void notifications.push(type),
    onTrace: () => undefined,
    notice: () => undefined,
    logger: silentLogger,
    monotonic: () => clock.now(),
    now: () => wall
  })
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 4; i++) await new Promise((r) => setImmediate(r))
  }
  const wait = (ms: number): void => {
    clock.advance(ms)
    wall += ms
    runner.signal({ type: 'tick', at: clock.now() })
  }
  return { runner, turns, notifications, clock, settle, wait, get wall() { return wall } }
}

describe('TurnRunner', () => {
  it("a server speech end heard after an early commit adds its uplink_arrival to the running turn (only if it came before the commit)", async () => {
    const r = rig()
    r.runner.signal({ type: 'clientVadActive', at: r.clock.now() })
    r.runner.signal({ type: 'speechStart', source: 'client', at: r.clock.now(), turnId: 't1' })
    r.wait(500)
    r.runner.signal({ type: 'speechEnd', source: 'client', at: r.clock.now() })
    await r.settle()
    r.wait(200) // the early reply: committed before any end_of_utterance
    await r.settle()
    expect(r.turns).toHaveLength(1)
    // The turn policy's decision dates the start of its wait (turn_wait_start) before the commit.
    expect(r.turns[0]!.input.marks!.map((m) => m.name)).toEqual(['turn_wait_start', 'end_of_utterance'])
    const committedAt = r.turns[0]!.input.marks!.find((m) => m.name === 'end_of_utterance')!.at
    r.runner.serverSpeechEnd(committedAt + 5, r.clock.now()) // arrived after the commit: not this turn's
    expect(r.turns[0]!.marks).toEqual([])
    r.runner.serverSpeechEnd(committedAt - 120, r.clock.now())
    expect(r.turns[0]!.marks).toEqual([{ name: 'uplink_arrival', at: committedAt - 120, clock: 'backend' }])
  })

  it("a turn without the app's id gets one made of the session's id and a count; a commit's uplink_arrival is the last server speech end", async () => {
    const r = rig()
    for (const n of [1, 2]) {
      r.runner.signal({ type: 'speechStart', source: 'server', at: r.clock.now() })
      r.wait(400)
      r.runner.serverSpeechEnd(r.wall - 10, r.clock.now())
      r.wait(100)
      r.runner.signal({ type: 'endOfUtterance', source: 'server', at: r.clock.now() })
      await r.settle()
      expect(r.turns[n - 1]!.input.turnId).toBe(`abcdefgh-s${n}`)
      expect(r.turns[n - 1]!.input.marks!.map((m) => m.name)).toEqual(['uplink_arrival', 'turn_wait_start', 'end_of_utterance'])
      r.turns[n - 1]!.finish({})
      await r.settle()
    }
    expect(r.notifications.filter((n) => n === 'utteranceEnd')).toHaveLength(2)
  })

  it("a commit's turn decision goes into the turn: its wait as turn_wait_start before end_of_utterance, its reason beside it", async () => {
    const r = rig(new DecidingDetector({ waitMs: 150, reason: 'complete request → 150 ms' }))
    r.runner.signal({ type: 'clientVadActive', at: r.clock.now() })
    r.runner.signal({ type: 'speechStart', source: 'client', at: r.clock.now(), turnId: 't1' })
    r.wait(500)
    r.runner.signal({ type: 'endOfUtterance', source: 'client', at: r.clock.now(), turnId: 't1' })
    await r.settle()
    const input = r.turns[0]!.input
    expect(input.decision).toEqual({ waitMs: 150, reason: 'complete request → 150 ms' })
    const eou = input.marks!.find((m) => m.name === 'end_of_utterance')!.at
    expect(input.marks!.find((m) => m.name === 'turn_wait_start')).toEqual({ name: 'turn_wait_start', at: eou - 150, clock: 'backend' })

    // A typed turn has no decision: neither the field nor the mark.
    r.runner.typedTurn('what time is it')
    const typed = r.turns[1]!.input
    expect(typed.decision).toBeUndefined()
    expect(typed.marks!.map((m) => m.name)).toEqual(['end_of_utterance'])
  })

  it('a new commit cancels the turn still running', async () => {
    const r = rig()
    r.runner.signal({ type: 'clientVadActive', at: r.clock.now() })
    for (const id of ['t1', 't2']) {
      r.runner.signal({ type: 'speechStart', source: 'client', at: r.clock.now(), turnId: id })
      r.wait(300)
      r.runner.signal({ type: 'endOfUtterance', source: 'client', at: r.clock.now(), turnId: id })
      await r.settle()
    }
    expect(r.turns.map((t) => [t.input.turnId, t.cancelled])).toEqual([
      ['t1', true],
      ['t2', false]
    ])
    expect(r.runner.runningTurn?.turnId).toBe('t2')
    r.runner.close()
    expect(r.turns[1]!.cancelled).toBe(true)
  })
})

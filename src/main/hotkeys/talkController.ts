import type { TalkCommand, TalkCommandResult } from '../../shared/contract/talk'
import { DEFAULT_PUSH_TO_TALK_CONFIG, PushToTalkMachine, type ListeningMode, type PushToTalkEffect, type PushToTalkInput } from '../../shared/voice/pushToTalk'
import { talkCommandInput } from './talkCommand'

/**
 * One push-to-talk machine with its timer: every talk source (the global key hook, the Wayland portal, the
 * globalShortcut presses, the command-line trigger) feeds the same instance, so a key press and a `--talk-stop`
 * agree on what is going on. The machine decides; this class only runs its deadline timer and hands effects on.
 */
export class TalkController {
  readonly machine: PushToTalkMachine
  private timer: ReturnType<typeof setTimeout> | null = null
  private disposed = false

  constructor(
    readonly mode: ListeningMode,
    private readonly onEffect: (effect: PushToTalkEffect) => void,
    private readonly now: () => number = () => Date.now()
  ) {
    this.machine = new PushToTalkMachine({ ...DEFAULT_PUSH_TO_TALK_CONFIG, mode })
  }

  /** Feed one input; returns whether it changed anything (state or effects). */
  send(input: PushToTalkInput): boolean {
    if (this.disposed) return false
    const before = this.machine.state
    const step = this.machine.send(input)
    for (const effect of step.effects) this.onEffect(effect)
    if (this.timer) clearTimeout(this.timer)
    this.timer = step.deadline === null ? null : setTimeout(() => this.send({ type: 'tick', at: this.now() }), Math.max(0, step.deadline - this.now()))
    return step.effects.length > 0 || step.state !== before
  }

  /** A talk command (toggle, talk-start, talk-stop, cancel); show is not the machine's and changes nothing here. */
  command(command: TalkCommand): TalkCommandResult {
    const input = talkCommandInput(command, this.machine.state, this.mode, this.now())
    const applied = input !== null && this.send(input)
    return { command, phase: this.machine.state.phase, applied }
  }

  dispose(): void {
    this.disposed = true
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
  }
}

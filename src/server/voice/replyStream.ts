import type { Clock } from '../../shared/clock'
import type { PipelineContext } from '../pipelines/types'
import { ReplyPlayer } from './replyPlayer'
import { REPLY_FRAME_SAMPLES } from './conversationTurn'

/** 200 ms queued in the paced sender: rides out event-loop stalls; a pause takes the unsent frames back at once. */
const REPLY_LOOKAHEAD_FRAMES = 10
/** 80 ms ready before a talkspurt starts (see ReplyPlayer): no lone first frame followed by a gap. */
const REPLY_PREBUFFER_FRAMES = 4
/**
 * The app silences the reply as soon as it hears of a pause (voiceTurns.ts) rather than letting the frames in flight
 * and in its jitter buffer play out; a resume (false interruption) replays those: 160 ms covers the jitter buffer
 * (60–130 ms measured) and the path.
 */
const REPLY_REWIND_ON_PAUSE_FRAMES = 8
/**
 * The reply stream is kept steady (silence when there is nothing to say) from the user's speech until shortly after
 * the reply: the client's jitter buffer then sees an even 20 ms stream, never a talkspurt start or a gap between
 * sentences, and keeps its delay at its floor (a reply starting on an idle stream after bursts met a target delay of
 * up to ~1 s here). Idle sessions send nothing.
 */
export const STEADY_AFTER_SPEECH_MS = 6000
export const STEADY_AFTER_REPLY_MS = 1500
const SILENCE = new Int16Array(REPLY_FRAME_SAMPLES)

export type ReplyOutlet = Pick<PipelineContext, 'reply' | 'flushReply' | 'replyQueued' | 'setReplyFiller'>

export interface ReplyStreamHooks {
  /** The reply started or stopped being audible. */
  onPlaying(playing: boolean, turnId: string | null): void
  /** The first frame of a turn's reply went to the sender. */
  onFirstFrame(turnId: string): void
}

/**
 * A session's reply audio: one reply at a time through the ReplyPlayer (lookahead, prebuffer, pause/resume with
 * rewind), and around it a steady stream of silence (see STEADY_AFTER_SPEECH_MS) through the sender's idle filler.
 */
export class ReplyStream {
  private readonly player: ReplyPlayer
  private steadyUntil = 0

  constructor(
    private readonly out: ReplyOutlet,
    private readonly clock: Clock,
    hooks: ReplyStreamHooks
  ) {
    this.player = new ReplyPlayer(
      { reply: (pcm) => out.reply(pcm), flushReply: () => out.flushReply(), replyQueued: () => out.replyQueued?.() ?? 0 },
      {
        lookaheadFrames: REPLY_LOOKAHEAD_FRAMES,
        prebufferFrames: REPLY_PREBUFFER_FRAMES,
        rewindOnPauseFrames: REPLY_REWIND_ON_PAUSE_FRAMES,
        clock,
        onPlaying: (playing, turnId) => {
          if (!playing) this.keepSteady(STEADY_AFTER_REPLY_MS)
          hooks.onPlaying(playing, turnId)
        },
        onFirstFrame: (turnId) => hooks.onFirstFrame(turnId)
      }
    )
    out.setReplyFiller?.(() => (this.player.playing || clock.now() < this.steadyUntil ? SILENCE : null))
  }

  get playing(): boolean {
    return this.player.playing
  }

  /** The turn whose reply plays (or waits to), or null. */
  get currentTurn(): string | null {
    return this.player.currentTurn
  }

  /** The user speaks: keep the stream steady through the turn that follows. */
  keepSteadyAfterSpeech(): void {
    this.keepSteady(STEADY_AFTER_SPEECH_MS)
  }

  /** A new reply; whatever was playing is dropped. */
  start(turnId: string): void {
    this.player.start(turnId)
  }

  push(pcm: Int16Array): void {
    this.player.push(pcm)
  }

  /** The reply is complete: it stops playing once its last frame went out. */
  end(): void {
    this.player.end()
  }

  pause(): void {
    this.player.pause()
  }

  resume(): void {
    this.player.resume()
  }

  /** Drop the reply. */
  cancel(): void {
    this.player.cancel()
  }

  close(): void {
    this.out.setReplyFiller?.(null)
    this.player.close()
  }

  private keepSteady(ms: number): void {
    if (!this.out.setReplyFiller) return
    const now = this.clock.now()
    const wasSteady = this.player.playing || now < this.steadyUntil
    this.steadyUntil = Math.max(this.steadyUntil, now + ms)
    // Start the stream; from then on the sender asks the filler whenever it has nothing queued.
    if (!wasSteady && (this.out.replyQueued?.() ?? 0) === 0) this.out.reply(SILENCE)
  }
}

import type { AudioFrame } from '../audio/audioReceiver'
import type { OpusDecodeRate } from '../audio/opusCodec'
import type { SessionNotification, SessionPipelineName } from '../../shared/contract/signaling'

/**
 * The seam between the media path and whatever answers the user. A session feeds its pipeline every decoded 20 ms
 * uplink frame (mono, at the pipeline's inputSampleRate, 48 kHz by default) in order, plus events the client
 * reports; the pipeline answers with 48 kHz reply frames, which the session encodes and paces onto the reply
 * producer. The voice loop (STT → LLM → TTS) is another implementation of this interface.
 */
export interface PipelineContext {
  readonly sessionId: string
  /** Queue one 20 ms reply frame (FRAME_SAMPLES samples, 48 kHz mono). Frames play in order, paced at 20 ms. */
  reply(pcm: Int16Array): void
  /** Drop reply audio not yet sent (barge-in). */
  flushReply(): void
  /** Reply frames queued and not yet sent (the voice pipeline keeps this small so barge-in stops audio fast). */
  replyQueued?(): number
  /**
   * Keep the reply stream steady: when the sender has nothing queued at a 20 ms tick it asks `fill` for a frame
   * (e.g. silence) instead of going idle; null lets it idle. The stream only starts with a reply() (e.g. of
   * silence). null removes the filler.
   */
  setReplyFiller?(fill: (() => Int16Array | null) | null): void
  /** Tell the client something happened (sent as a `session` notification when a connection is attached). */
  notify(type: SessionNotification['type'], detail?: SessionNotification['detail']): void
}

export interface ClientEvent {
  type: 'speechStart' | 'speechEnd' | 'pttDown' | 'pttUp' | 'speechResume' | 'endOfUtterance' | 'vadActive'
  clientTime: number
  /** The client's id for the utterance's turn (voice pipeline). */
  turnId?: string
  /** endOfUtterance: why the app's endpointer ended it ('flush': push-to-talk released; never held by the turn policy). */
  reason?: 'silence' | 'max_length' | 'flush'
}

export interface SessionPipeline {
  /**
   * The rate the pipeline wants the uplink decoded to (libopus resamples as it decodes, which is cheaper than
   * decoding at 48 kHz and resampling after). Default 48 kHz. Fixed for the session.
   */
  readonly inputSampleRate?: OpusDecodeRate
  onFrame(frame: AudioFrame): void
  onClientEvent(event: ClientEvent): void
  close(): void
}

export type PipelineFactory = (ctx: PipelineContext) => SessionPipeline
export type { SessionPipelineName }

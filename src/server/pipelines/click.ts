import { FRAME_SAMPLES, SAMPLE_RATE } from '../audio/opusCodec'
import { EnergyGate } from './energyGate'
import type { PipelineContext, SessionPipeline } from './types'

/** A short, loud 2 kHz burst at the start of a 20 ms frame: easy to find in the client's reply stream. */
export function clickFrame(): Int16Array {
  const pcm = new Int16Array(FRAME_SAMPLES)
  const burst = Math.round(SAMPLE_RATE * 0.008)
  for (let i = 0; i < burst; i++) pcm[i] = Math.round(Math.sin((2 * Math.PI * 2000 * i) / SAMPLE_RATE) * 0.8 * 32767)
  return pcm
}

/** steadyReply: silence queued beyond this many frames is dropped (see onFrame). */
const STEADY_MAX_QUEUED = 2

/**
 * `click`: answers every detected onset with a click, at once — for measuring the round trip through the real
 * reply path (decode, pipeline, encode, paced send). A new onset needs `refractoryFrames` of quiet first.
 */
export function createClickPipeline(ctx: PipelineContext, opts: { refractoryFrames?: number; steadyReply?: boolean } = {}): SessionPipeline {
  const gate = new EnergyGate({ onsetDbfs: -30, releaseDbfs: -45, hangoverFrames: opts.refractoryFrames ?? 10 })
  const click = clickFrame()
  const silence = new Int16Array(FRAME_SAMPLES)
  return {
    onFrame(frame) {
      if (gate.push(frame.pcm) === 'onset') {
        // Only silence can be queued here (clicks are a refractory period apart): the click goes out next.
        if (opts.steadyReply) ctx.flushReply()
        ctx.reply(click)
        ctx.notify('onset', { rtpTimestamp: frame.rtpTimestamp })
      } else if (opts.steadyReply && (ctx.replyQueued?.() ?? 0) < STEADY_MAX_QUEUED) {
        // One reply frame per uplink frame: the reply is a steady stream (silence between clicks), as a steadily
        // fed peer connection's is (bench/rtt.ts compares against one). After a stall of this thread the uplink
        // frames come in a burst while the sender paces on (it skips ahead rather than bursting, see PacedSender):
        // silence beyond a frame or two of queue is dropped so no backlog delays the next click.
        ctx.reply(silence)
      }
    },
    onClientEvent() {
      // Onsets come from the audio itself.
    },
    close() {}
  }
}

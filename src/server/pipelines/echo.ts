import { EnergyGate } from './energyGate'
import type { PipelineContext, SessionPipeline } from './types'

export interface EchoOptions {
  /** Frames kept from before the onset so the first syllable is not clipped. */
  preRollFrames?: number
  /** Silence (in 20 ms frames) that ends an utterance. */
  hangoverFrames?: number
  /** Longest utterance kept (frames); longer ones are played back truncated. */
  maxFrames?: number
}

/**
 * `echo`: cuts each utterance out of the uplink (energy gate) and plays it back once it ends. Proves the whole
 * round trip: capture → Opus → mediasoup → decode → pipeline → encode → paced reply → the client's speaker.
 */
export function createEchoPipeline(ctx: PipelineContext, opts: EchoOptions = {}): SessionPipeline {
  const preRoll = opts.preRollFrames ?? 5
  const maxFrames = opts.maxFrames ?? 1500
  const hangover = opts.hangoverFrames ?? 20
  const gate = new EnergyGate({ hangoverFrames: hangover })
  const recent: Int16Array[] = []
  let utterance: Int16Array[] | null = null
  return {
    onFrame(frame) {
      const event = gate.push(frame.pcm)
      if (event === 'onset') {
        utterance = recent.splice(0)
        ctx.notify('utteranceStart', { rtpTimestamp: frame.rtpTimestamp })
      }
      if (utterance) {
        if (utterance.length < maxFrames) utterance.push(frame.pcm)
        if (event === 'end') {
          // Trailing hangover silence is not worth replaying.
          const frames = utterance.slice(0, Math.max(1, utterance.length - hangover + 2))
          utterance = null
          ctx.notify('utteranceEnd', { frames: frames.length })
          ctx.notify('replyStart', { frames: frames.length })
          for (const pcm of frames) ctx.reply(pcm)
        }
      } else {
        recent.push(frame.pcm)
        if (recent.length > preRoll) recent.shift()
      }
    },
    onClientEvent() {
      // The echo pipeline finds utterances itself.
    },
    close() {
      utterance = null
      recent.length = 0
    }
  }
}

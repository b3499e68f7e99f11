/**
 * Energy-based speech gate over 20 ms frames: an onset when a frame's level crosses `onsetDbfs`, an end after
 * `hangoverFrames` frames below `releaseDbfs` (hysteresis). Good enough to cut utterances out of a clean test
 * signal and to detect clicks; the voice loop uses Silero VAD instead. Pure: frames in, events out.
 */
export interface EnergyGateOptions {
  onsetDbfs?: number
  releaseDbfs?: number
  hangoverFrames?: number
}

export type GateEvent = 'onset' | 'end' | null

export function frameDbfs(pcm: Int16Array): number {
  let sum = 0
  for (let i = 0; i < pcm.length; i++) sum += pcm[i]! * pcm[i]!
  const rms = Math.sqrt(sum / Math.max(1, pcm.length)) / 32768
  return rms > 0 ? Math.max(-100, 20 * Math.log10(rms)) : -100
}

export class EnergyGate {
  private readonly onset: number
  private readonly release: number
  private readonly hangover: number
  private quietFrames = 0
  active = false

  constructor(opts: EnergyGateOptions = {}) {
    this.onset = opts.onsetDbfs ?? -40
    this.release = opts.releaseDbfs ?? -50
    this.hangover = opts.hangoverFrames ?? 20
  }

  push(pcm: Int16Array): GateEvent {
    const level = frameDbfs(pcm)
    if (!this.active) {
      if (level >= this.onset) {
        this.active = true
        this.quietFrames = 0
        return 'onset'
      }
      return null
    }
    if (level < this.release) {
      this.quietFrames++
      if (this.quietFrames >= this.hangover) {
        this.active = false
        this.quietFrames = 0
        return 'end'
      }
    } else this.quietFrames = 0
    return null
  }
}

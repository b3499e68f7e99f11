/**
 * Clock offset from ping samples, NTP-style. A probe sent at t0 (local clock), stamped t1 on receipt and t2 on
 * reply (remote clock; t1 = t2 when the remote stamps once), and received back at t3 (local clock) gives
 *   offset = ((t1 − t0) + (t2 − t3)) / 2     (remote − local)
 *   delay  = (t3 − t0) − (t2 − t1)           (round trip minus the remote's processing)
 * and the true offset lies within ±delay/2 of the estimate. Queuing makes most samples asymmetric; the sample
 * with the smallest delay is the least distorted one, so the estimate is that sample's offset (min-RTT filter,
 * as NTP's clock filter does), over a sliding window so drift and a changed path are followed.
 */

export interface PingSample {
  /** Local send time. */
  t0: number
  /** Remote receive time. */
  t1: number
  /** Remote send time (= t1 if stamped once). */
  t2: number
  /** Local receive time. */
  t3: number
}

export interface OffsetEstimate {
  /** remote − local, ms: add to a local time to get remote time; subtract to go remote → local. */
  offsetMs: number
  /** Round-trip delay of the chosen sample. */
  rttMs: number
  /** The true offset is within offsetMs ± errorBoundMs (half the chosen sample's delay). */
  errorBoundMs: number
  /** Samples the estimate was chosen from. */
  samples: number
}

export function sampleOffset(s: PingSample): { offsetMs: number; rttMs: number } {
  return { offsetMs: (s.t1 - s.t0 + (s.t2 - s.t3)) / 2, rttMs: Math.max(0, s.t3 - s.t0 - (s.t2 - s.t1)) }
}

/** Throws away impossible samples (received before sent, remote replied before it received). */
export function isValidSample(s: PingSample): boolean {
  return [s.t0, s.t1, s.t2, s.t3].every(Number.isFinite) && s.t3 >= s.t0 && s.t2 >= s.t1
}

export function estimateOffset(samples: readonly PingSample[]): OffsetEstimate | null {
  let best: { offsetMs: number; rttMs: number } | null = null
  let count = 0
  for (const s of samples) {
    if (!isValidSample(s)) continue
    count++
    const o = sampleOffset(s)
    if (!best || o.rttMs < best.rttMs) best = o
  }
  if (!best) return null
  return { offsetMs: best.offsetMs, rttMs: best.rttMs, errorBoundMs: best.rttMs / 2, samples: count }
}

/**
 * Keeps the last `window` samples and re-estimates on each one. Ping a few times quickly at start (the first
 * estimate is only as good as the fastest of few samples), then every few seconds.
 */
export class ClockOffsetEstimator {
  private readonly samples: PingSample[] = []
  private current: OffsetEstimate | null = null

  constructor(readonly window = 16) {
    if (!(window >= 1)) throw new Error('window must be at least 1')
  }

  add(sample: PingSample): OffsetEstimate | null {
    if (!isValidSample(sample)) return this.current
    this.samples.push(sample)
    if (this.samples.length > this.window) this.samples.shift()
    this.current = estimateOffset(this.samples)
    return this.current
  }

  get estimate(): OffsetEstimate | null {
    return this.current
  }

  /** A local time → the remote clock. */
  toRemote(localTime: number): number | null {
    return this.current ? localTime + this.current.offsetMs : null
  }

  /** A remote time → the local clock. */
  toLocal(remoteTime: number): number | null {
    return this.current ? remoteTime - this.current.offsetMs : null
  }
}

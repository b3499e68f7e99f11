import { formatBytes, formatDuration } from '../../shared/models/transferFormat'

/**
 * Download progress in the words people read: percent, speed and time left. Speed is measured over the last few
 * seconds (a sliding window), so a resumed download does not count the bytes it already had as if they had just
 * arrived, and a stall shows as a falling speed instead of a frozen average. Pure: the caller passes the clock.
 */
export interface TransferReading {
  percent: number
  /** null until two samples in the window are far enough apart to say. */
  bytesPerSecond: number | null
  /** null while the speed is unknown or zero. */
  secondsLeft: number | null
}

export class TransferMeter {
  private samples: Array<{ at: number; bytes: number }> = []

  constructor(
    private readonly totalBytes: number,
    private readonly windowMs = 5000
  ) {}

  /** `bytes` of the total are on disk at time `at` (ms). */
  update(at: number, bytes: number): TransferReading {
    const last = this.samples[this.samples.length - 1]
    if (last && bytes < last.bytes) this.samples = [] // a file started over (the server ignored the Range request)
    this.samples.push({ at, bytes })
    while (this.samples.length > 2 && at - this.samples[1]!.at >= this.windowMs) this.samples.shift()
    const first = this.samples[0]!
    const span = at - first.at
    const bytesPerSecond = span >= 250 ? ((bytes - first.bytes) * 1000) / span : null
    const left = Math.max(0, this.totalBytes - bytes)
    return {
      percent: this.totalBytes > 0 ? Math.min(100, (bytes / this.totalBytes) * 100) : 100,
      bytesPerSecond,
      secondsLeft: bytesPerSecond && bytesPerSecond > 0 ? left / bytesPerSecond : null
    }
  }
}

export { formatBytes, formatDuration } from '../../shared/models/transferFormat'

/** "moonshine-tiny-q8  42%  13.4 MB of 31.9 MB  2.1 MB/s  9 s left" */
export function formatProgress(label: string, receivedBytes: number, totalBytes: number, reading: TransferReading): string {
  const speed = reading.bytesPerSecond === null ? '…' : `${formatBytes(Math.round(reading.bytesPerSecond))}/s`
  const left = reading.percent >= 100 ? 'done' : reading.secondsLeft === null ? 'time left unknown' : `${formatDuration(reading.secondsLeft)} left`
  return `${label}  ${Math.floor(reading.percent)}%  ${formatBytes(receivedBytes)} of ${formatBytes(totalBytes)}  ${speed}  ${left}`
}

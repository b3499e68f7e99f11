import { describe, expect, it } from 'vitest'
import { formatBytes, formatDuration, formatProgress, TransferMeter } from '../../../../src/node/models/transferMeter'

describe('TransferMeter (download progress with a fake clock)', () => {
  it('measures speed over the last seconds only, so resumed bytes and old bursts do not count', () => {
    const meter = new TransferMeter(20_000_000, 5000)
    // Resumed at 6 MB: the first sample is the baseline, not 6 MB in no time.
    expect(meter.update(0, 6_000_000)).toEqual({ percent: 30, bytesPerSecond: null, secondsLeft: null })
    expect(meter.update(100, 6_100_000).bytesPerSecond).toBeNull() // too short a span to say
    const r = meter.update(1000, 7_000_000)
    expect(r.bytesPerSecond).toBe(1_000_000)
    expect(r.secondsLeft).toBe(13)
    // 1 MB/s up to 11 MB at 5 s, then a stall: the speed falls as the window slides past the fast part.
    for (let t = 2000; t <= 5000; t += 1000) meter.update(t, 7_000_000 + (t - 1000) * 1000)
    expect(meter.update(9000, 11_000_000).bytesPerSecond).toBe(200_000) // (11 − 10 MB) over 4 → 9 s
    expect(meter.update(15000, 11_000_000)).toMatchObject({ bytesPerSecond: 0, secondsLeft: null })
  })

  it('starts over when the byte count goes back (a server that ignored the Range request)', () => {
    const meter = new TransferMeter(1000)
    meter.update(0, 0)
    meter.update(1000, 800)
    expect(meter.update(1100, 0)).toMatchObject({ percent: 0, bytesPerSecond: null })
    expect(meter.update(2100, 500).bytesPerSecond).toBe(500)
  })

  it('formats sizes, durations and the progress line', () => {
    expect([formatBytes(999), formatBytes(31_900), formatBytes(32_078_077), formatBytes(2.5e9)]).toEqual(['999 B', '31.9 kB', '32.1 MB', '2.50 GB'])
    expect([formatDuration(0.2), formatDuration(59.5), formatDuration(61), formatDuration(3700)]).toEqual(['1 s', '1 min', '1 min 1 s', '1 h 1 min'])
    expect(formatProgress('tiny', 13_400_000, 31_900_000, { percent: 42.0, bytesPerSecond: 2_100_000, secondsLeft: 8.8 })).toBe('tiny  42%  13.4 MB of 31.9 MB  2.1 MB/s  9 s left')
    expect(formatProgress('tiny', 0, 31_900_000, { percent: 0, bytesPerSecond: null, secondsLeft: null })).toBe('tiny  0%  0 B of 31.9 MB  …  time left unknown')
    expect(formatProgress('tiny', 31_900_000, 31_900_000, { percent: 100, bytesPerSecond: 2e6, secondsLeft: 0 })).toBe('tiny  100%  31.9 MB of 31.9 MB  2.0 MB/s  done')
  })
})

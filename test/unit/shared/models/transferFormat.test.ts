import { describe, expect, it } from 'vitest'
import { formatBytes, formatDuration, formatRate } from '../../../../src/shared/models/transferFormat'

describe('transfer formatting', () => {
  it('sizes and durations as people read them', () => {
    expect(formatBytes(999)).toBe('999 B')
    expect(formatBytes(31_900_000)).toBe('31.9 MB')
    expect(formatDuration(0.2)).toBe('1 s')
    expect(formatDuration(125)).toBe('2 min 5 s')
    expect(formatDuration(3725)).toBe('1 h 2 min')
  })
  it('speed and time left, or what is not known yet', () => {
    expect(formatRate(null, null)).toBe('measuring speed…')
    expect(formatRate(2_100_000, 9.2)).toBe('2.1 MB/s · 10 s left')
    expect(formatRate(0, null)).toBe('0 B/s · time left unknown')
  })
})

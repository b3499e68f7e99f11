import { describe, expect, it } from 'vitest'
import { blockRms } from '../../../../src/shared/voice/audioLevel'

describe('blockRms', () => {
  it('is 0 for silence and for an empty block (no division by zero)', () => {
    expect(blockRms(new Float32Array(512))).toBe(0)
    expect(blockRms(new Float32Array(0))).toBe(0)
  })
  it('is the amplitude of a constant block and amplitude/√2 of a full-period sine', () => {
    expect(blockRms(new Float32Array(160).fill(-0.5))).toBeCloseTo(0.5, 6)
    const sine = Float32Array.from({ length: 1600 }, (_, i) => 0.8 * Math.sin((2 * Math.PI * i) / 160))
    expect(blockRms(sine)).toBeCloseTo(0.8 / Math.SQRT2, 4)
  })
})

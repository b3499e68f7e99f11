import { describe, expect, it } from 'vitest'
import { ReorderBuffer } from '../../../../src/server/audio/reorderBuffer'

describe('ReorderBuffer', () => {
  it('releases in-order packets at once and reorders within the hold time', () => {
    const rb = new ReorderBuffer<string>(60)
    expect(rb.push(65534, 'a', 0)).toEqual([{ kind: 'packet', seq: 65534, item: 'a' }])
    expect(rb.push(0, 'c', 5)).toEqual([]) // 65535 missing: hold
    expect(rb.push(65535, 'b', 10).map((o) => o.kind === 'packet' && o.item)).toEqual(['b', 'c'])
    expect(rb.push(65535, 'late', 11)).toEqual([])
    expect(rb.stats.late).toBe(1)
  })

  it('declares a gap lost once the hold time runs out', () => {
    const rb = new ReorderBuffer<string>(60)
    rb.push(10, 'a', 0)
    expect(rb.push(12, 'c', 20)).toEqual([])
    expect(rb.poll(50)).toEqual([])
    expect(rb.poll(81)).toEqual([{ kind: 'lost', seq: 11 }, { kind: 'packet', seq: 12, item: 'c' }])
    expect(rb.stats.lost).toBe(1)
  })
})

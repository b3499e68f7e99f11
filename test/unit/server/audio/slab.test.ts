import { describe, expect, it } from 'vitest'
import { Slab } from '../../../../src/server/audio/slab'

describe('Slab', () => {
  it('hands out zero-filled views of shared blocks that never overlap', () => {
    const slab = new Slab((n) => new Int16Array(n), 16)
    const a = slab.take(6)
    const b = slab.take(6)
    expect(a.buffer).toBe(b.buffer) // one block for both
    a.fill(1)
    b.fill(2)
    expect([...a]).toEqual(new Array(6).fill(1))
    expect([...b]).toEqual(new Array(6).fill(2))
    const c = slab.take(6) // 12 + 6 > 16: a new block; a and b keep theirs
    expect(c.buffer).not.toBe(a.buffer)
    expect([...c]).toEqual(new Array(6).fill(0))
    expect([...a]).toEqual(new Array(6).fill(1))
  })

  it('serves a request larger than the block size with a block of its own', () => {
    const slab = new Slab((n) => new Float32Array(n), 8)
    const big = slab.take(20)
    expect(big.length).toBe(20)
    expect(big.buffer.byteLength).toBe(20 * 4)
  })
})

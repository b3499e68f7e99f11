import { afterEach, describe, expect, it, vi } from 'vitest'
import { TypedEmitter } from '../../../src/shared/typedEmitter'

describe('TypedEmitter', () => {
  afterEach(() => vi.restoreAllMocks())

  it('delivers each event to its listeners only, until they unsubscribe', () => {
    const e = new TypedEmitter<{ a: number; b: string }>()
    const a: number[] = []
    const b: string[] = []
    const stop = e.on('a', (n) => a.push(n))
    e.on('b', (s) => b.push(s))
    e.emit('a', 1)
    e.emit('b', 'x')
    stop()
    e.emit('a', 2)
    expect(a).toEqual([1])
    expect(b).toEqual(['x'])
  })

  it('a throwing listener is reported and does not stop the others', () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined)
    const e = new TypedEmitter<{ tick: number }>()
    const seen: number[] = []
    e.on('tick', () => {
      throw new Error('boom')
    })
    e.on('tick', (n) => seen.push(n))
    e.emit('tick', 7)
    expect(seen).toEqual([7])
    expect(error).toHaveBeenCalledWith('listener for tick failed:', expect.any(Error))
  })
})

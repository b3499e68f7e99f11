import { describe, expect, it } from 'vitest'
import { StderrTail } from '../../../../src/main/services/stderrTail'

describe('StderrTail', () => {
  it('keeps the last 40 lines by default, oldest first', () => {
    const tail = new StderrTail()
    for (let i = 0; i < 100; i++) tail.push(`line ${i}`)
    expect(tail.last()).toHaveLength(40)
    expect(tail.last()[0]).toBe('line 60')
    expect(tail.last(2)).toEqual(['line 98', 'line 99'])
    expect(tail.last(0)).toEqual([])
  })

  it('keeps at most 8 KB: long lines push the old ones out; one huge line is cut, never dropped whole', () => {
    const tail = new StderrTail()
    for (let i = 0; i < 10; i++) tail.push(`${i}`.padEnd(1500, '.'))
    expect(tail.last().join('').length).toBeLessThanOrEqual(8 * 1024)
    expect(tail.last().at(-1)!.startsWith('9')).toBe(true)
    tail.push('x'.repeat(1_000_000))
    expect(tail.last().at(-1)).toMatch(/^x{2000}… \(998000 more characters\)$/)
    tail.clear()
    expect(tail.last()).toEqual([])
  })
})

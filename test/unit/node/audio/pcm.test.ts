import { describe, expect, it } from 'vitest'
import { Framer, Int16Assembler } from '../../../../src/node/audio/pcm'

describe('PCM streams', () => {
  it('assembles Int16 samples across odd chunk boundaries', () => {
    const bytes = new Uint8Array(8)
    const view = new DataView(bytes.buffer)
    ;[1, -2, 32767, -32768].forEach((v, i) => view.setInt16(i * 2, v, true))
    const a = new Int16Assembler()
    const out = [...a.push(bytes.subarray(0, 3)), ...a.push(bytes.subarray(3, 5)), ...a.push(bytes.subarray(5))]
    expect(out).toEqual([1, -2, 32767, -32768])
  })

  it('frames PCM into fixed 20 ms frames and pads the last one', () => {
    const f = new Framer(960)
    expect(f.push(new Int16Array(500).fill(1))).toHaveLength(0)
    const frames = f.push(new Int16Array(1500).fill(2))
    expect(frames).toHaveLength(2)
    expect(frames[0]![499]).toBe(1)
    expect(frames[0]![500]).toBe(2)
    const last = f.flush()!
    expect(last.length).toBe(960)
    expect(last[79]).toBe(2)
    expect(last[80]).toBe(0)
    expect(f.flush()).toBeNull()
  })

  it('clear drops what was pending', () => {
    const f = new Framer(4)
    f.push(Int16Array.from([1, 2]))
    f.clear()
    expect(f.flush()).toBeNull()
    expect(f.push(Int16Array.from([5, 6, 7, 8]))).toEqual([Int16Array.from([5, 6, 7, 8])])
  })
})

import { describe, expect, it } from 'vitest'
import { FRAME_SAMPLES, OpusFrameEncoder } from '../../../../src/server/audio/opusCodec'

function tone(n: number, freq = 440, amp = 0.3, phase = 0): Int16Array {
  const out = new Int16Array(n)
  for (let i = 0; i < n; i++) out[i] = Math.round(Math.sin((2 * Math.PI * freq * (i + phase)) / 48_000) * amp * 32767)
  return out
}

describe('OpusLossDecoder (FEC and PLC through @evan/opus WebAssembly libopus)', () => {
  it('rebuilds a lost frame from the next packet much better than silence, conceals runs by PLC, rejects junk', async () => {
    const { OpusLossDecoder } = await import('../../../../src/server/audio/opusLossDecoder')
    const enc = new OpusFrameEncoder({ expectedLossPercent: 10 })
    const src: Int16Array[] = []
    const packets: Uint8Array[] = []
    for (let i = 0; i < 60; i++) {
      const pcm = tone(FRAME_SAMPLES, 300 + (i % 7) * 40, 0.3, i * FRAME_SAMPLES)
      src.push(pcm)
      packets.push(enc.encode(pcm))
    }
    const reference = new OpusLossDecoder()
    const withFec = new OpusLossDecoder()
    const ref: number[] = []
    const got: number[] = []
    for (let i = 0; i < packets.length; i++) {
      ref.push(...reference.decode(packets[i]!))
      if (i % 6 === 3) continue // lost; rebuilt below from packet i + 1
      if (i % 6 === 4) got.push(...withFec.decodeFec(packets[i]!, FRAME_SAMPLES))
      got.push(...withFec.decode(packets[i]!))
    }
    const corr = (a: number[], b: number[]): number => {
      let ab = 0, aa = 0, bb = 0
      for (let i = 0; i < a.length; i++) {
        ab += a[i]! * b[i]!
        aa += a[i]! ** 2
        bb += b[i]! ** 2
      }
      return ab / Math.sqrt(aa * bb)
    }
    expect(got.length).toBe(ref.length)
    expect(corr(ref, got)).toBeGreaterThan(0.95)
    expect(withFec.conceal(FRAME_SAMPLES)).toHaveLength(FRAME_SAMPLES)
    expect(() => withFec.decode(new Uint8Array(0))).toThrow()
    expect(() => withFec.decode(new Uint8Array(4000))).toThrow()
    withFec.close()
    expect(() => withFec.decode(packets[0]!)).toThrow(/closed/)
    reference.close()
  })
})

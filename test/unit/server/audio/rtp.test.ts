import { describe, expect, it } from 'vitest'
import { buildRtp, parseRtp, seqDelta } from '../../../../src/server/audio/rtp'

describe('RTP parsing', () => {
  it('round-trips a built packet and strips CSRCs, extensions and padding', () => {
    const payload = Uint8Array.from([1, 2, 3, 4])
    const p = parseRtp(buildRtp({ payloadType: 111, marker: true, sequenceNumber: 65535, timestamp: 0xfffffff0, ssrc: 0xdeadbeef, payload }))!
    expect(p).toMatchObject({ payloadType: 111, marker: true, sequenceNumber: 65535, timestamp: 0xfffffff0, ssrc: 0xdeadbeef, padded: false })
    expect([...p.payload]).toEqual([1, 2, 3, 4])
    // V=2, P=1, X=1, CC=1; one CSRC; a one-word extension; payload [9]; 3 bytes of padding.
    const raw = Uint8Array.from([0xb1, 111, 0, 7, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0xbe, 0xde, 0, 1, 0x10, 0xff, 0, 0, 9, 0, 0, 3])
    const q = parseRtp(raw)!
    expect([...q.payload]).toEqual([9])
    expect(q.padded).toBe(true)
    // Padding-only (Chrome's probes): empty payload.
    expect(parseRtp(Uint8Array.from([0xa0, 111, 0, 8, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 4]))!.payload.length).toBe(0)
  })

  it('rejects malformed packets instead of throwing', () => {
    for (const bad of [[], [0x80], [0x40, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [0x8f, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [0x90, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9], [0xa0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 200]]) {
      expect(parseRtp(Uint8Array.from(bad))).toBeNull()
    }
    expect(seqDelta(65535, 0)).toBe(1)
    expect(seqDelta(0, 65535)).toBe(-1)
  })
})

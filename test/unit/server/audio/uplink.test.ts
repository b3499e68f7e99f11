import { describe, expect, it } from 'vitest'
import type { AudioFrame } from '../../../../src/server/audio/audioReceiver'
import type { GapRange } from '../../../../src/server/audio/backfillGate'
import { FRAME_SAMPLES, OpusFrameDecoder, OpusFrameEncoder, RTP_TICKS_PER_FRAME } from '../../../../src/server/audio/opusCodec'
import { buildRtp } from '../../../../src/server/audio/rtp'
import { Uplink } from '../../../../src/server/audio/uplink'
import { FakeClock } from '../../../helpers/fakeClock'

const T = RTP_TICKS_PER_FRAME
const TS0 = 96_000
const SEQ0 = 500

function tone(n: number, freq: number, phase: number): Int16Array {
  const out = new Int16Array(n)
  for (let i = 0; i < n; i++) out[i] = Math.round(Math.sin((2 * Math.PI * freq * (i + phase)) / 48_000) * 0.3 * 32767)
  return out
}

const rms = (pcm: Int16Array): number => Math.sqrt(pcm.reduce((s, x) => s + x * x, 0) / pcm.length) / 32768

/** The client's mic: frame i of one continuous tone, Opus-encoded in order (as the browser's encoder would). */
function micFrames(count: number): Uint8Array[] {
  const enc = new OpusFrameEncoder()
  return Array.from({ length: count }, (_, i) => enc.encode(tone(FRAME_SAMPLES, 300 + (i % 7) * 40, i * FRAME_SAMPLES)))
}

/**
 * RTP for frame i. Sequence and timestamp both advance one per frame while the sender runs (packets lost on the way
 * leave a hole in both); a paused sender sends nothing, so after a pause only the timestamp has moved on (`seq`).
 */
const rtp = (payloads: Uint8Array[], i: number, seq = SEQ0 + i): Buffer =>
  buildRtp({ payloadType: 111, marker: i === 0, sequenceNumber: seq & 0xffff, timestamp: (TS0 + i * T) >>> 0, ssrc: 7, payload: payloads[i]! })

const index = (f: AudioFrame): number => ((f.rtpTimestamp - TS0) >>> 0) / T

function rig(opts: { sampleRate?: 16_000 | 48_000 } = {}) {
  const clock = new FakeClock()
  const frames: AudioFrame[] = []
  const firstRtp: number[] = []
  const asked: GapRange[] = []
  const uplink = new Uplink(
    { onFrame: (f) => frames.push(f), onFirstRtp: (at) => firstRtp.push(at), requestBackfill: (range) => asked.push({ ...range }) },
    { clock, ...opts }
  )
  /** Push frame i of `payloads` now, then let 20 ms pass. */
  const send = (payloads: Uint8Array[], i: number, seq?: number): void => {
    uplink.push(rtp(payloads, i, seq))
    clock.advance(20)
  }
  return { clock, frames, firstRtp, asked, uplink, send }
}

/** Frames 0..4, then an outage: 5..54 never arrive; 55..59 do. The jump is an outage, so the uplink asks for 5..54. */
function outage(r: ReturnType<typeof rig>, payloads: Uint8Array[]): void {
  for (let i = 0; i < 5; i++) r.send(payloads, i)
  for (let i = 55; i < 60; i++) r.send(payloads, i)
  r.clock.advance(100) // the reorder hold (60 ms) runs out: 5..54 are lost, 55.. decoded after the jump
}

describe('Uplink: RTP in, complete ordered frames out', () => {
  it('decodes in-order packets at once, in order, with no timer armed', () => {
    const r = rig()
    const payloads = micFrames(10)
    for (let i = 0; i < 10; i++) {
      r.send(payloads, i)
      expect(r.frames).toHaveLength(i + 1) // released by the packet itself, not by a timer
    }
    expect(r.frames.map(index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    expect(r.frames.every((f) => !f.concealed && f.sampleRate === 48_000 && f.pcm.length === FRAME_SAMPLES)).toBe(true)
    expect(rms(r.frames[5]!.pcm)).toBeGreaterThan(0.15) // the tone (amplitude 0.3, RMS 0.21), not silence
    expect(r.frames[3]!.receivedAt).toBe(60) // the fake clock's time when packet 3 came
    expect(r.uplink.stats.receiver).toMatchObject({ packets: 10, decoded: 10, concealed: 0 })
    expect(r.clock.liveTimers).toBe(0)
  })

  it('decodes at the rate asked for (16 kHz: 320 samples), timestamps still in 48 kHz ticks', () => {
    const r = rig({ sampleRate: 16_000 })
    const payloads = micFrames(3)
    for (let i = 0; i < 3; i++) r.send(payloads, i)
    expect(r.frames.map((f) => [index(f), f.sampleRate, f.pcm.length])).toEqual([[0, 16_000, 320], [1, 16_000, 320], [2, 16_000, 320]])
  })

  it('puts reordered packets back in order; the held packet arms the reorder timer, which stops once nothing is held', () => {
    const r = rig()
    const payloads = micFrames(6)
    for (const i of [0, 1, 3]) r.uplink.push(rtp(payloads, i))
    expect(r.frames.map(index)).toEqual([0, 1]) // 3 waits for 2
    expect(r.clock.liveTimers).toBe(1)
    r.clock.advance(10)
    r.uplink.push(rtp(payloads, 2))
    expect(r.frames.map(index)).toEqual([0, 1, 2, 3])
    r.clock.advance(20) // the timer finds nothing held and is not re-armed
    expect(r.clock.liveTimers).toBe(0)
    for (const i of [4, 5]) r.send(payloads, i)
    expect(r.frames.map(index)).toEqual([0, 1, 2, 3, 4, 5])
    expect(r.frames.some((f) => f.concealed)).toBe(false)
  })

  it('recovers a lost packet from the next one\'s FEC, released by time even when no more packets come', () => {
    const r = rig()
    const payloads = micFrames(8)
    for (let i = 0; i < 5; i++) r.send(payloads, i)
    r.uplink.push(rtp(payloads, 6)) // 5 is lost; 6 is the last packet for a while
    expect(r.frames.map(index)).toEqual([0, 1, 2, 3, 4])
    r.clock.advance(40)
    expect(r.frames).toHaveLength(5) // still waiting for 5 (the hold is 60 ms)
    r.clock.advance(40)
    expect(r.frames.map(index)).toEqual([0, 1, 2, 3, 4, 5, 6])
    expect(r.frames[5]).toMatchObject({ concealed: true, recovery: 'fec' })
    expect(rms(r.frames[5]!.pcm)).toBeGreaterThan(0.1) // the tone rebuilt, not silence
    expect(r.uplink.stats.receiver).toMatchObject({ fecRecovered: 1, concealed: 1, lostSeq: 1 })
    expect(r.clock.liveTimers).toBe(0)
    expect(r.asked).toEqual([]) // a short loss is concealed, not asked for
  })
})

describe('Uplink: first RTP and timestamp jumps', () => {
  it('reports the first packet of a new or resumed stream once, with the clock time it came', () => {
    const r = rig()
    const payloads = micFrames(40)
    r.clock.advance(7)
    for (let i = 0; i < 3; i++) r.send(payloads, i)
    expect(r.firstRtp).toEqual([7])
    r.uplink.resumed()
    r.clock.advance(1000)
    for (let i = 30; i < 33; i++) r.send(payloads, i, SEQ0 + i - 27) // paused over 3..29: no packets, no sequence numbers
    expect(r.firstRtp).toEqual([7, 1067])
    r.uplink.restart()
    for (let i = 0; i < 2; i++) r.send(payloads, i) // a new producer's stream (its own timeline)
    expect(r.firstRtp).toEqual([7, 1067, 1127])
    expect(r.frames.map(index)).toEqual([0, 1, 2, 30, 31, 32, 0, 1])
    expect(r.uplink.stats.receiver.packets).toBe(2) // a new stream, a new receiver
  })

  it('an expected jump (after a resume) goes straight on; the same jump on a running stream is an outage that asks for the missing frames', () => {
    const payloads = micFrames(60)
    const resumed = rig()
    for (let i = 0; i < 5; i++) resumed.send(payloads, i)
    resumed.uplink.resumed()
    for (let i = 55; i < 60; i++) resumed.send(payloads, i, SEQ0 + i - 50) // paused over 5..54: no packets, no sequence numbers
    expect(resumed.asked).toEqual([])
    expect(resumed.frames.map(index)).toEqual([0, 1, 2, 3, 4, 55, 56, 57, 58, 59])
    expect(resumed.uplink.awaitingBackfill).toBe(false)

    const r = rig()
    outage(r, payloads)
    expect(r.asked).toEqual([{ from: (TS0 + 5 * T) >>> 0, frames: 50 }])
    expect(r.uplink.awaitingBackfill).toBe(true)
    expect(r.frames.map(index)).toEqual([0, 1, 2, 3, 4]) // live audio after the gap is held behind it
    expect(r.uplink.stats.backfill.gaps).toBe(1)
    expect(r.clock.liveTimers).toBe(1) // the backfill wait
  })
})

describe('Uplink: backfill through the gate', () => {
  it('takes the client\'s frames for the gap and releases gap and held live audio in order', () => {
    const payloads = micFrames(60)
    const r = rig()
    outage(r, payloads)
    const kept = Array.from({ length: 50 }, (_, k) => ({ rtpTimestamp: TS0 + (5 + k) * T, opus: payloads[5 + k]! }))
    // In two chunks, the second out of order: frame 54 never comes, so it stays silence.
    expect(r.uplink.backfill(kept.slice(0, 30), false)).toBe(30)
    expect(r.frames).toHaveLength(5)
    expect(r.uplink.backfill(kept.slice(30, 49).reverse(), true)).toBe(19)
    expect(r.frames.map(index)).toEqual(Array.from({ length: 60 }, (_, i) => i))
    expect(r.frames.slice(5, 54).every((f) => f.backfilled && !f.concealed)).toBe(true)
    expect(r.frames[54]).toMatchObject({ concealed: true, recovery: 'silence' })
    expect(rms(r.frames[30]!.pcm)).toBeGreaterThan(0.15) // the client's audio, decoded
    // Decoded in timestamp order by a decoder of their own: sample for sample what a fresh decoder gives in order.
    const reference = new OpusFrameDecoder()
    for (let i = 5; i < 54; i++) expect(r.frames[i]!.pcm).toEqual(reference.decode(payloads[i]!))
    expect(r.uplink.stats.backfill).toMatchObject({ gaps: 1, backfilled: 49, unfilled: 1, released: 5 })
    expect(r.uplink.awaitingBackfill).toBe(false)
    expect(r.clock.liveTimers).toBe(0)
    r.send(payloads, 59) // a duplicate: late, dropped
    expect(r.frames).toHaveLength(60)
    expect(r.uplink.stats.receiver.late).toBe(1)
  })

  it('refuses backfill nobody asked for, and frames outside the gap or undecodable', () => {
    const payloads = micFrames(60)
    const r = rig()
    for (let i = 0; i < 5; i++) r.send(payloads, i)
    expect(r.uplink.backfill([{ rtpTimestamp: TS0 + 5 * T, opus: payloads[5]! }], true)).toBe(0) // no gap pending
    expect(r.frames).toHaveLength(5)
    for (let i = 55; i < 60; i++) r.send(payloads, i)
    r.clock.advance(100)
    const outside = { rtpTimestamp: TS0 + 55 * T, opus: payloads[55]! }
    const misaligned = { rtpTimestamp: TS0 + 6 * T + 1, opus: payloads[6]! }
    const junk = { rtpTimestamp: TS0 + 7 * T, opus: Uint8Array.of(0xff, 0xff, 0xff) }
    expect(r.uplink.backfill([outside, misaligned, junk], false)).toBe(0)
    expect(r.uplink.awaitingBackfill).toBe(true)
  })

  it('gives up waiting after 5 s (silence fills the gap); the client coming back restarts the wait and asks again', () => {
    const payloads = micFrames(60)
    const r = rig()
    outage(r, payloads)
    r.clock.advance(4000)
    r.uplink.clientReachable()
    expect(r.asked).toHaveLength(2)
    expect(r.asked[1]).toEqual(r.asked[0])
    r.clock.advance(4500)
    expect(r.uplink.awaitingBackfill).toBe(true) // 8.5 s since the gap, 4.5 s since the client could be asked
    r.clock.advance(600)
    expect(r.uplink.awaitingBackfill).toBe(false)
    expect(r.frames.map(index)).toEqual(Array.from({ length: 60 }, (_, i) => i))
    expect(r.frames.slice(5, 55).every((f) => f.concealed && f.recovery === 'silence')).toBe(true)
    expect(r.uplink.stats.backfill).toMatchObject({ timedOut: 1, unfilled: 50, released: 5 })
    expect(r.clock.liveTimers).toBe(0)
    r.uplink.clientReachable() // nothing pending: nothing asked
    expect(r.asked).toHaveLength(2)
  })
})

describe('Uplink: close', () => {
  it('stops both timers, drops held audio, and ignores packets and backfill after', () => {
    const payloads = micFrames(62)
    const r = rig()
    outage(r, payloads)
    r.uplink.push(rtp(payloads, 61)) // 60 is missing: 61 is held in the reorder buffer
    expect(r.clock.liveTimers).toBe(2) // the reorder poll and the backfill wait
    r.uplink.close()
    r.uplink.close() // idempotent
    expect(r.clock.liveTimers).toBe(0)
    r.clock.advance(10_000)
    r.uplink.push(rtp(payloads, 0))
    expect(r.uplink.backfill([{ rtpTimestamp: TS0 + 5 * T, opus: payloads[5]! }], true)).toBe(0)
    r.uplink.clientReachable()
    expect(r.frames.map(index)).toEqual([0, 1, 2, 3, 4])
    expect(r.asked).toHaveLength(1)
    expect(r.clock.liveTimers).toBe(0)
  })
})

describe('Uplink: totals for the operator metrics', () => {
  it('counts packets, lost sequence numbers and decode time across restarts (a new producer starts a new receiver)', () => {
    const r = rig()
    const payloads = micFrames(12)
    for (let i = 0; i < 5; i++) r.send(payloads, i)
    r.uplink.push(rtp(payloads, 6)) // 5 lost
    r.clock.advance(100)
    expect(r.uplink.totals).toMatchObject({ packets: 6, lost: 1 })
    expect(r.uplink.totals.decodeMs).toBeGreaterThan(0)
    const before = r.uplink.totals
    r.uplink.restart()
    for (let i = 0; i < 3; i++) r.send(payloads, i)
    expect(r.uplink.stats.receiver.packets).toBe(3) // the receiver's own stats start again
    expect(r.uplink.totals).toMatchObject({ packets: 9, lost: 1 })
    expect(r.uplink.totals.decodeMs).toBeGreaterThanOrEqual(before.decodeMs)
  })
})

import { describe, expect, it } from 'vitest'
import { AudioReceiver, type AudioFrame } from '../../../../src/server/audio/audioReceiver'
import { FRAME_SAMPLES, OpusFrameEncoder } from '../../../../src/server/audio/opusCodec'
import { ReorderBuffer } from '../../../../src/server/audio/reorderBuffer'
import { buildRtp, parseRtp, seqDelta } from '../../../../src/server/audio/rtp'

function tone(n: number, freq = 440, amp = 0.3, phase = 0): Int16Array {
  const out = new Int16Array(n)
  for (let i = 0; i < n; i++) out[i] = Math.round(Math.sin((2 * Math.PI * freq * (i + phase)) / 48_000) * amp * 32767)
  return out
}

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

describe('AudioReceiver', () => {
  it('decodes Opus RTP, skips padding-only packets in the sequence, conceals a lost frame by timestamp', () => {
    const enc = new OpusFrameEncoder()
    const frames: AudioFrame[] = []
    const rx = new AudioReceiver((f) => frames.push(f), { reorderHoldMs: 40 })
    let seq = 100
    const packets: Buffer[] = []
    for (let i = 0; i < 10; i++) {
      const payload = enc.encode(tone(FRAME_SAMPLES, 440, 0.3, i * FRAME_SAMPLES))
      packets.push(buildRtp({ payloadType: 111, marker: i === 0, sequenceNumber: seq++, timestamp: 5000 + i * FRAME_SAMPLES, ssrc: 1, payload }))
      if (i === 4) {
        // a padding-only probe in the same sequence space
        const probe = Buffer.from([0xa0, 111, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 4])
        probe.writeUInt16BE(seq++, 2)
        packets.push(probe)
      }
    }
    packets.splice(7, 1) // lose audio frame 6 (index 7 after the probe)
    packets.push(Buffer.from([1, 2, 3])) // garbage
    let t = 0
    for (const p of packets) rx.push(p, (t += 20))
    rx.poll(t + 100)
    expect(frames.map((f) => (f.rtpTimestamp - 5000) / FRAME_SAMPLES)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    expect(frames.filter((f) => f.concealed).map((f) => (f.rtpTimestamp - 5000) / FRAME_SAMPLES)).toEqual([6])
    expect(rx.stats).toMatchObject({ paddingOnly: 1, malformed: 1, decoded: 9, concealed: 1, fecRecovered: 1 })
    // The lost frame was rebuilt from the next packet's in-band FEC: it carries the tone, not silence.
    expect(frames[6]!.recovery).toBe('fec')
    const lostRms = Math.sqrt(frames[6]!.pcm.reduce((s, x) => s + x * x, 0) / FRAME_SAMPLES) / 32768
    expect(lostRms).toBeGreaterThan(0.1)
    // Decoded audio carries the tone (Opus is lossy; check energy, not samples).
    const rms = Math.sqrt(frames[3]!.pcm.reduce((s, x) => s + x * x, 0) / FRAME_SAMPLES) / 32768
    expect(rms).toBeGreaterThan(0.15)
  })
})

describe('AudioReceiver decoder choice', () => {
  it('decodes straight to the rate the pipeline asked for: 16 kHz frames of 320 samples, timestamps still in 48 kHz ticks', () => {
    const enc = new OpusFrameEncoder()
    const frames: AudioFrame[] = []
    const rx = new AudioReceiver((f) => frames.push(f), { reorderHoldMs: 40, sampleRate: 16_000 })
    const packets: Buffer[] = []
    for (let i = 0; i < 12; i++) {
      const payload = enc.encode(tone(FRAME_SAMPLES, 440, 0.3, i * FRAME_SAMPLES))
      packets.push(buildRtp({ payloadType: 111, marker: i === 0, sequenceNumber: 7 + i, timestamp: 9600 + i * FRAME_SAMPLES, ssrc: 1, payload }))
    }
    packets.splice(6, 1) // a loss: rebuilt from FEC at 16 kHz too
    let t = 0
    for (const p of packets) rx.push(p, (t += 20))
    rx.poll(t + 100)
    expect(frames.map((f) => [f.sampleRate, f.pcm.length])).toEqual(Array.from({ length: 12 }, () => [16_000, 320]))
    expect(frames.map((f) => (f.rtpTimestamp - 9600) / FRAME_SAMPLES)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])
    expect(frames[6]).toMatchObject({ concealed: true, recovery: 'fec' })
    // The 440 Hz tone survives the resampling inside the decoder: energy near the 0.3 amplitude's RMS (0.21).
    const rms = Math.sqrt(frames[4]!.pcm.reduce((s, x) => s + x * x, 0) / 320) / 32768
    expect(rms).toBeGreaterThan(0.15)
    expect(rms).toBeLessThan(0.3)
  })

  it('a loss moves the stream to the FEC/PLC decoder; a loss-free stretch moves it back without a glitch', () => {
    const enc = new OpusFrameEncoder()
    const packets: Buffer[] = []
    for (let i = 0; i < 120; i++) {
      const payload = enc.encode(tone(FRAME_SAMPLES, 300 + (i % 7) * 40, 0.3, i * FRAME_SAMPLES))
      packets.push(buildRtp({ payloadType: 111, marker: i === 0, sequenceNumber: 1000 + i, timestamp: i * FRAME_SAMPLES, ssrc: 1, payload }))
    }
    packets.splice(20, 1) // one loss at frame 20
    const run = (nativeAfterLossFreePackets: number): { frames: AudioFrame[]; rx: AudioReceiver } => {
      const frames: AudioFrame[] = []
      const rx = new AudioReceiver((f) => frames.push(f), { reorderHoldMs: 40, nativeAfterLossFreePackets })
      let t = 0
      for (const p of packets) rx.push(p, (t += 20))
      rx.poll(t + 100)
      return { frames, rx }
    }
    const switching = run(50)
    const staying = run(Number.POSITIVE_INFINITY)
    expect(switching.rx.stats).toMatchObject({ nativeResumes: 1, concealed: 1, fecRecovered: 1, decoded: 119 })
    expect(staying.rx.stats.nativeResumes).toBe(0)
    // After the switch (frame 21 + 50), the native decoder, warmed on the last packets, gives what the loss decoder
    // would have: the same libopus, so the audio goes on without a click.
    let signal = 0
    let error = 0
    for (let f = 70; f < 80; f++) {
      const a = switching.frames[f]!.pcm
      const b = staying.frames[f]!.pcm
      for (let i = 0; i < FRAME_SAMPLES; i++) {
        signal += b[i]! * b[i]!
        error += (a[i]! - b[i]!) ** 2
      }
    }
    expect(10 * Math.log10(signal / Math.max(1, error))).toBeGreaterThan(30)
  })
})

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
      for (let i = 0; i < a.length; i++) (ab += a[i]! * b[i]!), (aa += a[i]! ** 2), (bb += b[i]! ** 2)
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

import { describe, expect, it } from 'vitest'
import { AudioReceiver, type AudioFrame } from '../../../../src/server/audio/audioReceiver'
import { FRAME_SAMPLES, OpusFrameEncoder } from '../../../../src/server/audio/opusCodec'
import { buildRtp } from '../../../../src/server/audio/rtp'

function tone(n: number, freq = 440, amp = 0.3, phase = 0): Int16Array {
  const out = new Int16Array(n)
  for (let i = 0; i < n; i++) out[i] = Math.round(Math.sin((2 * Math.PI * freq * (i + phase)) / 48_000) * amp * 32767)
  return out
}

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

import * as opus from '@evan/opus'

/** Server audio format: 48 kHz mono, 20 ms frames of signed 16-bit samples (what WebRTC Opus carries). */
export const SAMPLE_RATE = 48_000
export const FRAME_MS = 20
export const FRAME_SAMPLES = (SAMPLE_RATE * FRAME_MS) / 1000

export class OpusFrameDecoder {
  private readonly decoder = new opus.Decoder({ channels: 1, sample_rate: SAMPLE_RATE })
  /** Throws on a corrupt payload; the caller counts it and conceals. Returns a copy the caller may keep. */
  decode(payload: Uint8Array): Int16Array {
    const bytes = this.decoder.decode(payload)
    const pcm = new Int16Array(bytes.byteLength >> 1)
    new Uint8Array(pcm.buffer).set(bytes.subarray(0, pcm.length * 2))
    return pcm
  }
  /** Forget the decoder's history (after a jump in the stream, predicting from stale state makes artifacts). */
  reset(): void {
    this.decoder.reset()
  }
}

export interface OpusEncoderOptions {
  bitrate?: number
  /** In-band FEC, tuned for this expected loss percentage. */
  expectedLossPercent?: number
}

export class OpusFrameEncoder {
  private readonly encoder = new opus.Encoder({ channels: 1, sample_rate: SAMPLE_RATE, application: 'voip' })
  constructor(opts: OpusEncoderOptions = {}) {
    this.encoder.bitrate = opts.bitrate ?? 32_000
    this.encoder.inband_fec = true
    this.encoder.packet_loss = opts.expectedLossPercent ?? 5
    this.encoder.dtx = false
  }
  /** One 20 ms frame (FRAME_SAMPLES samples) → one Opus packet (copied). */
  encode(pcm: Int16Array): Uint8Array {
    if (pcm.length !== FRAME_SAMPLES) throw new Error(`Opus frame must be ${FRAME_SAMPLES} samples, got ${pcm.length}`)
    return Uint8Array.from(this.encoder.encode(pcm))
  }
}

/**
 * The project's audio formats, defined once; the names elsewhere (CAPTURE_FRAME_SAMPLES, VAD_FRAME_SAMPLES,
 * SERVER_VAD_FRAME, FRAME_SAMPLES, REPLY_FRAME_SAMPLES, …) say which use and are these values.
 *
 * Speech analysis (the renderer's capture tap, Silero VAD in the app and in the backend, endpointing, STT) works on
 * 16 kHz mono in 512-sample frames: Silero v5/v6 take exactly 512 new samples at 16 kHz per call. WebRTC audio is
 * Opus at a 48 kHz clock (RTP timestamps count 48 kHz ticks whatever rate it is decoded at) in 20 ms frames.
 */
export const SPEECH_SAMPLE_RATE = 16_000
export const SPEECH_FRAME_SAMPLES = 512
/** 32 ms. */
export const SPEECH_FRAME_MS = (SPEECH_FRAME_SAMPLES / SPEECH_SAMPLE_RATE) * 1000

export const OPUS_SAMPLE_RATE = 48_000
export const OPUS_FRAME_MS = 20
/** 960 samples (and RTP ticks) per 20 ms frame. */
export const OPUS_FRAME_SAMPLES = (OPUS_SAMPLE_RATE * OPUS_FRAME_MS) / 1000

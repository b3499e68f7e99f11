import { describe, expect, it } from 'vitest'
import { OPUS_FRAME_MS, OPUS_FRAME_SAMPLES, OPUS_SAMPLE_RATE, SPEECH_FRAME_MS, SPEECH_FRAME_SAMPLES, SPEECH_SAMPLE_RATE } from '../../../../src/shared/audio/format'
import { CAPTURE_FRAME_SAMPLES, CAPTURE_SAMPLE_RATE } from '../../../../src/shared/contract/voice'
import { VAD_FRAME_MS, VAD_FRAME_SAMPLES, VAD_SAMPLE_RATE } from '../../../../src/node/vad/sileroVad'
import { SERVER_VAD_FRAME, SERVER_VAD_FRAME_MS, SERVER_VAD_RATE } from '../../../../src/server/vad/serverVad'
import { FRAME_MS, FRAME_SAMPLES, SAMPLE_RATE } from '../../../../src/server/audio/opusCodec'
import { REPLY_FRAME_SAMPLES, REPLY_RATE } from '../../../../src/server/voice/conversationTurn'

describe('audio formats, defined once', () => {
  it('speech analysis: 16 kHz, 512-sample (32 ms) frames, as Silero VAD takes them', () => {
    expect([SPEECH_SAMPLE_RATE, SPEECH_FRAME_SAMPLES, SPEECH_FRAME_MS]).toEqual([16_000, 512, 32])
  })

  it('Opus over WebRTC: 48 kHz, 20 ms = 960-sample frames', () => {
    expect([OPUS_SAMPLE_RATE, OPUS_FRAME_MS, OPUS_FRAME_SAMPLES]).toEqual([48_000, 20, 960])
  })

  it("every use's name is the one value: capture tap, app VAD and server VAD agree; so do the codec and the reply", () => {
    expect(new Set([CAPTURE_FRAME_SAMPLES, VAD_FRAME_SAMPLES, SERVER_VAD_FRAME])).toEqual(new Set([SPEECH_FRAME_SAMPLES]))
    expect(new Set([CAPTURE_SAMPLE_RATE, VAD_SAMPLE_RATE, SERVER_VAD_RATE])).toEqual(new Set([SPEECH_SAMPLE_RATE]))
    expect(new Set([VAD_FRAME_MS, SERVER_VAD_FRAME_MS])).toEqual(new Set([SPEECH_FRAME_MS]))
    expect(new Set([FRAME_SAMPLES, REPLY_FRAME_SAMPLES])).toEqual(new Set([OPUS_FRAME_SAMPLES]))
    expect(new Set([SAMPLE_RATE, REPLY_RATE])).toEqual(new Set([OPUS_SAMPLE_RATE]))
    expect(FRAME_MS).toBe(OPUS_FRAME_MS)
  })
})

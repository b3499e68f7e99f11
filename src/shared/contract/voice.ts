import { z } from 'zod'
import { SPEECH_FRAME_SAMPLES, SPEECH_SAMPLE_RATE } from '../audio/format'

/**
 * Local voice contract: VAD/endpointing events, local transcripts, and the audio frames the renderer's capture tap
 * streams to the main process (browser mode: binary WebSocket frames; Electron: a MessagePort).
 */

/** Capture tap audio: float32 little-endian PCM, 16 kHz mono, 512-sample (32 ms) frames; a message may batch several. */
export const CAPTURE_SAMPLE_RATE = SPEECH_SAMPLE_RATE
export const CAPTURE_FRAME_SAMPLES = SPEECH_FRAME_SAMPLES
/** Electron: the IPC channel on which the preload hands the capture tap's MessagePort to the main process. */
export const CAPTURE_AUDIO_PORT_CHANNEL = 'voice-capture-port'

/** At most 1 s of audio per message: a bigger one is refused (and never buffered). */
export const CAPTURE_MAX_SAMPLES_PER_MESSAGE = SPEECH_SAMPLE_RATE

/** Turn a received binary message into samples, or say why it is not audio. Non-finite samples are refused. */
export function decodeCaptureAudio(bytes: ArrayBuffer | Uint8Array): { ok: true; samples: Float32Array } | { ok: false; reason: string } {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)
  if (view.byteLength === 0) return { ok: false, reason: 'empty audio frame' }
  if (view.byteLength % 4 !== 0) return { ok: false, reason: `audio frame of ${view.byteLength} bytes is not whole float32 samples` }
  const count = view.byteLength / 4
  if (count > CAPTURE_MAX_SAMPLES_PER_MESSAGE) return { ok: false, reason: `audio frame of ${count} samples exceeds ${CAPTURE_MAX_SAMPLES_PER_MESSAGE}` }
  // Copy into an aligned buffer (WebSocket payloads may start at any offset) and read little-endian explicitly.
  const samples = new Float32Array(count)
  const dv = new DataView(view.buffer, view.byteOffset, view.byteLength)
  for (let i = 0; i < count; i++) {
    const v = dv.getFloat32(i * 4, true)
    if (!Number.isFinite(v)) return { ok: false, reason: `audio sample ${i} is not a finite number` }
    samples[i] = v
  }
  return { ok: true, samples }
}

const ms = z.number().finite().nonnegative()
const base = { utteranceId: z.number().int().positive(), atMs: ms, wallTime: z.number() }

/** One endpointing event. Times are ms of capture-stream audio; wallTime is Date.now() when the service emitted it. */
export const vadEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('speech_start'), ...base, startMs: ms, audioStartMs: ms }),
  z.object({ type: z.literal('speech_end'), ...base, endMs: ms }),
  z.object({ type: z.literal('speech_resume'), ...base }),
  z.object({
    type: z.literal('end_of_utterance'),
    ...base,
    startMs: ms,
    endMs: ms,
    audioStartMs: ms,
    endOfUtteranceDelayMs: z.number().finite(),
    reason: z.enum(['silence', 'max_length', 'flush'])
  })
])
export type VadEvent = z.infer<typeof vadEventSchema>

export const vadStatusSchema = z.object({
  state: z.enum(['loading', 'ready', 'error']),
  detail: z.string().nullable(),
  /** Frames classified since start; shows audio is arriving. */
  frames: z.number().int().nonnegative(),
  /** Speech probability of the latest frame. */
  probability: z.number().min(0).max(1)
})
export type VadStatus = z.infer<typeof vadStatusSchema>

export const vadControlSchema = z.object({
  /** flush: commit the open utterance now (push-to-talk released). reset: forget the stream (mic reopened). */
  action: z.enum(['flush', 'reset'])
}).strict()

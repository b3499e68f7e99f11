/** On-device speech-to-text: one utterance of 16 kHz mono audio in, its text out. */
export interface SttResult {
  text: string
  /** Token ids the decoder produced (without start/end tokens), for diagnostics and tests. */
  tokens: number[]
  audioMs: number
  /** Wall time of the whole transcription on the thread that ran it (encoder + decoding + detokenizing). */
  transcriptionMs: number
  /** The encoder's share of transcriptionMs. */
  encoderMs: number
  /** The greedy decoding loop's share of transcriptionMs. */
  decoderMs: number
  /** Decoder runs, including the one that produced the end token; decoderMs / decodeSteps is the cost per token. */
  decodeSteps: number
}

export interface SttEngine {
  /** e.g. "moonshine-tiny-q8". */
  readonly id: string
  transcribe(audio: Float32Array): Promise<SttResult>
  dispose(): Promise<void>
}

/**
 * no_model / bad_model: the model folder is missing or unusable; bad_audio: the input is not 16 kHz float audio;
 * inference: the engine failed on this utterance; busy: the service's queue was full, this utterance was not taken;
 * crashed: the worker thread died while transcribing this utterance (the service restarts it); cancelled: the caller
 * withdrew the request; stopped: the service was stopped.
 */
export type SttErrorCode = 'no_model' | 'bad_model' | 'bad_audio' | 'inference' | 'busy' | 'crashed' | 'cancelled' | 'stopped'

export class SttError extends Error {
  constructor(
    readonly code: SttErrorCode,
    message: string
  ) {
    super(message)
    this.name = 'SttError'
  }
}

/** On-device speech-to-text: one utterance of 16 kHz mono audio in, its text out. */
export interface SttResult {
  text: string
  /** Token ids the decoder produced (without start/end tokens), for diagnostics and tests. */
  tokens: number[]
  audioMs: number
  transcriptionMs: number
}

export interface SttEngine {
  /** e.g. "moonshine-tiny-q8". */
  readonly id: string
  transcribe(audio: Float32Array): Promise<SttResult>
  dispose(): Promise<void>
}

export class SttError extends Error {
  constructor(
    readonly code: 'no_model' | 'bad_model' | 'bad_audio' | 'inference',
    message: string
  ) {
    super(message)
    this.name = 'SttError'
  }
}

import type { EndpointEvent, EndpointerConfig } from '../../../shared/voice/endpointer'

/** Messages between VadService (main thread) and vadWorker (worker thread). */
export interface VadWorkerData {
  modelPath?: string
  config: Partial<EndpointerConfig>
}

export type VadToWorker =
  | { type: 'audio'; samples: Float32Array }
  | { type: 'flush' }
  | { type: 'reset' }
  | { type: 'probe' }

export type VadFromWorker =
  | { type: 'ready' }
  | { type: 'fatal'; message: string }
  | { type: 'error'; message: string }
  | { type: 'probe'; frames: number; probability: number }
  | {
      type: 'events'
      events: EndpointEvent[]
      utterances: Array<{ utteranceId: number; audioStartMs: number; audio: Float32Array }>
      frames: number
      probability: number
    }

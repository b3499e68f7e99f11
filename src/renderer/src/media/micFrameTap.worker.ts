/// <reference lib="webworker" />
/**
 * The worker behind the mic's RTCRtpScriptTransform (see micBackfill.ts): each encoded Opus frame of the mic goes
 * on to the wire from this thread at once, never waiting for the renderer's main thread (React, signaling, setting
 * up the reply transport); a copy of its bytes and its RTP timestamp is posted to the page, which keeps the last
 * seconds for backfill after a link outage (MicFrameRing). One worker serves every send transport of a
 * conversation; `generation` tells the page which sender a frame came from. No imports.
 */

/** What the page receives from this worker. */
export type MicFrameTapMessage =
  | { type: 'ready' }
  | { type: 'frame'; generation: number; rtpTimestamp: number; data: ArrayBuffer }
  | { type: 'ended'; generation: number; error: string }

interface EncodedAudioFrame {
  readonly data: ArrayBuffer
  readonly timestamp?: number
  getMetadata(): { rtpTimestamp?: number }
}

interface ScriptTransformer {
  readonly readable: ReadableStream<EncodedAudioFrame>
  readonly writable: WritableStream<EncodedAudioFrame>
  readonly options?: { generation?: number }
}

const scope = self as unknown as {
  postMessage(message: MicFrameTapMessage, transfer?: Transferable[]): void
  addEventListener(type: 'rtctransform', listener: (event: Event & { transformer: ScriptTransformer }) => void): void
}

scope.addEventListener('rtctransform', (event) => {
  const { readable, writable, options } = event.transformer
  const generation = options?.generation ?? 0
  const keep = new TransformStream<EncodedAudioFrame, EncodedAudioFrame>({
    transform(frame, controller) {
      const data = frame.data.slice(0)
      const rtpTimestamp = frame.getMetadata().rtpTimestamp ?? frame.timestamp ?? 0
      controller.enqueue(frame) // the wire first
      scope.postMessage({ type: 'frame', generation, rtpTimestamp, data }, [data])
    }
  })
  readable
    .pipeThrough(keep)
    .pipeTo(writable)
    .catch((error: unknown) => scope.postMessage({ type: 'ended', generation, error: String(error) }))
})

scope.postMessage({ type: 'ready' })

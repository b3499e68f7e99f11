import type { SessionNotification } from '../../../shared/contract/signaling'
import { MicFrameRing } from './micFrameRing'
import micFrameTapWorkerUrl from './micFrameTap.worker.ts?worker&url'
import type { MicFrameTapMessage } from './micFrameTap.worker'

/**
 * Mic backfill, the client's half: a tap on the mic's encoded Opus frames keeps the last 30 s of them (MicFrameRing),
 * and when the server reports an uplink gap (`uplinkGap`: the frames it missed while the link was down, by RTP
 * timestamp) they are sent back with `backfillAudio`. The tap runs in a worker (RTCRtpScriptTransform) where it can,
 * else on this thread (createEncodedStreams), else there is none and an outage loses its audio.
 *
 * One per conversation connection: its worker is started with the connection, serves every send transport the
 * connection makes (a rebuilt session has a new one) and is stopped by close().
 */

/** Where the tap runs for the next send transport. */
export type MicTapMode = 'worker' | 'main-thread' | null

/** What a new send transport needs for its tap. */
export interface SenderTap {
  mode: MicTapMode
  /** Spread into the send transport's options (Chromium's createEncodedStreams flag for the main-thread tap). */
  transportOptions: { additionalSettings?: Partial<RTCConfiguration> }
  /**
   * For mediasoup-client's produce({ onRtpSender }): the tap goes on the RTCRtpSender as soon as it exists (before the
   * offer). With encoded streams enabled the sender passes no frame to the wire until the tap forwards it, so a tap
   * set up after `produce` answered would hold back the first packets of a cold join although ICE and DTLS were long done.
   */
  onRtpSender?: (sender: RTCRtpSender) => void
}

/** One `backfillAudio` request's params. */
export interface BackfillChunk {
  frames: Array<{ rtpTimestamp: number; opus: string }>
  done: boolean
}

export interface MicBackfillOptions {
  log(line: string): void
  /** A tap is on the mic's sender: outages will be backfilled. */
  onAvailable(): void
  /** The frames kept; default 30 s of 20 ms frames. */
  ring?: MicFrameRing
}

/**
 * Frames per backfillAudio request: 100 frames of ~100 B of Opus are ~18 KB of JSON with base64, within the contract's
 * 200 frames per request and the 64 KiB signaling frame (MAX_SIGNALING_FRAME_BYTES).
 */
export const BACKFILL_CHUNK_FRAMES = 100

export class MicBackfill {
  private readonly ring: MicFrameRing
  /** The tap's worker, started with the connection; null where it cannot run. */
  private readonly worker: Promise<Worker | null>
  /** Which send transport's tap the ring is filled from: frames of an older sender are ignored. */
  private generation = 0
  private closed = false

  constructor(private readonly opts: MicBackfillOptions) {
    this.ring = opts.ring ?? new MicFrameRing()
    // Started now so it is running long before the send transport is made (signaling, join and Device.load first).
    this.worker = this.startWorker()
  }

  /**
   * The tap for the send transport about to be made. From here on frames of earlier senders are dropped and the
   * ring starts empty (a new sender starts a new RTP timestamp sequence).
   */
  async tapNextSender(): Promise<SenderTap> {
    const worker = await this.worker
    const mode: MicTapMode = worker ? 'worker' : supportsEncodedStreams() ? 'main-thread' : null
    this.ring.clear()
    const generation = ++this.generation
    if (mode === 'worker') return { mode, transportOptions: {}, onRtpSender: (sender) => this.tapInWorker(sender, worker!, generation) }
    // Chromium's (non-standard) RTCConfiguration flag for createEncodedStreams().
    if (mode === 'main-thread') return { mode, transportOptions: { additionalSettings: { encodedInsertableStreams: true } as Partial<RTCConfiguration> }, onRtpSender: (sender) => this.tapOnMainThread(sender) }
    return { mode, transportOptions: {} }
  }

  /**
   * The server missed frames while the link was down: send what we kept, in chunks, the last one saying we are done.
   * Returns the frames sent, or null when the notification names no frame range (nothing is sent then).
   */
  async answerGap(detail: SessionNotification['detail'], send: (chunk: BackfillChunk) => Promise<unknown>): Promise<number | null> {
    const from = Number(detail?.fromRtpTimestamp)
    const count = Number(detail?.frames)
    if (!Number.isFinite(from) || !Number.isFinite(count) || count <= 0) return null
    const frames = this.ring.range(from, count)
    for (let i = 0; i === 0 || i < frames.length; i += BACKFILL_CHUNK_FRAMES) {
      const chunk = frames.slice(i, i + BACKFILL_CHUNK_FRAMES)
      await send({ frames: chunk.map((f) => ({ rtpTimestamp: f.rtpTimestamp, opus: toBase64(f.data) })), done: i + BACKFILL_CHUNK_FRAMES >= frames.length })
    }
    return frames.length
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    void this.worker.then((worker) => worker?.terminate())
  }

  /**
   * The mic's encoded frames pass through a worker (micFrameTap.worker.ts) on their way to the wire, off this thread:
   * a busy renderer (React, signaling, the reply transport being set up) does not delay them. The worker posts each
   * frame's copy back here for the ring. Measured with the page's main thread busy half the time in 15 ms slices:
   * uplink delay variation at the server p50/p95/p99 1.2/10.6/16.1 ms with the worker vs 6.0/19.0/30.7 ms with the
   * tap on this thread (the worker is as good as no tap at all); on an idle page the three are alike.
   */
  private tapInWorker(sender: RTCRtpSender, worker: Worker, generation: number): void {
    try {
      sender.transform = new RTCRtpScriptTransform(worker, { generation })
      this.opts.log('mic frames tapped in a worker (RTCRtpScriptTransform)')
      this.opts.onAvailable()
    } catch (error) {
      this.opts.log(`cannot tap encoded mic frames in a worker (no backfill after outages): ${String(error)}`)
    }
  }

  /** Every encoded mic frame passes through unchanged; a copy is kept (by RTP timestamp) for backfill. */
  private tapOnMainThread(rtpSender: RTCRtpSender): void {
    const sender = rtpSender as RTCRtpSender & { createEncodedStreams?(): { readable: ReadableStream; writable: WritableStream } }
    if (!sender.createEncodedStreams) return
    try {
      const { readable, writable } = sender.createEncodedStreams()
      const ring = this.ring
      const keep = new TransformStream<RTCEncodedAudioFrame, RTCEncodedAudioFrame>({
        transform(frame, controller) {
          const ts = frame.getMetadata().rtpTimestamp ?? frame.timestamp
          ring.push(ts, new Uint8Array(frame.data.slice(0)))
          controller.enqueue(frame)
        }
      })
      void readable.pipeThrough(keep).pipeTo(writable).catch((error: unknown) => this.opts.log(`mic frame tap ended: ${String(error)}`))
      this.opts.onAvailable()
    } catch (error) {
      this.opts.log(`cannot tap encoded mic frames (no backfill after outages): ${String(error)}`)
    }
  }

  /** Start the tap's worker; null (and the tap falls back to this thread) where it cannot run. */
  private startWorker(): Promise<Worker | null> {
    if (typeof Worker === 'undefined' || typeof RTCRtpScriptTransform === 'undefined') return Promise.resolve(null)
    return new Promise((resolve) => {
      let worker: Worker
      try {
        worker = new Worker(micFrameTapWorkerUrl, { name: 'mic-frame-tap' })
      } catch (error) {
        this.opts.log(`mic frame tap worker did not start: ${String(error)}`)
        resolve(null)
        return
      }
      const fail = (why: string): void => {
        this.opts.log(`mic frame tap worker unavailable (${why}); tapping on the main thread`)
        worker.terminate()
        resolve(null)
      }
      const timer = setTimeout(() => fail('not ready within 3 s'), 3000)
      worker.onerror = (e) => {
        clearTimeout(timer)
        fail(e.message || 'error')
      }
      worker.onmessage = (e: MessageEvent<MicFrameTapMessage>) => {
        const msg = e.data
        if (msg.type === 'ready') {
          clearTimeout(timer)
          worker.onerror = (err) => this.opts.log(`mic frame tap worker error: ${err.message}`)
          resolve(worker)
        } else if (msg.type === 'frame') {
          if (msg.generation === this.generation) this.ring.push(msg.rtpTimestamp, new Uint8Array(msg.data))
        } else if (msg.type === 'ended' && msg.generation === this.generation && !this.closed) {
          this.opts.log(`mic frame tap ended: ${msg.error}`)
        }
      }
    })
  }
}

function supportsEncodedStreams(): boolean {
  return typeof RTCRtpSender !== 'undefined' && 'createEncodedStreams' in RTCRtpSender.prototype
}

function toBase64(bytes: Uint8Array): string {
  let s = ''
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]!)
  return btoa(s)
}

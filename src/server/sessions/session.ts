import { randomBytes, randomUUID } from 'node:crypto'
import type { types as ms } from 'mediasoup'
import { ContractError } from '../../shared/contract/errors'
import type { SessionNotification, SessionPipelineName } from '../../shared/contract/signaling'
import type { AudioFrame, AudioReceiverStats } from '../audio/audioReceiver'
import type { BackfillGateStats } from '../audio/backfillGate'
import { OpusFrameEncoder, SAMPLE_RATE } from '../audio/opusCodec'
import { realClock, type Clock } from '../../shared/clock'
import { PacedSender } from '../audio/pacedSender'
import { buildRtp } from '../audio/rtp'
import { Uplink, type UplinkTotals } from '../audio/uplink'
import type { ClientEvent, PipelineFactory, SessionPipeline } from '../pipelines/types'
import { silentLogger, type Logger } from '../../shared/logging/logger'

/** Opus as WebRTC negotiates it: 48 kHz, "2 channels" in SDP (the stream itself is mono), in-band FEC, no DTX. */
export const SESSION_MEDIA_CODECS: ms.RtpCodecCapability[] = [
  { kind: 'audio', mimeType: 'audio/opus', clockRate: 48_000, channels: 2, parameters: { useinbandfec: 1, usedtx: 0, minptime: 10 } }
]

const REPLY_PAYLOAD_TYPE = 100

export interface SessionDeps {
  worker: ms.Worker
  workerIndex: number
  webRtcServer: ms.WebRtcServer
  pipelineName: SessionPipelineName
  pipelineFactory: PipelineFactory
  /** Time and timers for the reply sender and the uplink (the real clock by default). */
  clock?: Clock
  /** The backend's logger; the session logs on a child carrying its sessionId. */
  logger?: Logger
}

export interface SessionTap {
  /** Every decoded uplink frame, in order (after the pipeline saw it). */
  onFrame?(frame: AudioFrame): void
  /** The first RTP packet after the mic producer was created or resumed (performance.now() and Date.now()). */
  onFirstRtp?(at: { monotonic: number; epoch: number }): void
  /** A reply frame left on the wire. */
  onReplySent?(at: { epoch: number; marker: boolean }): void
}

export interface SessionStats {
  uplink: AudioReceiverStats
  /** Audio the client re-sent after a link outage (see BackfillGate). */
  backfill: BackfillGateStats
  replyFramesSent: number
  replyFramesDropped: number
}

/**
 * One user's conversation, like a mediasoup-demo Room: it owns a router on one worker, the client's WebRTC send and
 * recv transports (all on the worker's single WebRtcServer port), the mic producer, a DirectTransport that taps the
 * mic (consumer → Uplink → pipeline) and carries the reply (encode → paced producer). The Uplink does the codec's
 * work (decode, reorder, loss, backfill); the session only feeds it packets and relays its backfill requests.
 * close() closes the router, and with it every transport, producer and consumer, plus the uplink, the pipeline and
 * the reply clock.
 */
export class Session {
  readonly id = randomUUID()
  private readonly logger: Logger
  readonly token = randomBytes(24).toString('base64url')
  readonly createdAt = Date.now()
  readonly transports = new Map<string, { transport: ms.WebRtcTransport; direction: 'send' | 'recv' }>()
  private producer: ms.Producer | null = null
  private tapConsumer: ms.Consumer | null = null
  private readonly replyConsumers = new Map<string, ms.Consumer>()
  private readonly encoder = new OpusFrameEncoder()
  private readonly sender: PacedSender<Int16Array>
  private readonly pipeline: SessionPipeline
  private readonly uplink: Uplink
  private notifier: ((note: SessionNotification) => void) | null = null
  private closeListeners: Array<() => void> = []
  /** The pipeline's idle filler for the reply stream (see PipelineContext.setReplyFiller). */
  private replyFiller: (() => Int16Array | null) | null = null
  /** The send transport made ahead at join (see prepareSendTransport); null once taken or if none was made. */
  private preparedSend: Promise<ms.WebRtcTransport | null> | null = null
  readonly taps = new Set<SessionTap>()
  closed = false

  private constructor(
    private readonly deps: SessionDeps,
    readonly router: ms.Router,
    private readonly direct: ms.DirectTransport,
    private readonly replyProducer: ms.Producer,
    private readonly replySsrc: number
  ) {
    this.logger = (deps.logger ?? silentLogger).child({ sessionId: this.id })
    const clock = deps.clock ?? realClock
    this.sender = new PacedSender<Int16Array>(clock, (f) => {
      if (this.closed || this.replyProducer.closed) return
      // Nobody receives the reply yet (no consumer on a recv transport): nothing to encode or send.
      if (this.replyConsumers.size === 0) return
      try {
        // Filler silence goes through the same encoder: a canned silence packet would leave the client's decoder in a
        // state the encoder does not know, and the next reply's first frames would come out garbled (measured).
        const payload = this.encoder.encode(f.frame)
        this.replyProducer.send(buildRtp({ payloadType: REPLY_PAYLOAD_TYPE, marker: f.marker, sequenceNumber: f.sequenceNumber, timestamp: f.rtpTimestamp, ssrc: this.replySsrc, payload }))
        const epoch = Date.now()
        for (const tap of this.taps) tap.onReplySent?.({ epoch, marker: f.marker })
      } catch (error) {
        this.logger.error('reply frame failed', { error: (error as Error).message })
      }
    }, {
      initialSequence: randomBytes(2).readUInt16BE(0),
      initialTimestamp: randomBytes(4).readUInt32BE(0),
      // The filler keeps a listening client's jitter buffer steady; with no consumer the reply clock may idle.
      idleFill: () => (this.replyConsumers.size > 0 ? (this.replyFiller?.() ?? null) : null)
    })
    this.pipeline = deps.pipelineFactory(this.pipelineContext())
    this.uplink = new Uplink(
      {
        onFrame: (frame) => this.toPipeline(frame),
        onFirstRtp: (monotonic) => {
          const at = { monotonic, epoch: performance.timeOrigin + monotonic }
          for (const tap of this.taps) tap.onFirstRtp?.(at)
        },
        requestBackfill: (range) => this.pipelineContext().notify('uplinkGap', { fromRtpTimestamp: range.from, frames: range.frames }),
        logger: this.logger
      },
      // What the uplink is decoded to: the pipeline's inputSampleRate (48 kHz by default).
      { sampleRate: this.pipeline.inputSampleRate ?? SAMPLE_RATE, clock }
    )
    router.observer.once('close', () => void this.close())
  }

  static async create(deps: SessionDeps): Promise<Session> {
    const router = await deps.worker.createRouter({ mediaCodecs: SESSION_MEDIA_CODECS })
    try {
      const replySsrc = randomBytes(4).readUInt32BE(0) || 1
      const direct = await router.createDirectTransport()
      const replyProducer = await direct.produce({
        kind: 'audio',
        rtpParameters: {
          codecs: [{ mimeType: 'audio/opus', payloadType: REPLY_PAYLOAD_TYPE, clockRate: 48_000, channels: 2, parameters: { useinbandfec: 1, usedtx: 0 } }],
          encodings: [{ ssrc: replySsrc }]
        },
        appData: { role: 'reply' }
      })
      return new Session(deps, router, direct, replyProducer, replySsrc)
    } catch (error) {
      router.close()
      throw error
    }
  }

  get pipelineName(): SessionPipelineName {
    return this.deps.pipelineName
  }

  get workerIndex(): number {
    return this.deps.workerIndex
  }

  get stats(): SessionStats {
    const uplink = this.uplink.stats
    return { uplink: uplink.receiver, backfill: uplink.backfill, replyFramesSent: this.sender.sent, replyFramesDropped: this.sender.dropped }
  }

  /** The uplink's receive counts since the session began, across mic producers (operator metrics read them). */
  get uplinkTotals(): UplinkTotals {
    return this.uplink.totals
  }

  get micProducerId(): string | null {
    return this.producer?.id ?? null
  }

  /** Where notifications go: the signaling connection currently attached, or nowhere while detached. */
  setNotifier(notifier: ((note: SessionNotification) => void) | null): void {
    this.notifier = notifier
    // A gap found while the client's signaling was down: ask now, and wait from now.
    if (notifier) this.uplink.clientReachable()
  }

  /**
   * The client's answer to uplinkGap: encoded frames it kept while the link was down (base64 Opus by RTP timestamp),
   * for the uplink to decode and release in order (see Uplink.backfill). Returns how many it took.
   */
  backfill(frames: Array<{ rtpTimestamp: number; opus: string }>, done: boolean): number {
    this.assertOpen()
    if (!this.uplink.awaitingBackfill) return 0
    return this.uplink.backfill(frames.map((f) => ({ rtpTimestamp: f.rtpTimestamp, opus: Buffer.from(f.opus, 'base64') })), done)
  }

  onClose(listener: () => void): void {
    if (this.closed) listener()
    else this.closeListeners.push(listener)
  }

  /**
   * Start creating the send transport the client asks for right after joining, while it loads its Device, so that
   * request is answered at once. Only the first createTransport('send') gets it; it is a new transport like any other
   * (fresh ICE and DTLS), and it lives on the router, so it closes with the session if never asked for.
   */
  prepareSendTransport(): void {
    if (this.closed || this.preparedSend) return
    this.preparedSend = this.newWebRtcTransport('send').then(
      (transport) => {
        if (this.closed) transport.close() // the router closed while it was being made
        return transport
      },
      (error: unknown) => {
        if (!this.closed) this.logger.warn('preparing the send transport failed', { error: (error as Error).message })
        return null
      }
    )
  }

  /** Whether a prepared send transport is waiting for the client (tests). */
  get hasPreparedSendTransport(): boolean {
    return this.preparedSend !== null
  }

  async createTransport(direction: 'send' | 'recv'): Promise<ms.WebRtcTransport> {
    this.assertOpen()
    if (this.transports.size >= 4) throw new ContractError('conflict', 'a session has at most 4 transports; close the session or reuse one')
    let prepared: ms.WebRtcTransport | null = null
    if (direction === 'send' && this.preparedSend) {
      const pending = this.preparedSend
      this.preparedSend = null
      prepared = await pending
    }
    const transport = prepared && !prepared.closed ? prepared : await this.newWebRtcTransport(direction)
    if (this.closed) transport.close() // the router closed while it was being made
    this.assertOpen()
    this.transports.set(transport.id, { transport, direction })
    transport.observer.once('close', () => this.transports.delete(transport.id))
    return transport
  }

  private newWebRtcTransport(direction: 'send' | 'recv'): Promise<ms.WebRtcTransport> {
    return this.router.createWebRtcTransport({
      webRtcServer: this.deps.webRtcServer,
      enableUdp: true,
      enableTcp: true,
      preferUdp: true,
      appData: { direction }
    })
  }

  transport(id: string, direction?: 'send' | 'recv'): ms.WebRtcTransport {
    this.assertOpen()
    const entry = this.transports.get(id)
    if (!entry) throw new ContractError('not_found', `no transport ${JSON.stringify(id)} in this session`)
    if (direction && entry.direction !== direction) throw new ContractError('conflict', `transport ${id} is a ${entry.direction} transport`)
    return entry.transport
  }

  async connectTransport(id: string, dtlsParameters: ms.DtlsParameters): Promise<void> {
    const transport = this.transport(id)
    if (transport.dtlsState !== 'new') throw new ContractError('conflict', `transport ${id} is already connected (DTLS ${transport.dtlsState})`)
    await asInvalidParams(() => transport.connect({ dtlsParameters }))
  }

  async restartIce(id: string): Promise<ms.IceParameters> {
    return this.transport(id).restartIce()
  }

  /** The mic. A new one replaces the old (e.g. after the client rebuilt its send transport). */
  async produce(transportId: string, rtpParameters: ms.RtpParameters, paused: boolean): Promise<ms.Producer> {
    const transport = this.transport(transportId, 'send')
    const producer = await asInvalidParams(() => transport.produce({ kind: 'audio', rtpParameters, paused, appData: { role: 'mic' } }))
    if (this.closed) {
      producer.close()
      throw new ContractError('unavailable', 'session closed')
    }
    this.producer?.close()
    this.tapConsumer?.close()
    this.producer = producer
    this.uplink.restart()
    const tap = await this.direct.consume({ producerId: producer.id, rtpCapabilities: this.router.rtpCapabilities, paused: false })
    this.tapConsumer = tap
    tap.on('rtp', (rtp: Buffer) => this.uplink.push(rtp))
    producer.observer.once('close', () => {
      if (this.producer === producer) this.producer = null
    })
    return producer
  }

  async setProducerPaused(producerId: string, paused: boolean): Promise<boolean> {
    this.assertOpen()
    const producer = this.producer
    if (!producer || producer.id !== producerId) throw new ContractError('not_found', `no producer ${JSON.stringify(producerId)} in this session`)
    if (paused) await producer.pause()
    else {
      this.uplink.resumed()
      await producer.resume()
    }
    return producer.paused
  }

  /** A consumer of the reply audio on one of this session's recv transports. */
  async consumeReply(transportId: string, rtpCapabilities: ms.RtpCapabilities): Promise<ms.Consumer> {
    const transport = this.transport(transportId, 'recv')
    if (!this.router.canConsume({ producerId: this.replyProducer.id, rtpCapabilities })) {
      throw new ContractError('invalid_params', 'these rtpCapabilities cannot receive Opus audio')
    }
    for (const old of this.replyConsumers.values()) old.close()
    const consumer = await asInvalidParams(() => transport.consume({ producerId: this.replyProducer.id, rtpCapabilities, paused: true }))
    this.replyConsumers.set(consumer.id, consumer)
    consumer.observer.once('close', () => this.replyConsumers.delete(consumer.id))
    return consumer
  }

  async resumeConsumer(consumerId: string): Promise<void> {
    this.assertOpen()
    const consumer = this.replyConsumers.get(consumerId)
    if (!consumer) throw new ContractError('not_found', `no consumer ${JSON.stringify(consumerId)} in this session`)
    await consumer.resume()
  }

  clientEvent(event: ClientEvent): void {
    this.assertOpen()
    this.pipeline.onClientEvent(event)
  }

  get replyProducerId(): string {
    return this.replyProducer.id
  }

  /** Idempotent. Closes the router (and so every transport, producer and consumer), the pipeline and all timers. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.logger.info('session closed')
    this.uplink.close()
    this.sender.close()
    try {
      this.pipeline.close()
    } catch (error) {
      this.logger.error('pipeline close failed', { error })
    }
    this.notifier = null
    this.taps.clear()
    if (!this.router.closed) this.router.close()
    for (const l of this.closeListeners.splice(0)) l()
  }

  private assertOpen(): void {
    if (this.closed) throw new ContractError('unavailable', 'session closed')
  }

  private toPipeline(frame: AudioFrame): void {
    try {
      this.pipeline.onFrame(frame)
    } catch (error) {
      this.logger.error('pipeline failed on a frame', { error })
    }
    for (const tap of this.taps) tap.onFrame?.(frame)
  }

  private pipelineContext(): import('../pipelines/types').PipelineContext {
    return {
      sessionId: this.id,
      reply: (pcm) => this.sender.enqueue(pcm),
      flushReply: () => this.sender.flush(),
      replyQueued: () => this.sender.queued,
      setReplyFiller: (fill) => {
        this.replyFiller = fill
      },
      notify: (type, detail) => this.notifier?.({ sessionId: this.id, type, serverTime: Date.now(), ...(detail ? { detail } : {}) })
    }
  }
}

/** mediasoup rejects bad parameters with TypeError/Error; to the client that is invalid_params, not a crash. */
async function asInvalidParams<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (error) {
    if (error instanceof ContractError) throw error
    throw new ContractError('invalid_params', (error as Error).message.slice(0, 300))
  }
}

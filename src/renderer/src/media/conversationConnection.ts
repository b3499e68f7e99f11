import { Device, type types as msc } from 'mediasoup-client'
import { DEFAULT_BACKOFF, backoffDelayMs, type BackoffPolicy } from '../../../shared/backoff'
import { ContractError } from '../../../shared/contract/errors'
import { SESSION_NOTIFICATION, SIGNALING_PROTOCOL_VERSION, sessionNotificationSchema, type SessionNotification, type SessionPipelineName } from '../../../shared/contract/signaling'
import { connectSignaling, type SignalingClient, type WebSocketFactory, type WebSocketLike } from '../../../shared/signalingClient'
import { MicBackfill } from './micBackfill'

/**
 * The conversation's media connection, renderer side: one mediasoup session on the backend, a send transport that
 * carries the mic (Opus, 20 ms packets, in-band FEC on, DTX off) and a recv transport that plays the reply.
 *
 * Resilience: the WebRTC transports do not depend on the signaling socket, so when signaling drops, audio keeps
 * flowing while we reconnect with backoff and `resume` the same session with its token. When a transport goes
 * disconnected/failed we ask the backend for new ICE credentials and restart ICE (again once signaling is back,
 * if it was down too). If the backend no longer knows the session, we join a new one and rebuild both transports.
 * Audio the server missed during a link outage is sent again from the mic's last encoded frames (MicBackfill).
 */
export type ConversationPhase = 'connecting' | 'connected' | 'reconnecting' | 'closed' | 'failed'

export interface ConversationState {
  phase: ConversationPhase
  detail: string | null
  sessionId: string | null
  sendState: msc.ConnectionState | 'none'
  recvState: msc.ConnectionState | 'none'
  talking: boolean
  iceRestarts: number
  signalingReconnects: number
  sessionRebuilds: number
  /** Mic frames re-sent to the server after link outages (it missed them while the link was down). */
  backfilledFrames: number
  /** False when this browser cannot tap encoded mic frames (no WebRTC encoded transforms): outages lose audio. */
  backfillAvailable: boolean
}

export interface ConversationOptions {
  signalingUrl: string
  /** The mic track (the caller opened it with the user's device and processing choices). */
  track: MediaStreamTrack
  pipeline?: SessionPipelineName
  /** Push-to-talk: start with the mic producer paused; setTalking(true) resumes it on the already-warm transport. */
  startPaused?: boolean
  backoff?: BackoffPolicy
  wsFactory?: WebSocketFactory
  onState?(state: ConversationState): void
  onNotification?(note: SessionNotification): void
  /** Where reply audio plays. Created (detached, autoplay) if not given. */
  audioElement?: HTMLAudioElement
  log?(line: string): void
  /** A session was joined (also after a rebuild): the app's main process observes it with these credentials. */
  onJoined?(session: { sessionId: string; token: string }): void
  /** Timing marks for the latency tracker and the uplink bench (epoch ms, sub-ms precision), in order of a cold join. */
  onMark?(name: ConversationMark, epochMs: number): void
}

export type ConversationMark = 'joinRequested' | 'joined' | 'sendTransportRequested' | 'sendTransportCreated' | 'sendConnectRequested' | 'sendConnectAnswered' | 'produceRequested' | 'produceAnswered' | 'producing' | 'sendConnected'

/** A connection's state before anything happened. */
export const INITIAL_CONVERSATION_STATE: Readonly<ConversationState> = Object.freeze({
  phase: 'connecting',
  detail: null,
  sessionId: null,
  sendState: 'none',
  recvState: 'none',
  talking: false,
  iceRestarts: 0,
  signalingReconnects: 0,
  sessionRebuilds: 0,
  backfilledFrames: 0,
  backfillAvailable: false
})

/** Opus for speech over WebRTC: mono, 20 ms packets, FEC for loss, DTX off so every 20 ms has a packet. */
export const MIC_CODEC_OPTIONS: msc.ProducerCodecOptions = { opusStereo: false, opusDtx: false, opusFec: true, opusPtime: 20 }

const browserWs: WebSocketFactory = (url) => new WebSocket(url) as unknown as WebSocketLike

export class ConversationConnection {
  private signaling: SignalingClient | null = null
  private device: Device | null = null
  private sendTransport: msc.Transport | null = null
  private recvTransport: msc.Transport | null = null
  private producer: msc.Producer | null = null
  private consumer: msc.Consumer | null = null
  private sessionId: string | null = null
  private token: string | null = null
  private track: MediaStreamTrack
  private closing = false
  private reconnecting: Promise<void> | null = null
  private pendingIceRestart = new Set<'send' | 'recv'>()
  private readonly backfill: MicBackfill
  private iceRestartInFlight = new Set<'send' | 'recv'>()
  readonly audio: HTMLAudioElement
  readonly replyStream = new MediaStream()
  private stateValue: ConversationState = { ...INITIAL_CONVERSATION_STATE }

  private constructor(private readonly opts: ConversationOptions) {
    this.track = opts.track
    this.audio = opts.audioElement ?? document.createElement('audio')
    this.audio.autoplay = true
    this.audio.srcObject = this.replyStream
    // Its tap worker starts now, long before the send transport is made (signaling, join and Device.load first).
    this.backfill = new MicBackfill({ log: (line) => this.log(line), onAvailable: () => this.set({ backfillAvailable: true }) })
  }

  /** Join a session and bring up both transports; resolves once the mic producer exists. */
  static async open(opts: ConversationOptions): Promise<ConversationConnection> {
    const conn = new ConversationConnection(opts)
    try {
      await conn.connectSignaling()
      await conn.join()
      conn.set({ phase: 'connected', detail: null })
      return conn
    } catch (error) {
      conn.close()
      throw error
    }
  }

  get state(): ConversationState {
    return this.stateValue
  }

  get micProducer(): msc.Producer | null {
    return this.producer
  }

  /** WebRTC stats of the reply consumer (jitter buffer delay for the downlink stage); null before it exists. */
  async replyStats(): Promise<RTCStatsReport | null> {
    return this.consumer ? this.consumer.getStats() : null
  }

  /** The signaling client currently in use (null while reconnecting). */
  get signalingClient(): SignalingClient | null {
    return this.signaling
  }

  /** Push-to-talk. Resume: server first (so the first packet is forwarded), then the local track. */
  async setTalking(talking: boolean): Promise<void> {
    const producer = this.producer
    const signaling = this.signaling
    if (!producer || !signaling) throw new ContractError('unavailable', 'not connected')
    if (talking) {
      await signaling.request('setProducerPaused', { producerId: producer.id, paused: false })
      producer.resume()
    } else {
      producer.pause()
      await signaling.request('setProducerPaused', { producerId: producer.id, paused: true })
    }
    this.set({ talking })
  }

  /** A typed turn on this session: the voice pipeline answers `text` through LLM → TTS (no STT), as turn `turnId`. */
  async typedTurn(text: string, turnId: string): Promise<void> {
    const signaling = this.signaling
    if (!signaling || !this.sessionId || !this.token) throw new ContractError('unavailable', 'not connected')
    await signaling.request('typedTurn', { sessionId: this.sessionId, token: this.token, text, turnId }, 5000)
  }

  /** Device hot-swap: a new mic track replaces the old on the same producer (no renegotiation). */
  async replaceTrack(track: MediaStreamTrack): Promise<void> {
    this.track = track
    await this.producer?.replaceTrack({ track })
  }

  /** Ask the backend for new ICE credentials and restart ICE on one or both transports. */
  async restartIce(which: Array<'send' | 'recv'> = ['send', 'recv']): Promise<void> {
    await Promise.all(which.map((d) => this.restartIceOn(d)))
  }

  close(): void {
    if (this.closing) return
    this.closing = true
    const signaling = this.signaling
    this.signaling = null
    if (signaling) {
      void signaling.request('leave', {}, 2000).catch(() => undefined).finally(() => signaling.close())
    }
    this.dropMedia()
    this.backfill.close()
    for (const t of this.replyStream.getTracks()) this.replyStream.removeTrack(t)
    this.audio.srcObject = null
    this.set({ phase: 'closed', detail: null, sendState: 'none', recvState: 'none', talking: false })
  }

  // --- internals

  /** Close the mic producer, the reply consumer and both transports: before a new session, and at the end. */
  private dropMedia(): void {
    this.producer?.close()
    this.consumer?.close()
    this.sendTransport?.close()
    this.recvTransport?.close()
    this.producer = this.consumer = this.sendTransport = this.recvTransport = null
  }

  private set(patch: Partial<ConversationState>): void {
    this.stateValue = { ...this.stateValue, ...patch }
    this.opts.onState?.(this.stateValue)
  }

  private log(line: string): void {
    this.opts.log?.(line)
  }

  private async connectSignaling(): Promise<void> {
    const signaling = await connectSignaling(this.opts.signalingUrl, this.opts.wsFactory ?? browserWs)
    const hello = await signaling.request('hello', { protocolVersion: SIGNALING_PROTOCOL_VERSION, client: 'voice-assistant-renderer' })
    if (hello.protocolVersion !== SIGNALING_PROTOCOL_VERSION) {
      signaling.close()
      throw new Error(`backend speaks signaling v${hello.protocolVersion}, this app needs v${SIGNALING_PROTOCOL_VERSION}`)
    }
    signaling.onNotification((name, data) => {
      if (name !== SESSION_NOTIFICATION) return
      const note = sessionNotificationSchema.safeParse(data)
      if (!note.success) return
      if (note.data.type === 'uplinkGap') void this.answerGap(note.data.detail)
      // The backend replaced a dead media worker: this session is gone, join again now rather than wait for ICE to fail.
      if (note.data.type === 'sessionLost' && !this.closing) void this.rebuildAfterFailure('the backend lost this session (its media worker stopped)')
      this.opts.onNotification?.(note.data)
    })
    this.signaling = signaling
    void signaling.closed.then(() => {
      if (this.signaling === signaling) this.signaling = null
      if (!this.closing) void this.reconnect()
    })
  }

  private request: SignalingClient['request'] = (method, params, timeoutMs) => {
    if (!this.signaling) return Promise.reject(new ContractError('unavailable', `signaling is down (${method})`))
    return this.signaling.request(method, params, timeoutMs)
  }

  private async join(): Promise<void> {
    this.mark('joinRequested')
    const joined = await this.request('join', { pipeline: this.opts.pipeline })
    this.mark('joined')
    this.sessionId = joined.sessionId
    this.token = joined.token
    this.set({ sessionId: joined.sessionId })
    this.opts.onJoined?.({ sessionId: joined.sessionId, token: joined.token })
    const device = new Device()
    await device.load({ routerRtpCapabilities: joined.routerRtpCapabilities as unknown as msc.RtpCapabilities })
    if (!device.canProduce('audio')) throw new Error('this browser cannot send Opus audio over WebRTC')
    this.device = device
    // The mic path first: the recv transport's requests would otherwise queue between the send transport's on the
    // signaling socket and in the worker, and delay the first uplink packet; the reply is not needed before then.
    await this.setUpSend(device)
    await this.setUpRecv(device)
  }

  private mark(name: ConversationMark): void {
    this.opts.onMark?.(name, performance.timeOrigin + performance.now())
  }

  private async setUpSend(device: Device): Promise<void> {
    this.mark('sendTransportRequested')
    const options = await this.request('createTransport', { direction: 'send' })
    this.mark('sendTransportCreated')
    // The encoded-frame tap that keeps the mic's frames for backfill after an outage.
    const tap = await this.backfill.tapNextSender()
    const transport = device.createSendTransport({ ...(options as unknown as msc.TransportOptions), ...tap.transportOptions })
    this.sendTransport = transport
    transport.on('connect', ({ dtlsParameters }, callback, errback) => {
      this.mark('sendConnectRequested')
      if (!this.signaling) {
        errback(new ContractError('unavailable', 'signaling is down (connectTransport)'))
        return
      }
      // Pipelined: the request is on the (ordered) signaling socket before ICE can even start, so the server knows
      // our DTLS fingerprint by the time our ClientHello arrives; not waiting for the answer saves a round trip on
      // the cold path. If the server rejects it, the transport cannot work: fail it so the session is rebuilt.
      this.request('connectTransport', { transportId: transport.id, dtlsParameters: dtlsParameters as never }).then(
        () => this.mark('sendConnectAnswered'),
        (error: unknown) => {
          this.log(`send transport connect rejected: ${String(error)}`)
          if (transport === this.sendTransport && !this.closing) void this.rebuildAfterFailure(`send transport connect rejected: ${(error as Error).message}`)
        }
      )
      callback()
    })
    transport.on('produce', ({ rtpParameters }, callback, errback) => {
      this.mark('produceRequested')
      this.request('produce', { transportId: transport.id, kind: 'audio', rtpParameters: rtpParameters as never, paused: this.opts.startPaused ?? false })
        .then(({ id }) => {
          this.mark('produceAnswered')
          callback({ id })
        }, errback)
    })
    transport.on('connectionstatechange', (state) => {
      if (state === 'connected') this.mark('sendConnected')
      this.onTransportState('send', transport, state)
    })
    this.producer = await transport.produce({
      track: this.track,
      codecOptions: MIC_CODEC_OPTIONS,
      stopTracks: false,
      disableTrackOnPause: true,
      zeroRtpOnPause: false,
      // On the RTCRtpSender as soon as it exists (see SenderTap.onRtpSender).
      ...(tap.onRtpSender ? { onRtpSender: tap.onRtpSender } : {})
    })
    this.mark('producing')
    if (this.opts.startPaused) this.producer.pause()
    this.set({ talking: !this.opts.startPaused })
  }

  /** The server missed mic frames while the link was down: send them again from the ones kept. */
  private async answerGap(detail: SessionNotification['detail']): Promise<void> {
    try {
      const sent = await this.backfill.answerGap(detail, (chunk) => this.request('backfillAudio', chunk))
      if (sent !== null) this.set({ backfilledFrames: this.stateValue.backfilledFrames + sent })
    } catch (error) {
      this.log(`backfill failed: ${String(error)}`)
    }
  }

  private async setUpRecv(device: Device): Promise<void> {
    const options = await this.request('createTransport', { direction: 'recv' })
    const transport = device.createRecvTransport(options as unknown as msc.TransportOptions)
    this.recvTransport = transport
    transport.on('connect', ({ dtlsParameters }, callback, errback) => {
      this.request('connectTransport', { transportId: transport.id, dtlsParameters: dtlsParameters as never }).then(() => callback(), errback)
    })
    transport.on('connectionstatechange', (state) => this.onTransportState('recv', transport, state))
    const params = await this.request('consume', { transportId: transport.id, rtpCapabilities: device.rtpCapabilities as never })
    const consumer = await transport.consume({ id: params.id, producerId: params.producerId, kind: 'audio', rtpParameters: params.rtpParameters as unknown as msc.RtpParameters })
    this.consumer = consumer
    for (const t of this.replyStream.getTracks()) this.replyStream.removeTrack(t)
    this.replyStream.addTrack(consumer.track)
    // Chromium only feeds remote WebRTC audio into WebAudio while a media element plays the stream.
    void this.audio.play().catch((error: unknown) => this.log(`reply playback blocked: ${String(error)}`))
    await this.request('resumeConsumer', { consumerId: consumer.id })
  }

  private onTransportState(direction: 'send' | 'recv', transport: msc.Transport, state: msc.ConnectionState): void {
    if (direction === 'send' ? transport !== this.sendTransport : transport !== this.recvTransport) return
    this.set(direction === 'send' ? { sendState: state } : { recvState: state })
    if (this.closing) return
    if (state === 'disconnected' || state === 'failed') {
      this.set({ phase: 'reconnecting', detail: `${direction} transport ${state}: restarting ICE` })
      void this.restartIceOn(direction).catch((error: unknown) => this.log(`ICE restart (${direction}) failed: ${String(error)}`))
    } else if (state === 'connected' && this.signaling && this.stateValue.phase === 'reconnecting') {
      this.set({ phase: 'connected', detail: null })
    }
  }

  private async restartIceOn(direction: 'send' | 'recv'): Promise<void> {
    const transport = direction === 'send' ? this.sendTransport : this.recvTransport
    if (!transport || transport.closed) return
    if (!this.signaling) {
      this.pendingIceRestart.add(direction) // done after signaling resumes
      return
    }
    if (this.iceRestartInFlight.has(direction)) return
    this.iceRestartInFlight.add(direction)
    try {
      const { iceParameters } = await this.request('restartIce', { transportId: transport.id })
      await transport.restartIce({ iceParameters })
      this.set({ iceRestarts: this.stateValue.iceRestarts + 1 })
    } catch (error) {
      this.pendingIceRestart.add(direction)
      throw error
    } finally {
      this.iceRestartInFlight.delete(direction)
    }
  }

  private reconnect(): Promise<void> {
    if (this.reconnecting) return this.reconnecting
    this.set({ phase: 'reconnecting', detail: 'signaling lost: reconnecting' })
    this.reconnecting = (async () => {
      for (let attempt = 0; !this.closing; attempt++) {
        await new Promise((r) => setTimeout(r, backoffDelayMs(attempt, this.opts.backoff ?? DEFAULT_BACKOFF)))
        if (this.closing) return
        try {
          await this.connectSignaling()
        } catch (error) {
          this.set({ detail: `signaling lost: reconnect attempt ${attempt + 1} failed (${(error as Error).message})` })
          continue
        }
        try {
          await this.resumeOrRebuild()
          this.set({ phase: 'connected', detail: null, signalingReconnects: this.stateValue.signalingReconnects + 1 })
          return
        } catch (error) {
          this.log(`resume failed: ${String(error)}`)
          this.signaling?.close()
        }
      }
    })().finally(() => {
      this.reconnecting = null
    })
    return this.reconnecting
  }

  /** A transport that cannot work (e.g. the server rejected its DTLS parameters): start a new session. */
  private async rebuildAfterFailure(detail: string): Promise<void> {
    this.set({ phase: 'reconnecting', detail })
    try {
      this.dropMedia()
      await this.request('leave', {}).catch(() => undefined)
      await this.join()
      this.set({ phase: 'connected', detail: null, sessionRebuilds: this.stateValue.sessionRebuilds + 1 })
    } catch (error) {
      this.set({ phase: 'failed', detail: `${detail}; rebuild failed: ${(error as Error).message}` })
    }
  }

  private async resumeOrRebuild(): Promise<void> {
    try {
      const resumed = await this.request('resume', { sessionId: this.sessionId ?? '', token: this.token ?? '' })
      const restart = new Set(this.pendingIceRestart)
      this.pendingIceRestart.clear()
      for (const t of resumed.transports) {
        const direction = t.id === this.sendTransport?.id ? 'send' : t.id === this.recvTransport?.id ? 'recv' : null
        if (direction && (t.iceState === 'disconnected' || t.iceState === 'closed')) restart.add(direction)
      }
      if (this.sendTransport?.connectionState === 'failed' || this.sendTransport?.connectionState === 'disconnected') restart.add('send')
      if (this.recvTransport?.connectionState === 'failed' || this.recvTransport?.connectionState === 'disconnected') restart.add('recv')
      await Promise.all([...restart].map((d) => this.restartIceOn(d)))
    } catch (error) {
      if (!(error instanceof ContractError) || error.code !== 'unauthorized') throw error
      // The backend no longer has our session (it restarted, or the grace period ran out): start a new one.
      this.dropMedia()
      await this.join()
      this.set({ sessionRebuilds: this.stateValue.sessionRebuilds + 1 })
    }
  }
}


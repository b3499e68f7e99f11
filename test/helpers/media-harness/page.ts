/**
 * Test page for the media e2e tests and benches: the real renderer module (ConversationConnection) driven from
 * Playwright, plus in-page measurement tools (reply recorder, click generator, the two-peer-connection floors of the
 * click round trip and of a cold join).
 */
import { ConversationConnection, type ConversationOptions } from '../../../src/renderer/src/media/conversationConnection'
import { micConstraints } from '../../../src/renderer/src/media/micMeter'
import type { SessionNotification } from '../../../src/shared/contract/signaling'

interface OpenArgs {
  signalingUrl: string
  pipeline?: 'echo' | 'click'
  startPaused?: boolean
  /** 'mic': the fake capture device (WAV), processing off. 'clicks': a WebAudio click generator. */
  source: 'mic' | 'clicks'
}

const notes: Array<SessionNotification & { receivedAt: number }> = []
const marks: Record<string, number> = {}
let conn: ConversationConnection | null = null
let clickCtx: AudioContext | null = null
let clickDest: MediaStreamAudioDestinationNode | null = null
const logs: string[] = []

async function sourceTrack(source: OpenArgs['source']): Promise<MediaStreamTrack> {
  if (source === 'mic') {
    const stream = await navigator.mediaDevices.getUserMedia(micConstraints({ inputDeviceId: null, echoCancellation: false, noiseSuppression: false, autoGainControl: false }))
    return stream.getAudioTracks()[0]!
  }
  const clicks = clickSource()
  clickCtx = clicks.ctx
  clickDest = clicks.dest
  return clicks.dest.stream.getAudioTracks()[0]!
}

/** A WebAudio track to play clicks into, with a constant near-silent bed: a source-less track sends no RTP. */
function clickSource(): { ctx: AudioContext; dest: MediaStreamAudioDestinationNode } {
  const ctx = new AudioContext({ latencyHint: 'interactive' })
  const dest = ctx.createMediaStreamDestination()
  const bed = ctx.createConstantSource()
  bed.offset.value = 0.0001
  bed.connect(dest)
  bed.start()
  return { ctx, dest }
}

const harness = {
  async open(args: OpenArgs): Promise<string> {
    const track = await sourceTrack(args.source)
    const opts: ConversationOptions = {
      signalingUrl: args.signalingUrl,
      track,
      pipeline: args.pipeline,
      startPaused: args.startPaused,
      audioElement: document.getElementById('reply') as HTMLAudioElement,
      backoff: { baseMs: 100, maxMs: 1000, jitter: 0.2 },
      onNotification: (n) => notes.push({ ...n, receivedAt: Date.now() }),
      log: (line) => logs.push(line),
      onMark: (name, at) => (marks[name] = at)
    }
    conn = await ConversationConnection.open(opts)
    return conn.state.sessionId!
  },
  state: () => conn?.state ?? null,
  marks: () => ({ ...marks }),
  now: () => performance.timeOrigin + performance.now(),
  notes: () => notes.slice(),
  logs: () => logs.slice(),
  close: () => {
    conn?.close()
    conn = null
    void clickCtx?.close()
    clickCtx = null
  },
  restartIce: () => conn!.restartIce(),
  /** Drop the signaling socket as a network blip would (the media transports are left alone). */
  dropSignaling: () => conn?.signalingClient?.close(),
  /** Press/release push-to-talk; returns Date.now() at the press. */
  async talk(on: boolean): Promise<number> {
    const at = performance.timeOrigin + performance.now()
    await conn!.setTalking(on)
    return at
  },
  /** Record the reply stream for `ms`, returned as 16 kHz mono samples (3:1 average of the 48 kHz context). */
  async recordReply(ms: number): Promise<number[]> {
    const ctx = new AudioContext({ sampleRate: 48_000 })
    const src = ctx.createMediaStreamSource(conn!.replyStream)
    const proc = ctx.createScriptProcessor(4096, 1, 1)
    const out: number[] = []
    proc.onaudioprocess = (e) => {
      const x = e.inputBuffer.getChannelData(0)
      for (let i = 0; i + 2 < x.length; i += 3) out.push((x[i]! + x[i + 1]! + x[i + 2]!) / 3)
    }
    src.connect(proc)
    proc.connect(ctx.destination)
    await new Promise((r) => setTimeout(r, ms))
    proc.disconnect()
    src.disconnect()
    await ctx.close()
    return out
  },
  /**
   * Click round trips through the session: play a click into the mic track, time until the reply stream's level
   * jumps. Returns per-click ms (epoch-independent: both ends are this page's AudioContext clock).
   */
  async clickRoundTrips(count: number, gapMs: number): Promise<number[]> {
    return measureClicks(count, gapMs, conn!.replyStream, (at) => playClick(clickCtx!, clickDest!, at), clickCtx!)
  },
  coldJoinFloor: () => coldJoinFloor(),
  /** The browser's own floor: the same click through two RTCPeerConnections connected directly in this page. */
  async floorRoundTrips(count: number, gapMs: number): Promise<number[]> {
    const { ctx, dest } = clickSource()
    const a = new RTCPeerConnection()
    const b = new RTCPeerConnection()
    a.onicecandidate = (e) => e.candidate && void b.addIceCandidate(e.candidate)
    b.onicecandidate = (e) => e.candidate && void a.addIceCandidate(e.candidate)
    const remote = new Promise<MediaStream>((resolve) => (b.ontrack = (e) => resolve(e.streams[0] ?? new MediaStream([e.track]))))
    a.addTrack(dest.stream.getAudioTracks()[0]!, dest.stream)
    // Same Opus settings as the session path: 20 ms packets, FEC on, DTX off.
    await offerAnswer(a, b)
    const stream = await remote
    const el = document.createElement('audio')
    el.srcObject = stream
    el.muted = true
    await el.play().catch(() => undefined)
    await new Promise((r) => setTimeout(r, 500))
    try {
      return await measureClicks(count, gapMs, stream, (at) => playClick(ctx, dest, at), ctx)
    } finally {
      a.close()
      b.close()
      el.srcObject = null
      await ctx.close()
    }
  }
}

/**
 * The browser's own cost of bringing up a new WebRTC audio path, the reference for the uplink bench's cold join: two
 * RTCPeerConnections in this page, one sending an Opus track from a WebAudio source like the 'clicks' one (default
 * Opus: 20 ms packets, in-band FEC, no DTX), the other receiving, with candidates trickled in-page. Times are ms from
 * the sender's createOffer to its 'connected' and to the first encoded frame the receiver gets (an encoded-streams
 * hook on the receiver, which sees each frame as it is depacketized, before the jitter buffer).
 *
 * Needs media permission (launch with --use-fake-ui-for-media-stream and a fake device): without it Chromium
 * hides host candidates behind mDNS names, and resolving those would send multicast queries off the loopback
 * interface, so then it throws instead of trickling them.
 */
/** The offer/answer exchange between two peer connections of this page (`from` offers). */
async function offerAnswer(from: RTCPeerConnection, to: RTCPeerConnection): Promise<void> {
  const offer = await from.createOffer()
  await from.setLocalDescription(offer)
  await to.setRemoteDescription(offer)
  const answer = await to.createAnswer()
  await to.setLocalDescription(answer)
  await from.setRemoteDescription(answer)
}

async function coldJoinFloor(timeoutMs = 5000): Promise<{ firstRtpMs: number; connectedMs: number | null }> {
  const permission = await navigator.mediaDevices.getUserMedia({ audio: true }).catch((error: unknown) => {
    throw new Error(`coldJoinFloor needs media permission (--use-fake-ui-for-media-stream and a fake device): ${String(error)}`)
  })
  for (const t of permission.getTracks()) t.stop()
  const { ctx, dest } = clickSource()
  const sender = new RTCPeerConnection()
  const receiver = new RTCPeerConnection({ encodedInsertableStreams: true } as RTCConfiguration)
  let connectedAt: number | null = null
  let fail: (error: Error) => void = () => undefined
  const failed = new Promise<never>((_, reject) => (fail = reject))
  failed.catch(() => undefined) // a failure after the first frame is nobody's business
  const trickle = (to: RTCPeerConnection) => (e: RTCPeerConnectionIceEvent) => {
    if (!e.candidate) return
    if (e.candidate.address?.endsWith('.local')) {
      fail(new Error('host candidates are mDNS names (no media permission): not resolving them over multicast'))
      return
    }
    void to.addIceCandidate(e.candidate).catch((error: unknown) => fail(error as Error))
  }
  sender.onicecandidate = trickle(receiver)
  receiver.onicecandidate = trickle(sender)
  sender.onconnectionstatechange = () => {
    if (sender.connectionState === 'connected') connectedAt ??= performance.now()
  }
  const firstFrame = new Promise<number>((resolve) => {
    receiver.ontrack = (e) => {
      const { readable, writable } = (e.receiver as RTCRtpReceiver & { createEncodedStreams(): { readable: ReadableStream; writable: WritableStream } }).createEncodedStreams()
      let seen = false
      const hook = new TransformStream({
        transform(frame, controller) {
          if (!seen) {
            seen = true
            resolve(performance.now())
          }
          controller.enqueue(frame)
        }
      })
      void readable.pipeThrough(hook).pipeTo(writable).catch(() => undefined)
    }
  })
  sender.addTrack(dest.stream.getAudioTracks()[0]!, dest.stream)
  let timer: ReturnType<typeof setTimeout> | undefined
  try {
    const t0 = performance.now()
    await offerAnswer(sender, receiver)
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no frame at the receiver within ${timeoutMs} ms`)), timeoutMs)))
    const firstAt = await Promise.race([firstFrame, failed, timeout])
    return { firstRtpMs: firstAt - t0, connectedMs: connectedAt === null ? null : connectedAt - t0 }
  } finally {
    clearTimeout(timer)
    sender.close()
    receiver.close()
    await ctx.close()
  }
}

function playClick(ctx: AudioContext, dest: AudioNode, at: number): void {
  const osc = ctx.createOscillator()
  const gain = ctx.createGain()
  osc.frequency.value = 1000
  gain.gain.value = 0.8
  osc.connect(gain)
  gain.connect(dest)
  osc.start(at)
  osc.stop(at + 0.03)
}

/**
 * Shared click timing, all on one AudioContext clock: a click is scheduled into the outgoing track at context time
 * `at`; a ScriptProcessor on the same context watches the reply stream and reports the context time of the first
 * loud sample. The processor's own buffering is a constant bias shared by the session and the floor measurement.
 */
async function measureClicks(count: number, gapMs: number, replyStream: MediaStream, click: (at: number) => void, ctx: AudioContext): Promise<number[]> {
  const src = ctx.createMediaStreamSource(replyStream)
  const size = 256
  const proc = ctx.createScriptProcessor(size, 1, 1)
  let armedAfter = Infinity
  let resolveHit: ((ctxTime: number) => void) | null = null
  proc.onaudioprocess = (e) => {
    const x = e.inputBuffer.getChannelData(0)
    const blockStart = e.playbackTime - size / ctx.sampleRate
    for (let i = 0; i < x.length; i++) {
      const t = blockStart + i / ctx.sampleRate
      if (t >= armedAfter && Math.abs(x[i]!) > 0.2) {
        armedAfter = Infinity
        resolveHit?.(t)
        return
      }
    }
  }
  src.connect(proc)
  proc.connect(ctx.destination)
  const results: number[] = []
  try {
    for (let n = 0; n < count; n++) {
      await new Promise((r) => setTimeout(r, gapMs))
      const at = ctx.currentTime + 0.05
      const hit = new Promise<number | null>((resolve) => {
        resolveHit = resolve
        setTimeout(() => resolve(null), 2000)
      })
      armedAfter = at
      click(at)
      const got = await hit
      armedAfter = Infinity
      if (got !== null) results.push((got - at) * 1000)
    }
  } finally {
    proc.disconnect()
    src.disconnect()
  }
  return results
}

;(window as unknown as { mediaHarness: typeof harness }).mediaHarness = harness

/**
 * Load client for `npm run bench -- sessions`, run as a child process (fork, IPC): opens N sending sessions against
 * the backend with werift (WebRTC in Node: real ICE, DTLS and SRTP), and sends pre-encoded 20 ms Opus packets on
 * each, so the client costs little CPU (no audio encoding) and is not the bottleneck the way a Chromium page is.
 *
 * Per session: signaling join → createTransport('send') → a werift RTCPeerConnection offers one sendonly Opus track;
 * the answer is built from the mediasoup transport's ICE/DTLS parameters (mediasoup is ICE-lite and the DTLS server)
 * → connectTransport with werift's fingerprint → produce with the werift sender's SSRC. RTP timestamps start at 0 and
 * advance 960 per packet, so the backend can tell each packet's scheduled send time from `t0Epoch` and the timestamp.
 *
 * IPC in:  {type:'open', signalingUrl, count, opusFile, pipeline}  {type:'warmup', durationMs}  {type:'start', durationMs}
 *          {type:'close'}
 * IPC out: {type:'opened', sessions:[{sessionId}], failures:[msg]}  {type:'warmedUp'}
 *          {type:'sent', sessions:[{sessionId,sent,t0Epoch}], lateMsP95}
 */
import { readFileSync } from 'node:fs'
import { RTCPeerConnection, RTCRtpCodecParameters, RtpHeader, type RTCRtpSender } from 'werift'
import WebSocket from 'ws'
import { SESSION_NOTIFICATION, SIGNALING_PROTOCOL_VERSION } from '../src/shared/contract/signaling'
import { connectSignaling, type SignalingClient, type WebSocketLike } from '../src/shared/signalingClient'
import { percentile } from '../src/shared/latency/stats'

interface LoadSession {
  sessionId: string
  producerId: string
  paused: boolean
  signaling: SignalingClient
  pc: RTCPeerConnection
  sender: RTCRtpSender
  transport: { sendRtp(payload: Buffer, header: RtpHeader): Promise<number> }
  sent: number
  t0Epoch: number
  /**
   * Where in the looped clip this session's voice is: every session speaks the same recording, but not in unison
   * (real users' turns are uncorrelated; in lock step every session would start and end its utterance in the same
   * 32 ms tick).
   */
  clipOffset: number
}

const PT = 100
const sessions: LoadSession[] = []
let packets: Buffer[] = []
let frameBase = 0
let backfills = 0

const send = (msg: unknown): void => void process.send!(msg)

/** Length-prefixed (u16 BE) Opus packets, as the coordinator wrote them. */
function readPackets(file: string): Buffer[] {
  const buf = readFileSync(file)
  const out: Buffer[] = []
  for (let o = 0; o + 2 <= buf.length; ) {
    const n = buf.readUInt16BE(o)
    out.push(buf.subarray(o + 2, o + 2 + n))
    o += 2 + n
  }
  return out
}

function answerSdp(offer: string, t: { iceParameters: { usernameFragment: string; password: string }; iceCandidates: Array<{ foundation: string; ip: string; port: number; protocol: string; priority?: number }>; dtlsParameters: { fingerprints: Array<{ algorithm: string; value: string }> } }): string {
  const mid = /a=mid:(\S+)/.exec(offer)?.[1] ?? '0'
  const udp = t.iceCandidates.filter((c) => c.protocol === 'udp')
  const fp = t.dtlsParameters.fingerprints.find((f) => f.algorithm === 'sha-256') ?? t.dtlsParameters.fingerprints[0]!
  const first = udp[0]!
  return [
    'v=0',
    'o=- 1 1 IN IP4 127.0.0.1',
    's=-',
    't=0 0',
    'a=ice-lite',
    `a=group:BUNDLE ${mid}`,
    `m=audio ${first.port} UDP/TLS/RTP/SAVPF ${PT}`,
    `c=IN IP4 ${first.ip}`,
    `a=ice-ufrag:${t.iceParameters.usernameFragment}`,
    `a=ice-pwd:${t.iceParameters.password}`,
    `a=fingerprint:${fp.algorithm} ${fp.value}`,
    'a=setup:passive',
    `a=mid:${mid}`,
    'a=recvonly',
    'a=rtcp-mux',
    `a=rtpmap:${PT} opus/48000/2`,
    `a=fmtp:${PT} minptime=10;useinbandfec=1`,
    ...udp.map((c) => `a=candidate:${c.foundation} 1 udp ${c.priority ?? 1} ${c.ip} ${c.port} typ host`),
    'a=end-of-candidates',
    ''
  ].join('\r\n')
}

async function openOne(signalingUrl: string, pipeline: 'echo' | 'click' | undefined): Promise<LoadSession> {
  const signaling = await connectSignaling(signalingUrl, (url) => new WebSocket(url) as unknown as WebSocketLike)
  // Loopback only: no STUN server (werift's default is a public one), IPv4, the socket bound to 127.0.0.1.
  const pc = new RTCPeerConnection({
    codecs: { audio: [new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48_000, channels: 2, payloadType: PT })] },
    iceServers: [],
    iceUseIpv6: false,
    iceInterfaceAddresses: { udp4: '127.0.0.1' },
    iceAdditionalHostAddresses: ['127.0.0.1']
  })
  try {
    await signaling.request('hello', { protocolVersion: SIGNALING_PROTOCOL_VERSION, client: 'bench-sessions-werift' })
    const joined = await signaling.request('join', pipeline ? { pipeline } : {})
    const t = await signaling.request('createTransport', { direction: 'send' })
    const transceiver = pc.addTransceiver('audio', { direction: 'sendonly' })
    const offer = await pc.createOffer()
    await pc.setLocalDescription(offer)
    const local = pc.localDescription!.sdp
    const fp = /a=fingerprint:(\S+) (\S+)/.exec(local)
    if (!fp) throw new Error('werift offer has no DTLS fingerprint')
    // As mediasoup-client does: tell the server our DTLS role and fingerprint before ICE can start.
    await signaling.request('connectTransport', { transportId: t.id, dtlsParameters: { role: 'client', fingerprints: [{ algorithm: fp[1] as 'sha-256', value: fp[2]! }] } })
    await pc.setRemoteDescription({ type: 'answer', sdp: answerSdp(local, t as never) })
    const connected = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`ICE/DTLS not connected within 15 s (${pc.connectionState})`)), 15_000)
      pc.connectionStateChange.subscribe((s) => {
        if (s === 'connected') {
          clearTimeout(timer)
          resolve()
        } else if (s === 'failed' || s === 'closed') {
          clearTimeout(timer)
          reject(new Error(`connection ${s}`))
        }
      })
    })
    connected.catch(() => undefined) // awaited below; a failure in between must not become an unhandled rejection
    const sender = transceiver.sender
    const { id: producerId } = await signaling.request('produce', {
      transportId: t.id,
      kind: 'audio',
      rtpParameters: {
        codecs: [{ mimeType: 'audio/opus', payloadType: PT, clockRate: 48_000, channels: 2, parameters: { useinbandfec: 1, usedtx: 0 } }],
        encodings: [{ ssrc: sender.ssrc }],
        rtcp: { cname: `bench-${sender.ssrc}`, reducedSize: true, mux: true }
      }
    })
    await connected
    // Like the app: answer the server's uplinkGap (it lost a run of packets, e.g. kernel drops under load) with the
    // frames it missed, which this client can rebuild exactly: packet n is packets[n % length] at timestamp n × 960.
    signaling.onNotification((name, data) => {
      const note = data as { type?: string; detail?: { fromRtpTimestamp?: number; frames?: number } }
      if (name !== SESSION_NOTIFICATION || note.type !== 'uplinkGap') return
      const first = Math.round((note.detail?.fromRtpTimestamp ?? 0) / 960)
      const count = Math.min(note.detail?.frames ?? 0, 1500)
      void (async () => {
        for (let i = 0; i === 0 || i < count; i += 100) {
          const frames = Array.from({ length: Math.max(0, Math.min(100, count - i)) }, (_, k) => ({ rtpTimestamp: ((first + i + k) * 960) >>> 0, opus: packets[(first + i + k) % packets.length]!.toString('base64') }))
          await signaling.request('backfillAudio', { frames, done: i + 100 >= count }, 30_000)
        }
        backfills++
      })().catch(() => undefined)
    })
    const transport = (sender as unknown as { dtlsTransport: LoadSession['transport'] }).dtlsTransport
    return { sessionId: joined.sessionId, producerId, paused: false, signaling, pc, sender, transport, sent: 0, t0Epoch: 0, clipOffset: Math.floor(Math.random() * packets.length) }
  } catch (error) {
    await pc.close().catch(() => undefined)
    signaling.close()
    throw error
  }
}

async function openAll(signalingUrl: string, count: number, pipeline: 'echo' | 'click' | undefined): Promise<string[]> {
  const failures: string[] = []
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < count) {
      next++
      try {
        sessions.push(await openOne(signalingUrl, pipeline))
      } catch (error) {
        failures.push((error as Error).message)
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(6, count) }, worker))
  return failures
}

/** Every 5 ms, a quarter of the sessions send their next packet: each session every 20 ms, spread over the period. */
async function sendFor(durationMs: number): Promise<number[]> {
  const start = performance.now()
  const startEpoch = performance.timeOrigin + start
  const late: number[] = []
  // Sequence numbers and timestamps continue across runs (a restart at 0 would look like duplicates to the
  // server); t0Epoch is the epoch time at which timestamp 0 would have been sent on this run's schedule.
  const base = frameBase
  sessions.forEach((s, i) => {
    s.sent = 0
    s.t0Epoch = startEpoch + (i % 4) * 5 - base * 20
  })
  let tick = 0
  const frames = Math.floor(durationMs / 20)
  await new Promise<void>((resolve) => {
    const step = (): void => {
      const group = tick % 4
      const frame = Math.floor(tick / 4)
      if (frame >= frames) {
        frameBase += frames
        return resolve()
      }
      const due = start + tick * 5
      late.push(performance.now() - due)
      for (let i = group; i < sessions.length; i += 4) {
        const s = sessions[i]!
        const n = base + frame
        const payload = packets[(n + s.clipOffset) % packets.length]!
        const header = new RtpHeader({ payloadType: PT, ssrc: s.sender.ssrc, sequenceNumber: n & 0xffff, timestamp: (n * 960) >>> 0, marker: n === 0 })
        s.sent++
        // Straight to werift's SRTP + ICE socket: RTCRtpSender.sendRtp clones and rewrites every packet and runs its
        // bandwidth estimator, which costs more CPU than this client can spare at hundreds of sessions.
        void s.transport.sendRtp(payload, header).catch(() => undefined)
      }
      tick++
      setTimeout(step, Math.max(0, start + tick * 5 - performance.now()))
    }
    step()
  })
  return late
}

/**
 * Between runs the clients send nothing; like the app's push-to-talk they pause their producers meanwhile, so the
 * server does not take the silence for a link outage (and ask for a backfill).
 */
async function setAllPaused(paused: boolean): Promise<void> {
  await Promise.all(
    sessions
      .filter((s) => s.paused !== paused)
      .map(async (s) => {
        await s.signaling.request('setProducerPaused', { producerId: s.producerId, paused }, 30_000).catch((error: unknown) => {
          if (!paused) throw error
        })
        s.paused = paused
      })
  )
}

/** One run: resume, send for `durationMs`, let queued packets reach the server, pause. Returns send lateness. */
async function talkFor(durationMs: number): Promise<number[]> {
  await setAllPaused(false)
  const late = await sendFor(durationMs)
  await new Promise((r) => setTimeout(r, 1000)) // let queued packets reach the server before pausing
  await setAllPaused(true)
  return late
}

process.on('message', (msg: { type: string; signalingUrl?: string; count?: number; opusFile?: string; pipeline?: 'echo' | 'click'; durationMs?: number }) => {
  void (async () => {
    if (msg.type === 'open') {
      packets = readPackets(msg.opusFile!)
      const failures = await openAll(msg.signalingUrl!, msg.count!, msg.pipeline)
      send({ type: 'opened', sessions: sessions.map((s) => ({ sessionId: s.sessionId })), failures })
    } else if (msg.type === 'warmup') {
      // Talk for a moment before a measured run: the new sessions' first words (and the backend's first run of its
      // code at this load) are not what a steady load looks like.
      await talkFor(msg.durationMs!)
      send({ type: 'warmedUp' })
    } else if (msg.type === 'start') {
      const late = await talkFor(msg.durationMs!)
      send({
        type: 'sent',
        sessions: sessions.map((s) => ({ sessionId: s.sessionId, sent: s.sent, t0Epoch: s.t0Epoch })),
        lateMsP95: percentile(late, 95) ?? 0,
        backfills
      })
    } else if (msg.type === 'close') {
      await Promise.all(sessions.map(async (s) => {
        await s.signaling.request('leave', {}, 2000).catch(() => undefined)
        s.signaling.close()
        await s.pc.close().catch(() => undefined)
      }))
      process.exit(0)
    }
  })().catch((error: unknown) => {
    send({ type: 'error', message: String((error as Error)?.stack ?? error) })
  })
})
process.on('disconnect', () => process.exit(0))

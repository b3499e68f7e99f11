import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { startBackend, type RunningBackend } from '../../../../src/server/backend'
import { connectSignaling, type SignalingClient, type WebSocketLike } from '../../../../src/shared/signalingClient'

const factory = (url: string): WebSocketLike => new WebSocket(url) as unknown as WebSocketLike

/** Send raw frames on one socket and collect exactly one answer per frame. */
function exchange(url: string, frames: string[]): Promise<Array<{ id: number | null; ok: boolean; error?: { code: string } }>> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url)
    const answers: Array<{ id: number | null; ok: boolean; error?: { code: string } }> = []
    ws.on('open', () => frames.forEach((f) => ws.send(f)))
    ws.on('message', (data) => {
      const msg = JSON.parse(data.toString())
      if ('notification' in msg) return
      answers.push(msg)
      if (answers.length === frames.length) {
        ws.close()
        resolve(answers)
      }
    })
    ws.on('error', reject)
    setTimeout(() => reject(new Error(`only ${answers.length}/${frames.length} answers`)), 15_000)
  })
}

const dtls = { role: 'client' as const, fingerprints: [{ algorithm: 'sha-256' as const, value: 'AB:CD' }] }
const opusParams = {
  codecs: [{ mimeType: 'audio/opus', payloadType: 111, clockRate: 48000, channels: 2, parameters: { useinbandfec: 1 } }],
  encodings: [{ ssrc: 1111 }],
  rtcp: { cname: 'x' }
}

describe('media sessions over signaling (real mediasoup worker)', () => {
  let backend: RunningBackend
  beforeAll(async () => {
    backend = await startBackend(
      { listenIp: '127.0.0.1', announcedIp: null, rtcPort: 0, signalingPort: 0, workers: 1, logLevel: 'none' },
      { sessions: { detachedGraceMs: 300 } }
    )
  })
  afterAll(() => backend?.close())

  it('needs a session first, and isolates one session from another', async () => {
    const a = await connectSignaling(backend.signalingUrl, factory)
    const b = await connectSignaling(backend.signalingUrl, factory)
    await expect(a.request('createTransport', { direction: 'send' })).rejects.toMatchObject({ code: 'unauthorized' })
    const ja = await a.request('join', { pipeline: 'echo' })
    const jb = await b.request('join', { pipeline: 'click' })
    expect(ja.sessionId).not.toBe(jb.sessionId)
    expect(jb.pipeline).toBe('click')
    const ta = await a.request('createTransport', { direction: 'send' })
    const tb = await b.request('createTransport', { direction: 'recv' })
    // Both transports offer the worker's single WebRTC port.
    expect(ta.iceCandidates.map((c) => c.port)).toEqual(tb.iceCandidates.map((c) => c.port))
    // b cannot touch a's transport, nor resume a's session without its token.
    await expect(b.request('connectTransport', { transportId: ta.id, dtlsParameters: dtls })).rejects.toMatchObject({ code: 'not_found' })
    await expect(b.request('restartIce', { transportId: ta.id })).rejects.toMatchObject({ code: 'not_found' })
    await expect(b.request('produce', { transportId: ta.id, kind: 'audio', rtpParameters: opusParams })).rejects.toMatchObject({ code: 'not_found' })
    await expect(b.request('resume', { sessionId: ja.sessionId, token: jb.token })).rejects.toMatchObject({ code: 'unauthorized' })
    await expect(b.request('resume', { sessionId: ja.sessionId, token: ja.token })).rejects.toMatchObject({ code: 'conflict' })
    const c = await connectSignaling(backend.signalingUrl, factory)
    await expect(c.request('resume', { sessionId: ja.sessionId, token: jb.token })).rejects.toMatchObject({ code: 'unauthorized' })
    await expect(c.request('resume', { sessionId: 'nope', token: ja.token })).rejects.toMatchObject({ code: 'unauthorized' })
    // Wrong direction and bad parameters are errors, not crashes.
    await expect(a.request('consume', { transportId: ta.id, rtpCapabilities: { codecs: [] } })).rejects.toMatchObject({ code: 'conflict' })
    await expect(a.request('produce', { transportId: ta.id, kind: 'audio', rtpParameters: { codecs: [{ mimeType: 'audio/nonsense', payloadType: 1, clockRate: 8000 }] } })).rejects.toMatchObject({ code: 'invalid_params' })
    const produced = await a.request('produce', { transportId: ta.id, kind: 'audio', rtpParameters: opusParams, paused: true })
    expect((await a.request('setProducerPaused', { producerId: produced.id, paused: false })).paused).toBe(false)
    await expect(b.request('setProducerPaused', { producerId: produced.id, paused: true })).rejects.toMatchObject({ code: 'not_found' })
    // The rightful owner resumes from a new connection with the token and sees its transport.
    const resumed = await c.request('resume', { sessionId: ja.sessionId, token: ja.token })
    expect(resumed.transports.map((t) => t.id)).toEqual([ta.id])
    await c.request('leave', {})
    expect(backend.sessions.size).toBe(1)
    b.close()
    a.close()
    c.close()
  })

  it('closes a detached session after the grace period, leaving no router behind', async () => {
    const worker = backend.workers[0]!.worker
    const baseline = (await worker.dump()).routerIds.length
    const client = await connectSignaling(backend.signalingUrl, factory)
    await client.request('join', {})
    await client.request('createTransport', { direction: 'send' })
    expect((await worker.dump()).routerIds.length).toBe(baseline + 1)
    client.close()
    await new Promise((r) => setTimeout(r, 700))
    expect(backend.sessions.size).toBe(0)
    expect((await worker.dump()).routerIds.length).toBe(0)
  })

  it('answers 1500 random and malformed session requests with errors; the worker and the backend survive', async () => {
    let seed = 424242
    const rand = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff)
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!
    // A victim session whose ids the fuzzing connection knows but does not own.
    const victim: SignalingClient = await connectSignaling(backend.signalingUrl, factory)
    const v = await victim.request('join', {})
    const vt = await victim.request('createTransport', { direction: 'send' })
    const methods = ['join', 'resume', 'createTransport', 'connectTransport', 'restartIce', 'produce', 'setProducerPaused', 'consume', 'resumeConsumer', 'clientEvent', 'leave', 'nope', '']
    const ids = [vt.id, v.sessionId, 'x', '', 'a'.repeat(65), 42, null, { $gt: '' }]
    const values = [null, true, -1, Number.POSITIVE_INFINITY, 'x', [], {}, { codecs: 'x' }, opusParams, dtls, { direction: 'sideways' }, { direction: 'send' }, '__proto__']
    const paramsFor = (): unknown => {
      switch (Math.floor(rand() * 5)) {
        case 0:
          return pick(values)
        case 1:
          return { transportId: pick(ids), dtlsParameters: pick(values) }
        case 2:
          return { transportId: pick(ids), kind: pick(['audio', 'video', 1]), rtpParameters: pick(values) }
        case 3:
          return { sessionId: pick(ids), token: pick([v.token.slice(1), 'a'.repeat(32), v.token + 'x']) }
        default:
          return { producerId: pick(ids), consumerId: pick(ids), paused: pick([true, 'no']), type: pick(['pttDown', 'boom']), clientTime: pick([1, 'now']) }
      }
    }
    const frames: string[] = []
    for (let i = 0; i < 1500; i++) {
      const r = rand()
      if (r < 0.1) frames.push(pick(['{', 'null', '[]', '"x"', '{"id":1}', '{"id":"1","method":"join"}']))
      else frames.push(JSON.stringify({ id: i, method: pick(methods), params: paramsFor() }))
    }
    // A few joins may succeed on the fuzzing connection; what matters is every frame gets an answer and nothing of
    // the victim's is touched.
    const answers = await exchange(backend.signalingUrl, frames)
    expect(answers).toHaveLength(1500)
    const errors = answers.filter((a) => !a.ok)
    expect(errors.length).toBeGreaterThan(1400)
    expect(errors.every((a) => ['bad_message', 'unknown_method', 'invalid_params', 'unauthorized', 'not_found', 'conflict'].includes(a.error!.code))).toBe(true)
    expect(backend.workers[0]!.worker.closed).toBe(false)
    // The victim's session and transport are intact and still usable.
    expect((await victim.request('restartIce', { transportId: vt.id })).iceParameters.usernameFragment).toBeTruthy()
    victim.close()
    await new Promise((r) => setTimeout(r, 700))
    expect(backend.sessions.size).toBe(0)
  })
})

describe('--pipeline: the backend default for joins that do not name a pipeline', () => {
  it('a backend started with defaultPipeline click gives click sessions unless the join asks otherwise', async () => {
    const backend = await startBackend({ listenIp: '127.0.0.1', announcedIp: null, rtcPort: 0, signalingPort: 0, workers: 1, logLevel: 'none', defaultPipeline: 'click' })
    try {
      const a = await connectSignaling(backend.signalingUrl, factory)
      const b = await connectSignaling(backend.signalingUrl, factory)
      expect((await a.request('join', {})).pipeline).toBe('click')
      expect((await b.request('join', { pipeline: 'echo' })).pipeline).toBe('echo')
      a.close()
      b.close()
    } finally {
      await backend.close()
    }
  })
})

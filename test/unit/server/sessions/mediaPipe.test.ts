import { fork, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import type { types as ms } from 'mediasoup'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AudioReceiver } from '../../../../src/server/audio/audioReceiver'
import { FRAME_SAMPLES, OpusFrameEncoder } from '../../../../src/server/audio/opusCodec'
import { buildRtp } from '../../../../src/server/audio/rtp'
import { ensureWorkerBinEnv } from '../../../../src/node/mediasoupWorkerBinary'
import { PipeEndpoint, pipeProducerToRouter } from '../../../../src/server/sessions/mediaPipe'
import { SESSION_MEDIA_CODECS } from '../../../../src/server/sessions/session'

/** A mic-like producer on `router`: Opus RTP we inject through a DirectTransport. */
async function toneProducer(router: ms.Router): Promise<{ producer: ms.Producer; send(n: number): Promise<void> }> {
  const direct = await router.createDirectTransport()
  const ssrc = 4242
  const producer = await direct.produce({
    kind: 'audio',
    rtpParameters: { codecs: [{ mimeType: 'audio/opus', payloadType: 100, clockRate: 48_000, channels: 2, parameters: { useinbandfec: 1 } }], encodings: [{ ssrc }] }
  })
  const enc = new OpusFrameEncoder()
  let i = 0
  return {
    producer,
    send: async (n) => {
      for (let k = 0; k < n; k++, i++) {
        const pcm = new Int16Array(FRAME_SAMPLES)
        for (let s = 0; s < FRAME_SAMPLES; s++) pcm[s] = Math.round(0.3 * 32767 * Math.sin((2 * Math.PI * 440 * (i * FRAME_SAMPLES + s)) / 48_000))
        producer.send(buildRtp({ payloadType: 100, marker: i === 0, sequenceNumber: i, timestamp: i * FRAME_SAMPLES, ssrc, payload: enc.encode(pcm) }))
        await new Promise((r) => setTimeout(r, 5))
      }
    }
  }
}

function ask<T>(child: ChildProcess, type: string, msg?: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${type} from the pipe peer`)), 15_000)
    const on = (m: { type: string; message?: string }): void => {
      if (m.type !== type && m.type !== 'error') return
      clearTimeout(timer)
      child.off('message', on)
      if (m.type === 'error') reject(new Error(m.message))
      else resolve(m as T)
    }
    child.on('message', on)
    if (msg) child.send(msg as never)
  })
}

describe('scaling a session past one worker / one host (pipeToRouter, PipeTransport)', () => {
  let workers: ms.Worker[] = []
  let peer: ChildProcess | null = null
  beforeAll(async () => {
    ensureWorkerBinEnv()
    const mediasoup = await import('mediasoup')
    workers = [await mediasoup.createWorker({ logLevel: 'warn' }), await mediasoup.createWorker({ logLevel: 'warn' })]
  })
  afterAll(() => {
    for (const w of workers) w.close()
    peer?.kill()
  })

  it('cross-worker: a producer on worker 0 is decoded from a router on worker 1', async () => {
    const a = await workers[0]!.createRouter({ mediaCodecs: SESSION_MEDIA_CODECS })
    const b = await workers[1]!.createRouter({ mediaCodecs: SESSION_MEDIA_CODECS })
    const src = await toneProducer(a)
    const piped = await pipeProducerToRouter(a, src.producer.id, b)
    expect(piped.id).toBe(src.producer.id)
    const frames: Int16Array[] = []
    const rx = new AudioReceiver((f) => frames.push(f.pcm))
    const tap = await (await b.createDirectTransport()).consume({ producerId: piped.id, rtpCapabilities: b.rtpCapabilities })
    tap.on('rtp', (rtp: Buffer) => rx.push(rtp, performance.now()))
    await src.send(40)
    await new Promise((r) => setTimeout(r, 200))
    expect(frames.length).toBeGreaterThanOrEqual(38)
    expect(rx.stats.concealed).toBe(0)
    const rms = Math.sqrt(frames[20]!.reduce((s, x) => s + x * x, 0) / FRAME_SAMPLES) / 32768
    expect(rms).toBeGreaterThan(0.15)
    a.close()
    expect(b.closed).toBe(false)
    b.close()
  })

  it('cross-host: two processes joined by PipeTransports; the other process decodes the piped producer', async () => {
    peer = fork(join(import.meta.dirname, '..', '..', '..', 'helpers', 'pipePeerProcess.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    const { address: remote } = await ask<{ address: { ip: string; port: number } }>(peer, 'ready')
    const router = await workers[0]!.createRouter({ mediaCodecs: SESSION_MEDIA_CODECS })
    const src = await toneProducer(router)
    const endpoint = await PipeEndpoint.create(router, { listenIp: '127.0.0.1' })
    await endpoint.connect(remote)
    const exported = await endpoint.exportProducer(src.producer.id)
    await ask(peer, 'connected', { type: 'connect', address: endpoint.address, exported })
    await src.send(50)
    await new Promise((r) => setTimeout(r, 300))
    const report = await ask<{ frames: number; concealed: number; rms: number }>(peer, 'report', { type: 'report' })
    expect(report.frames).toBeGreaterThanOrEqual(48)
    expect(report.concealed).toBe(0)
    expect(report.rms).toBeGreaterThan(0.15)
    // Bad pipe data is rejected with a clear error, not a crash.
    await expect(endpoint.connect({ ip: '', port: 0 })).rejects.toThrow()
    endpoint.close()
    router.close()
  })
})

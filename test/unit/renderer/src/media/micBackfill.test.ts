import { afterEach, describe, expect, it, vi } from 'vitest'
import { BACKFILL_CHUNK_FRAMES, MicBackfill, type BackfillChunk } from '../../../../../src/renderer/src/media/micBackfill'
import { MicFrameRing } from '../../../../../src/renderer/src/media/micFrameRing'
import type { MicFrameTapMessage } from '../../../../../src/renderer/src/media/micFrameTap.worker'

const T = 960 // one 20 ms frame at 48 kHz in RTP ticks

/** The browser pieces the tap needs, faked: a worker that answers 'ready' (or never does), the script transform. */
class FakeWorker {
  static instances: FakeWorker[] = []
  static ready = true
  onmessage: ((e: { data: MicFrameTapMessage }) => void) | null = null
  onerror: ((e: { message: string }) => void) | null = null
  terminated = false
  constructor(readonly url: unknown, readonly options: unknown) {
    FakeWorker.instances.push(this)
    if (FakeWorker.ready) setTimeout(() => this.post({ type: 'ready' }), 0)
  }
  post(data: MicFrameTapMessage): void {
    this.onmessage?.({ data })
  }
  terminate(): void {
    this.terminated = true
  }
}
class FakeScriptTransform {
  constructor(
    readonly worker: FakeWorker,
    readonly options: { generation: number }
  ) {}
}
class FakeRtpSender {
  createEncodedStreams(): never {
    throw new Error('stub')
  }
}

function setup(ring = new MicFrameRing(3000)) {
  const logs: string[] = []
  let available = 0
  const backfill = new MicBackfill({ log: (l) => logs.push(l), onAvailable: () => available++, ring })
  const sent: BackfillChunk[] = []
  const send = async (chunk: BackfillChunk): Promise<void> => {
    sent.push(chunk)
  }
  return { backfill, ring, logs, sent, send, available: () => available }
}

afterEach(() => {
  vi.unstubAllGlobals()
  vi.useRealTimers()
  FakeWorker.instances = []
  FakeWorker.ready = true
})

describe('MicBackfill: answering the server’s uplink gap from the frames kept', () => {
  it('sends the frames of the gap in chunks, oldest first, base64, the last chunk marked done', async () => {
    const t = setup()
    for (let i = 0; i < 300; i++) t.ring.push(1000 + i * T, Uint8Array.of(i % 256, 0xff))
    const sent = await t.backfill.answerGap({ fromRtpTimestamp: 1000 + 50 * T, frames: 230 }, t.send)
    expect(sent).toBe(230)
    expect(t.sent.map((c) => [c.frames.length, c.done])).toEqual([
      [BACKFILL_CHUNK_FRAMES, false],
      [BACKFILL_CHUNK_FRAMES, false],
      [30, true]
    ])
    expect(t.sent[0]!.frames[0]).toEqual({ rtpTimestamp: 1000 + 50 * T, opus: Buffer.from([50, 0xff]).toString('base64') })
    expect(t.sent[2]!.frames.at(-1)!.rtpTimestamp).toBe(1000 + 279 * T)
  })

  it('a gap it kept nothing of is answered with one empty chunk that says done (the server stops waiting)', async () => {
    const t = setup()
    expect(await t.backfill.answerGap({ fromRtpTimestamp: 5, frames: 10 }, t.send)).toBe(0)
    expect(t.sent).toEqual([{ frames: [], done: true }])
  })

  it('a notification without a frame range sends nothing', async () => {
    const t = setup()
    const details: Array<Record<string, string | number> | undefined> = [undefined, {}, { fromRtpTimestamp: 'x', frames: 3 }, { fromRtpTimestamp: 0, frames: 0 }, { fromRtpTimestamp: 0, frames: -2 }]
    for (const detail of details) {
      expect(await t.backfill.answerGap(detail, t.send)).toBeNull()
    }
    expect(t.sent).toEqual([])
  })

  it('stops at a failed request and passes the error on', async () => {
    const t = setup()
    for (let i = 0; i < 150; i++) t.ring.push(i * T, Uint8Array.of(1))
    let calls = 0
    await expect(
      t.backfill.answerGap({ fromRtpTimestamp: 0, frames: 150 }, async () => {
        calls++
        throw new Error('signaling is down (backfillAudio)')
      })
    ).rejects.toThrow('signaling is down')
    expect(calls).toBe(1)
  })
})

describe('MicBackfill: the encoded-frame tap on each send transport', () => {
  it('without encoded transforms there is no tap (outages lose their audio), and a new sender starts an empty ring', async () => {
    const t = setup()
    t.ring.push(0, Uint8Array.of(1))
    const tap = await t.backfill.tapNextSender()
    expect(tap).toEqual({ mode: null, transportOptions: {} })
    expect(t.ring.size).toBe(0)
    expect(t.available()).toBe(0)
  })

  it('on the main thread: every frame goes on to the wire unchanged and a copy is kept by RTP timestamp', async () => {
    vi.stubGlobal('RTCRtpSender', FakeRtpSender)
    const t = setup()
    const tap = await t.backfill.tapNextSender()
    expect(tap.mode).toBe('main-thread')
    expect(tap.transportOptions).toEqual({ additionalSettings: { encodedInsertableStreams: true } })
    const wire: unknown[] = []
    const source = new TransformStream()
    const sink = new WritableStream({ write: (f) => void wire.push(f) })
    tap.onRtpSender!({ createEncodedStreams: () => ({ readable: source.readable, writable: sink }) } as unknown as RTCRtpSender)
    expect(t.available()).toBe(1)
    const frame = (ts: number, byte: number) => ({ data: Uint8Array.of(byte, byte).buffer, timestamp: 0, getMetadata: () => ({ rtpTimestamp: ts }) })
    const writer = source.writable.getWriter()
    const frames = [frame(T, 1), frame(2 * T, 2)]
    for (const f of frames) await writer.write(f)
    await writer.close()
    await vi.waitFor(() => expect(wire).toHaveLength(2))
    expect(wire).toEqual(frames) // the same objects: nothing changed on the way
    expect(t.ring.range(T, 2).map((f) => [f.rtpTimestamp, f.data[0]])).toEqual([
      [T, 1],
      [2 * T, 2]
    ])
  })

  it('in a worker: frames of the current sender fill the ring, an earlier sender’s are dropped; close stops the worker', async () => {
    vi.stubGlobal('Worker', FakeWorker)
    vi.stubGlobal('RTCRtpScriptTransform', FakeScriptTransform)
    const t = setup()
    const first = await t.backfill.tapNextSender()
    expect(first.mode).toBe('worker')
    const sender = {} as RTCRtpSender & { transform?: FakeScriptTransform }
    first.onRtpSender!(sender)
    expect(sender.transform!.options).toEqual({ generation: 1 })
    expect(t.available()).toBe(1)
    const worker = FakeWorker.instances[0]!
    const post = (generation: number, ts: number) => worker.post({ type: 'frame', generation, rtpTimestamp: ts, data: Uint8Array.of(generation).buffer })
    post(1, 0)
    expect(t.ring.size).toBe(1)
    // A rebuilt session: a new send transport, the same worker.
    const second = await t.backfill.tapNextSender()
    second.onRtpSender!({} as RTCRtpSender)
    expect(FakeWorker.instances).toHaveLength(1)
    expect(t.ring.size).toBe(0)
    post(1, T)
    post(2, 5 * T)
    expect(t.ring.range(0, 10).map((f) => [f.rtpTimestamp, f.data[0]])).toEqual([[5 * T, 2]])
    worker.post({ type: 'ended', generation: 2, error: 'pipe broke' })
    expect(t.logs).toContain('mic frame tap ended: pipe broke')
    t.backfill.close()
    await vi.waitFor(() => expect(worker.terminated).toBe(true))
  })

  it('a worker that is not ready within 3 s is stopped and the tap runs on the main thread', async () => {
    vi.useFakeTimers()
    vi.stubGlobal('Worker', FakeWorker)
    vi.stubGlobal('RTCRtpScriptTransform', FakeScriptTransform)
    vi.stubGlobal('RTCRtpSender', FakeRtpSender)
    FakeWorker.ready = false
    const t = setup()
    const tap = t.backfill.tapNextSender()
    await vi.advanceTimersByTimeAsync(3000)
    expect((await tap).mode).toBe('main-thread')
    expect(FakeWorker.instances[0]!.terminated).toBe(true)
    expect(t.logs).toContain('mic frame tap worker unavailable (not ready within 3 s); tapping on the main thread')
  })
})

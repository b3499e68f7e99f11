import { fileURLToPath } from 'node:url'
import type { Worker } from 'node:worker_threads'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startModuleWorker } from '../../../../src/node/worker/moduleWorker'
import { SileroVadBatch, VAD_FRAME_SAMPLES } from '../../../../src/node/vad/sileroVad'
import type { FromServerVadWorker } from '../../../../src/server/vad/serverVadProtocol'
import { resolveServerVadWorkerPath, WorkerFrameBatch } from '../../../../src/server/vad/workerFrameBatch'
import { SpeechCorpus } from '../../../helpers/speech'

const SOURCE = fileURLToPath(new URL('../../../../src/server/vad/serverVadWorker.ts', import.meta.url))

describe('server VAD thread (WorkerFrameBatch)', () => {
  let speech: Float32Array
  let thread: WorkerFrameBatch
  beforeAll(async () => {
    const corpus = await SpeechCorpus.create()
    try {
      speech = (await corpus.clip({ leadMs: 300, parts: [{ text: 'What time is it in Lisbon', voice: 'en-us', rate: 170 }], trailMs: 500 })).samples
    } finally {
      await corpus.dispose()
    }
    thread = await WorkerFrameBatch.start({ workerPath: SOURCE, initialSlots: 2, silenceGateRms: 0 })
  }, 60_000)
  afterAll(async () => {
    await thread?.close()
  })

  const framesOf = (samples: Float32Array): Float32Array[] => {
    const out: Float32Array[] = []
    for (let i = 0; i + VAD_FRAME_SAMPLES <= samples.length; i += VAD_FRAME_SAMPLES) out.push(samples.slice(i, i + VAD_FRAME_SAMPLES))
    return out
  }

  it('gives the same probabilities as the batch on this thread, for streams that skip frames and slots past its start size', async () => {
    const local = await SileroVadBatch.create(1)
    // Slots 0, 5 and 9 (beyond the 2 slots it started with); slot 5 hears the clip quieter and skips every third step.
    const streamSlots = [0, 5, 9]
    const streams = streamSlots.map((_, k) => framesOf(speech.map((x) => x * (1 - k * 0.2))))
    const cursor = [0, 0, 0]
    let compared = 0
    for (let step = 0; cursor.some((c, k) => c < streams[k]!.length); step++) {
      const take = streamSlots.map((_, k) => k).filter((k) => cursor[k]! < streams[k]!.length && !(k === 1 && step % 3 === 2))
      const pack = (): { slots: Int32Array; frames: Float32Array } => {
        const frames = new Float32Array(take.length * VAD_FRAME_SAMPLES)
        take.forEach((k, i) => frames.set(streams[k]![cursor[k]!]!, i * VAD_FRAME_SAMPLES))
        return { slots: Int32Array.from(take.map((k) => streamSlots[k]!)), frames }
      }
      const a = pack()
      const b = pack()
      const [remote, here] = await Promise.all([thread.process(a.slots, a.frames), local.processPacked(b.slots, b.frames)])
      expect(Array.from(remote)).toEqual(Array.from(here))
      compared += take.length
      for (const k of take) cursor[k]!++
    }
    expect(compared).toBeGreaterThan(60)
  })

  it('answers silent frames without the model by default (silence gate), speech through it', async () => {
    const gated = await WorkerFrameBatch.start({ workerPath: SOURCE })
    try {
      const frames = framesOf(speech)
      const probs: number[] = []
      for (const f of frames) probs.push((await gated.process(Int32Array.of(0), f))[0]!)
      expect(gated.framesGated).toBeGreaterThan(5) // the clip's digital-silence lead-in and tail
      expect(gated.framesGated).toBeLessThan(frames.length / 2)
      expect(probs.filter((p) => p > 0.9).length).toBeGreaterThan(15)
    } finally {
      await gated.close()
    }
  })

  it('refuses malformed requests with a clear error and keeps serving', async () => {
    await expect(thread.process(Int32Array.of(0), new Float32Array(100))).rejects.toThrow(/expected 1 frames of 512 samples/)
    await expect(thread.process(Int32Array.of(3, 3), new Float32Array(2 * VAD_FRAME_SAMPLES))).rejects.toThrow(/slot 3 appears twice/)
    await expect(thread.process(Int32Array.of(1_000_000), new Float32Array(VAD_FRAME_SAMPLES))).rejects.toThrow(/slot 1000000 is outside/)
    const ok = await thread.process(Int32Array.of(1), new Float32Array(VAD_FRAME_SAMPLES))
    expect(ok.length).toBe(1)
    expect(ok[0]).toBeLessThan(0.5)
    expect(thread.alive).toBe(true)
  })

  it('answers raw garbage on its port with error messages, not a crash', async () => {
    const worker: Worker = startModuleWorker(SOURCE, { initialSlots: 1 })
    try {
      const replies: FromServerVadWorker[] = []
      const next = (): Promise<FromServerVadWorker> => new Promise((resolve) => worker.once('message', (m: FromServerVadWorker) => (replies.push(m), resolve(m))))
      expect((await next()).type).toBe('ready')
      const cases: unknown[] = [
        { type: 'nope' },
        null,
        { type: 'process', slots: Int32Array.of(0), frames: new Float32Array(512) },
        { type: 'process', id: 7, slots: [0], frames: new Float32Array(512) },
        { type: 'process', id: 8, slots: Int32Array.of(0), frames: 'audio' },
        { type: 'reset', slot: -1 }
      ]
      for (const c of cases) {
        const reply = next()
        worker.postMessage(c)
        const m = await reply
        expect(m.type).toBe('error')
      }
      expect(replies.slice(1).map((m) => (m as { message: string }).message)).toEqual([
        expect.stringMatching(/unknown message type "nope"/),
        expect.stringMatching(/unknown message type "undefined"/),
        expect.stringMatching(/needs a numeric id/),
        expect.stringMatching(/slots must be an Int32Array, got an array/),
        expect.stringMatching(/frames must be a Float32Array, got string/),
        expect.stringMatching(/reset: slot -1/)
      ])
      const reply = next()
      worker.postMessage({ type: 'process', id: 9, slots: Int32Array.of(0), frames: new Float32Array(512) })
      expect(await reply).toMatchObject({ type: 'probs', id: 9 })
    } finally {
      await worker.terminate()
    }
  })

  it('a missing model fails the start with the reason', async () => {
    await expect(WorkerFrameBatch.start({ workerPath: SOURCE, modelPath: '/nonexistent/silero.onnx' })).rejects.toThrow(/cannot load the Silero VAD model \/nonexistent\/silero.onnx/)
  })

  it('once the thread is gone, pending and later calls fail with the reason and it reports itself dead', async () => {
    const t = await WorkerFrameBatch.start({ workerPath: SOURCE })
    const pending = expect(t.process(Int32Array.of(0), new Float32Array(VAD_FRAME_SAMPLES))).rejects.toThrow(/closed|exited/)
    await t.close()
    await pending
    expect(t.alive).toBe(false)
    await expect(t.process(Int32Array.of(0), new Float32Array(VAD_FRAME_SAMPLES))).rejects.toThrow(/closed/)
  })

  it('finds its module: the bundle entry beside the backend bundle or its chunk folder, else the source', () => {
    const inBundle = (p: string): boolean => p === '/app/out/main/serverVadWorker.js'
    expect(resolveServerVadWorkerPath('file:///app/out/main/server.js', inBundle)).toBe('/app/out/main/serverVadWorker.js')
    expect(resolveServerVadWorkerPath('file:///app/out/main/chunks/serverVad-x.js', inBundle)).toBe('/app/out/main/serverVadWorker.js')
    expect(resolveServerVadWorkerPath('file:///repo/src/server/vad/workerFrameBatch.ts', (p) => p === '/repo/src/server/vad/serverVadWorker.ts')).toBe('/repo/src/server/vad/serverVadWorker.ts')
    expect(() => resolveServerVadWorkerPath('file:///app/out/main/server.js', () => false)).toThrow(/server VAD thread's module is missing.*npm run build/)
  })
})

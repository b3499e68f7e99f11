import { beforeAll, describe, expect, it } from 'vitest'
import type ort from 'onnxruntime-node'
import {
  loadSileroSession,
  SileroVad,
  SileroVadBatch,
  VAD_FRAME_SAMPLES
} from '../../../../src/node/vad/sileroVad'
import { SpeechCorpus } from '../../../helpers/speech'

function frames(samples: Float32Array): Float32Array[] {
  const out: Float32Array[] = []
  for (let i = 0; i + VAD_FRAME_SAMPLES <= samples.length; i += VAD_FRAME_SAMPLES) out.push(samples.slice(i, i + VAD_FRAME_SAMPLES))
  return out
}

describe('Silero VAD on onnxruntime-node', () => {
  let session: ort.InferenceSession
  let speech: Float32Array
  beforeAll(async () => {
    session = await loadSileroSession()
    const corpus = await SpeechCorpus.create()
    try {
      speech = (await corpus.clip({ leadMs: 500, parts: [{ text: 'Turn the radio down a little please', voice: 'en-us', rate: 170 }], trailMs: 700 })).samples
    } finally {
      await corpus.dispose()
    }
  })

  it('scores speech high and silence low', async () => {
    const vad = new SileroVad(session)
    const probs: number[] = []
    for (const f of frames(speech)) probs.push(await vad.process(f))
    expect(Math.max(...probs.slice(0, 12))).toBeLessThan(0.1) // 384 ms of the 500 ms lead-in
    expect(probs.filter((p) => p > 0.9).length).toBeGreaterThan(20)
  })

  it('carries the 64-sample context: feeding bare 512-sample windows gives different probabilities', async () => {
    const vad = new SileroVad(session)
    const withContext: number[] = []
    for (const f of frames(speech)) withContext.push(await vad.process(f))
    // The same frames with the context forced to zeros each time (what feeding bare 512 samples amounts to).
    const { default: ortModule } = await import('onnxruntime-node')
    let state = new Float32Array(256)
    const bare: number[] = []
    for (const f of frames(speech)) {
      const input = new Float32Array(576)
      input.set(f, 64)
      const out = await session.run({
        input: new ortModule.Tensor('float32', input, [1, 576]),
        state: new ortModule.Tensor('float32', state, [2, 1, 128]),
        sr: new ortModule.Tensor('int64', BigInt64Array.from([16000n]), [])
      })
      bare.push((out.output!.data as Float32Array)[0]!)
      state = (out.stateN!.data as Float32Array).slice()
    }
    const maxDiff = Math.max(...withContext.map((p, i) => Math.abs(p - bare[i]!)))
    expect(maxDiff).toBeGreaterThan(0.05)
  })

  it('gives identical results batched and single-stream, with streams skipping frames independently', async () => {
    const B = 5
    // Stream b hears the speech delayed by b frames and scaled, so every row of the batch differs.
    const streams = Array.from({ length: B }, (_, b) => {
      const s = new Float32Array(speech.length + b * VAD_FRAME_SAMPLES)
      for (let i = 0; i < speech.length; i++) s[i + b * VAD_FRAME_SAMPLES] = speech[i]! * (1 - b * 0.15)
      return frames(s)
    })
    const single: number[][] = []
    for (const stream of streams) {
      const vad = new SileroVad(session)
      const probs: number[] = []
      for (const f of stream) probs.push(await vad.process(f))
      single.push(probs)
    }
    const batch = new SileroVadBatch(session, B)
    const batched: number[][] = streams.map(() => [])
    const cursor = new Array<number>(B).fill(0)
    // Stream 3 skips every third step: its state must stand still on those steps.
    for (let step = 0; cursor.some((c, b) => c < streams[b]!.length); step++) {
      const input = streams.map((stream, b) => (b === 3 && step % 3 === 2) || cursor[b]! >= stream.length ? null : stream[cursor[b]!]!)
      const probs = await batch.process(input)
      input.forEach((f, b) => {
        if (!f) return expect(Number.isNaN(probs[b])).toBe(true)
        batched[b]!.push(probs[b]!)
        cursor[b]!++
      })
    }
    for (let b = 0; b < B; b++) {
      expect(batched[b]!.length).toBe(single[b]!.length)
      const maxDiff = Math.max(...single[b]!.map((p, i) => Math.abs(p - batched[b]![i]!)))
      expect(maxDiff).toBe(0)
    }
  })

  it('silence gate: quiet frames cost no inference and score 0, speech scores as without the gate', async () => {
    // Speech with a pause of digital silence in the middle and a -40 dBFS noise floor at the end (not gated).
    const pause = new Float32Array(20 * VAD_FRAME_SAMPLES)
    const noise = Float32Array.from({ length: 10 * VAD_FRAME_SAMPLES }, (_, i) => Math.sin(i * 1.7) * 0.014)
    const clip = new Float32Array(speech.length * 2 + pause.length + noise.length)
    clip.set(speech, 0)
    clip.set(pause, speech.length)
    clip.set(speech, speech.length + pause.length)
    clip.set(noise, speech.length * 2 + pause.length)
    const plain = new SileroVad(session)
    const gatedBatch = new SileroVadBatch(session, 1, { silenceGateRms: 0.001 })
    const all = frames(clip)
    const ungated: number[] = []
    const gated: number[] = []
    for (const f of all) {
      ungated.push(await plain.process(f))
      gated.push((await gatedBatch.processPacked([0], f))[0]!)
    }
    expect(gatedBatch.stats.gated + gatedBatch.stats.inferred).toBe(all.length)
    expect(gatedBatch.stats.gated).toBeGreaterThan(30) // lead-in, the pause, the tail of each copy
    // Every gated frame is one Silero also calls silence; speech decisions are the same with and without the gate.
    for (let i = 0; i < all.length; i++) {
      if (gated[i] === 0) expect(ungated[i]).toBeLessThan(0.1)
      expect(gated[i]! > 0.5, `frame ${i}: ${gated[i]} vs ${ungated[i]}`).toBe(ungated[i]! > 0.5)
    }
    const noiseFrames = gated.slice(-9) // the -40 dBFS floor is above the gate: classified, not gated
    expect(noiseFrames.every((p) => p > 0)).toBe(true)
  })

  it('ships the model with its license and documented provenance', async () => {
    const { createHash } = await import('node:crypto')
    const { readFile } = await import('node:fs/promises')
    const { dirname, join } = await import('node:path')
    const { resolveSileroModelPath } = await import('../../../../src/node/vad/sileroVad')
    const modelPath = resolveSileroModelPath()
    const digest = createHash('sha256').update(await readFile(modelPath)).digest('hex')
    const readme = await readFile(join(dirname(modelPath), 'README.md'), 'utf8')
    expect(readme).toContain(digest)
    expect(await readFile(join(dirname(modelPath), 'LICENSE'), 'utf8')).toMatch(/MIT License[\s\S]*Silero Team/)
  })

  it('refuses malformed frames with a clear error and keeps working', async () => {
    const vad = new SileroVad(session)
    await expect(vad.process(new Float32Array(100))).rejects.toThrow(/expected 512 samples/)
    await expect(vad.process([1, 2, 3] as unknown as Float32Array)).rejects.toThrow(/Float32Array/)
    const batch = new SileroVadBatch(session, 2)
    await expect(batch.process([new Float32Array(512)])).rejects.toThrow(/expected 2 frames/)
    expect(await vad.process(new Float32Array(512))).toBeLessThan(0.5)
    await expect(SileroVad.create('/nonexistent/model.onnx')).rejects.toThrow(/cannot load the Silero VAD model/)
  })
})

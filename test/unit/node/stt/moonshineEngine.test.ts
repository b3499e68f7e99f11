import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MoonshineEngine } from '../../../../src/node/stt/moonshineEngine'
import { writeTestMoonshine, type TestMoonshine } from '../../../helpers/moonshineTestModel'

describe('MoonshineEngine (greedy decoding on onnxruntime-node, generated stand-in model)', () => {
  let root: string
  let model: TestMoonshine
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'stt-'))
    model = await writeTestMoonshine(join(root, 'moonshine'))
  })
  afterAll(() => rm(root, { recursive: true, force: true }))

  it('encodes, decodes with the KV cache, and detokenizes (byte fallback included)', async () => {
    const engine = await MoonshineEngine.load(model.dir, 'test-moonshine')
    const audio = Float32Array.from({ length: 32000 }, (_, i) => 0.1 * Math.sin(i / 10))
    const result = await engine.transcribe(audio)
    expect(result.tokens).toEqual(model.script)
    expect(result.text).toBe(model.expectedText)
    expect(result.audioMs).toBe(2000)
    await engine.dispose()
  })

  it('caps the output length by audio duration and ignores too-short audio', async () => {
    const engine = await MoonshineEngine.load(model.dir)
    // 0.5 s → at most ceil(0.5 × 6.5) = 4 tokens.
    expect((await engine.transcribe(new Float32Array(8000))).tokens).toEqual(model.script.slice(0, 4))
    expect(await engine.transcribe(new Float32Array(100))).toMatchObject({ text: '', tokens: [] })
    await expect(engine.transcribe(Float32Array.from([Number.NaN, ...new Float32Array(2000)]))).rejects.toMatchObject({ code: 'bad_audio' })
    await engine.dispose()
  })

  it('refuses a broken model folder with a clear error', async () => {
    await expect(MoonshineEngine.load(join(root, 'nowhere'))).rejects.toMatchObject({ code: 'bad_model', message: expect.stringMatching(/cannot read config.json/) })
    const broken = await writeTestMoonshine(join(root, 'broken'))
    await writeFile(join(broken.dir, 'onnx', 'decoder_model_merged_quantized.onnx'), 'not a model')
    await expect(MoonshineEngine.load(broken.dir)).rejects.toMatchObject({ code: 'bad_model', message: expect.stringMatching(/cannot load onnx\/decoder_model_merged_quantized.onnx/) })
  })
})

import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { maxTokensFor, MoonshineEngine, parseMoonshineConfig } from '../../../../src/node/stt/moonshineEngine'
import { writeTestMoonshine, type TestMoonshine } from '../../../helpers/moonshineTestModel'
import { buildMoonshineStandIn, MOONSHINE_BASE, MOONSHINE_TINY, writeMoonshineStandIn } from '../../../helpers/moonshineStandIn'

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
    // The script's six tokens and the step that produced the end token; the two parts add up to about the whole.
    expect(result.decodeSteps).toBe(7)
    expect(result.encoderMs + result.decoderMs).toBeLessThanOrEqual(result.transcriptionMs + 0.001)
    expect(engine.config).toMatchObject({ layers: 2, kvHeads: 2, headDim: 4, hiddenSize: 8, vocabSize: 9, startToken: 1, endToken: 2 })
    await engine.dispose()
  })

  it('takes every number from config.json: a second shape (3 layers, 4 heads, 24 wide, other start/end ids, bigger vocabulary, 4.47 key names)', async () => {
    const other = await writeTestMoonshine(join(root, 'other-shape'), { layers: 3, heads: 4, hidden: 24, startToken: 5, endToken: 9, extraVocab: 7, configNames: '4.47' })
    const engine = await MoonshineEngine.load(other.dir)
    expect(engine.config).toMatchObject({ layers: 3, kvHeads: 4, headDim: 6, hiddenSize: 24, vocabSize: 16, startToken: 5, endToken: 9 })
    const result = await engine.transcribe(Float32Array.from({ length: 24000 }, (_, i) => 0.1 * Math.sin(i / 10)))
    expect(result.tokens).toEqual(other.script)
    expect(result.text).toBe(other.expectedText)
    await engine.dispose()
  })

  it('refuses a config.json that does not belong to the graphs, naming both numbers', async () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ decoder_num_hidden_layers: 3 }, /3 decoder layers, the decoder graph 2/],
      [{ decoder_num_attention_heads: 4, decoder_num_key_value_heads: 4 }, /4 key\/value heads, the decoder's KV cache 2.*head size of 2 \(hidden_size 8\), the decoder's KV cache 4/],
      [{ vocab_size: 32768 }, /vocab_size 32768, the decoder's logits 9/],
      [{ eos_token_id: 9 }, /eos_token_id 9 is outside the 9-token vocabulary/],
      [{ hidden_size: 9 }, /hidden_size 9 is not divisible by 2 attention heads/]
    ]
    for (const [i, [overrides, message]] of cases.entries()) {
      const bad = await writeTestMoonshine(join(root, `mismatch-${i}`), { configOverrides: overrides })
      await expect(MoonshineEngine.load(bad.dir)).rejects.toMatchObject({ code: 'bad_model', message: expect.stringMatching(message) })
    }
  })

  it('reads both the transformers 4.48 and 4.47 key names, with defaults only for the token ids and key/value heads', () => {
    const v448 = { hidden_size: 416, decoder_num_hidden_layers: 8, decoder_num_attention_heads: 8, decoder_num_key_value_heads: 8, vocab_size: 32768, decoder_start_token_id: 1, eos_token_id: 2 }
    const v447 = { hidden_size: 416, num_hidden_layers: 8, num_attention_heads: 8, vocab_size: 32768 }
    const base = { layers: 8, kvHeads: 8, headDim: 52, hiddenSize: 416, vocabSize: 32768, startToken: 1, endToken: 2, normalize: false }
    expect(parseMoonshineConfig(v448, null)).toEqual(base)
    expect(parseMoonshineConfig(v447, { do_normalize: true })).toEqual({ ...base, normalize: true })
    expect(() => parseMoonshineConfig({ ...v447, vocab_size: undefined }, null)).toThrow(/vocab_size is missing/)
    expect(() => parseMoonshineConfig({ hidden_size: 288, vocab_size: 10 }, null)).toThrow(/decoder_num_attention_heads is missing/)
  })

  it("runs the stand-in architecture (conv stem, attention, SwiGLU, 8-bit MatMulInteger, If-merged decoder) to the length cap", async () => {
    // Tiny's layout at a fraction of its width, so the test stays fast; bench stt builds the full-size ones.
    const small = { ...MOONSHINE_TINY, name: 'moonshine-small', hiddenSize: 32, heads: 4, intermediateSize: 64, vocabSize: 300, encoderLayers: 2, decoderLayers: 2 }
    const standIn = await writeMoonshineStandIn(join(root, 'stand-in'), small)
    const engine = await MoonshineEngine.load(standIn.dir, 'stand-in')
    expect(engine.config).toMatchObject({ layers: 2, kvHeads: 4, headDim: 8, hiddenSize: 32, vocabSize: 300 })
    const audio = Float32Array.from({ length: 3 * 16000 }, (_, i) => 0.1 * Math.sin(i / 7) + 0.01 * Math.sin(i / 3))
    const result = await engine.transcribe(audio)
    // The end token's logit is pinned at 0 and never wins: 3 s × 6.5 tokens/s = 20 tokens, the cap.
    expect(maxTokensFor(audio.length)).toBe(20)
    expect(result.tokens).toHaveLength(20)
    expect(result.decodeSteps).toBe(20)
    expect(result.tokens.every((t) => t > 2 && t < 300)).toBe(true)
    expect(result.text.split(' ')).toHaveLength(20)
    await engine.dispose()
  })

  it("the full-size stand-ins hold the published models' parameter counts (Tiny 27 M, Base 61 M)", () => {
    for (const arch of [MOONSHINE_TINY, MOONSHINE_BASE]) {
      const ratio = buildMoonshineStandIn(arch).parameters / arch.publishedParameters
      expect(Math.abs(ratio - 1), arch.name).toBeLessThan(0.01) // 27.09 M and 61.51 M
    }
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

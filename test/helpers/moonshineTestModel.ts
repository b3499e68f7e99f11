import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import onnxProto from 'onnx-proto'
import type { onnx as P } from 'onnx-proto'

// onnx-proto is CommonJS without static named exports: take the namespace from the default export (Node ESM).
const { onnx } = onnxProto

/**
 * Writes a tiny stand-in for the onnx-community Moonshine export into `dir`: the same file layout, graph input and
 * output names, dtypes and ranks as the real model (smaller sizes), plus config.json and a Llama-style byte-fallback
 * BPE tokenizer.json. The decoder's logits depend only on how many tokens are in its KV cache, so a correct greedy
 * loop (feeding each step's `present.*` back as `past_key_values.*`) spells out `script` and then the end token; a
 * loop that drops the cache repeats the first token until the length cap.
 */

const F32 = onnx.TensorProto.DataType.FLOAT
const I64 = onnx.TensorProto.DataType.INT64
const BOOL = onnx.TensorProto.DataType.BOOL

type Dim = number | string
const dims = (shape: Dim[]): P.ITensorShapeProto => ({ dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) })
const value = (name: string, elemType: number, shape: Dim[]): P.IValueInfoProto => ({ name, type: { tensorType: { elemType, shape: dims(shape) } } })
const f32 = (name: string, shape: number[], data: Float32Array): P.ITensorProto => ({ name, dataType: F32, dims: shape, rawData: new Uint8Array(data.buffer.slice(0)) })
const i64 = (name: string, shape: number[], data: number[]): P.ITensorProto => ({ name, dataType: I64, dims: shape, rawData: new Uint8Array(BigInt64Array.from(data.map(BigInt)).buffer) })
const node = (opType: string, input: string[], output: string[], attribute: P.IAttributeProto[] = []): P.INodeProto => ({ opType, input, output, attribute, name: output[0] })

function model(graph: P.IGraphProto): Uint8Array {
  return onnx.ModelProto.encode(onnx.ModelProto.create({ irVersion: 8, producerName: 'voice-assistant tests', opsetImport: [{ domain: '', version: 13 }], graph })).finish()
}

export interface TestMoonshine {
  dir: string
  /** Token ids the decoder will emit, in order (end token excluded). */
  script: number[]
  /** The text those tokens decode to. */
  expectedText: string
  layers: number
}

/** The shape of a scripted stand-in; the defaults are the original 2-layer, 2-head, 8-wide model. */
export interface TestMoonshineShape {
  layers?: number
  heads?: number
  hidden?: number
  /** Ids of the start and end tokens (the words take the other ids, in order). */
  startToken?: number
  endToken?: number
  /** Filler tokens after the words, to make the vocabulary bigger than the script needs. */
  extraVocab?: number
  /** Key names in config.json: transformers ≥ 4.48 (decoder_num_hidden_layers, …) or 4.47 (num_hidden_layers, …). */
  configNames?: '4.48' | '4.47'
  /** Overrides written into config.json as given (to test a config that does not match its graphs). */
  configOverrides?: Record<string, unknown>
  /**
   * What the model says, as words (lower-case letters): each becomes one "▁word" token of the tokenizer it ships, and
   * the decoder spells them in order. Default: "turn on the kitchen lights!" (with a byte-fallback "!").
   */
  words?: string[]
}

const WORDS = ['<0x21>', '▁turn', '▁on', '▁the', '▁lights', '▁kitchen']

export async function writeTestMoonshine(dir: string, shape: TestMoonshineShape = {}): Promise<TestMoonshine> {
  const { layers = 2, heads = 2, hidden = 8, startToken = 1, endToken = 2, extraVocab = 0, configNames = '4.48' } = shape
  const headDim = hidden / heads
  const frames = 4
  const vocab: Record<string, number> = { '<unk>': 0 }
  vocab['<s>'] = startToken
  vocab['</s>'] = endToken
  let nextId = 1
  const take = (): number => {
    while (nextId === startToken || nextId === endToken) nextId++
    return nextId++
  }
  if (shape.words) for (const w of shape.words) if (!/^[a-z]+$/.test(w)) throw new Error(`words: ${JSON.stringify(w)} is not lower-case letters`)
  const spoken = shape.words ? shape.words.map((w) => `▁${w}`) : ['▁turn', '▁on', '▁the', '▁kitchen', '▁lights', '<0x21>']
  for (const word of shape.words ? [...new Set(spoken)] : WORDS) vocab[word] = take()
  for (let i = 0; i < extraVocab; i++) vocab[`▁filler${i}`] = take()
  const V = Object.keys(vocab).length
  const script = spoken.map((w) => vocab[w]!)
  const steps = script.length + 2
  const table = new Float32Array(steps * V)
  for (let s = 0; s < steps; s++) table[s * V + (script[s] ?? endToken)] = 1 // after the script: the end token

  // Encoder: last_hidden_state = broadcast(mean(input_values)) to [1, frames, hidden].
  const encoder = model({
    name: 'encoder',
    input: [value('input_values', F32, [1, 'num_samples'])],
    output: [value('last_hidden_state', F32, [1, 'encoder_sequence_length', hidden])],
    initializer: [i64('hidden_shape', [3], [1, frames, hidden])],
    node: [
      node('ReduceMean', ['input_values'], ['mean'], [{ name: 'keepdims', type: onnx.AttributeProto.AttributeType.INT, i: 1 }]),
      node('Expand', ['mean', 'hidden_shape'], ['last_hidden_state'])
    ]
  })

  const pastInputs: P.IValueInfoProto[] = []
  const presentOutputs: P.IValueInfoProto[] = []
  const kvNodes: P.INodeProto[] = []
  for (let i = 0; i < layers; i++) {
    for (const kv of ['key', 'value']) {
      pastInputs.push(value(`past_key_values.${i}.decoder.${kv}`, F32, [1, heads, 'past_decoder_sequence_length', headDim]))
      pastInputs.push(value(`past_key_values.${i}.encoder.${kv}`, F32, [1, heads, 'encoder_sequence_length_out', headDim]))
      presentOutputs.push(value(`present.${i}.decoder.${kv}`, F32, [1, heads, 'past_decoder_sequence_length + 1', headDim]))
      presentOutputs.push(value(`present.${i}.encoder.${kv}`, F32, [1, heads, 'encoder_sequence_length_out', headDim]))
      kvNodes.push(node('Concat', [`past_key_values.${i}.decoder.${kv}`, 'new_kv'], [`present.${i}.decoder.${kv}`], [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 2 }]))
      kvNodes.push(node('Identity', ['cross_kv'], [`present.${i}.encoder.${kv}`]))
    }
  }
  const decoder = model({
    name: 'decoder_merged',
    input: [
      value('input_ids', I64, [1, 'decoder_sequence_length']),
      value('encoder_hidden_states', F32, [1, 'encoder_sequence_length', hidden]),
      ...pastInputs,
      value('use_cache_branch', BOOL, [1])
    ],
    output: [value('logits', F32, [1, 'decoder_sequence_length', V]), ...presentOutputs],
    initializer: [
      f32('table', [steps, V], table),
      i64('two', [], [2]),
      i64('logits_shape', [3], [1, 1, V]),
      f32('new_kv', [1, heads, 1, headDim], new Float32Array(heads * headDim)),
      f32('cross_kv', [1, heads, frames, headDim], new Float32Array(heads * frames * headDim))
    ],
    node: [
      node('Shape', ['past_key_values.0.decoder.key'], ['past_shape']),
      node('Gather', ['past_shape', 'two'], ['past_length'], [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 0 }]),
      node('Gather', ['table', 'past_length'], ['row'], [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 0 }]),
      node('Reshape', ['row', 'logits_shape'], ['logits']),
      ...kvNodes
    ]
  })

  await mkdir(join(dir, 'onnx'), { recursive: true })
  await writeFile(join(dir, 'onnx', 'encoder_model_quantized.onnx'), encoder)
  await writeFile(join(dir, 'onnx', 'decoder_model_merged_quantized.onnx'), decoder)
  const shapeKeys =
    configNames === '4.48'
      ? { decoder_num_hidden_layers: layers, decoder_num_attention_heads: heads, decoder_num_key_value_heads: heads }
      : { num_hidden_layers: layers, num_attention_heads: heads, num_key_value_heads: heads }
  await writeFile(
    join(dir, 'config.json'),
    JSON.stringify({ model_type: 'moonshine', hidden_size: hidden, ...shapeKeys, decoder_start_token_id: startToken, bos_token_id: startToken, eos_token_id: endToken, vocab_size: V, ...shape.configOverrides })
  )
  await writeFile(join(dir, 'preprocessor_config.json'), JSON.stringify({ do_normalize: false, sampling_rate: 16000 }))
  const special = (id: number, content: string) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })
  await writeFile(
    join(dir, 'tokenizer.json'),
    JSON.stringify({
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: [special(0, '<unk>'), special(startToken, '<s>'), special(endToken, '</s>')],
      normalizer: null,
      pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'first', split: false },
      post_processor: null,
      decoder: {
        type: 'Sequence',
        decoders: [
          { type: 'Replace', pattern: { String: '▁' }, content: ' ' },
          { type: 'ByteFallback' },
          { type: 'Fuse' },
          { type: 'Strip', content: ' ', start: 1, stop: 0 }
        ]
      },
      model: { type: 'BPE', dropout: null, unk_token: '<unk>', continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: true, byte_fallback: true, vocab, merges: [] }
    })
  )
  await writeFile(join(dir, 'tokenizer_config.json'), JSON.stringify({ bos_token: '<s>', eos_token: '</s>', unk_token: '<unk>', clean_up_tokenization_spaces: false }))
  return { dir, script, expectedText: shape.words ? shape.words.join(' ') : 'turn on the kitchen lights!', layers }
}

/**
 * A scripted test model installed into a models folder as ModelManager leaves one: `<modelsDir>/<id>/` with a
 * manifest.json naming it (what makes it "installed"); `id` is a catalog id (the backend only uses catalog models).
 */
export async function installTestMoonshine(modelsDir: string, id: string, shape: TestMoonshineShape = {}): Promise<TestMoonshine> {
  const model = await writeTestMoonshine(join(modelsDir, id), shape)
  await writeFile(join(model.dir, 'manifest.json'), JSON.stringify({ id, name: `test stand-in for ${id}`, engine: 'moonshine', revision: 'test', installedAt: new Date().toISOString(), files: [] }))
  return model
}

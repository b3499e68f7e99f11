import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import onnxProto from 'onnx-proto'
import type { onnx as P } from 'onnx-proto'

// onnx-proto is CommonJS without static named exports: take the namespace from the default export (Node ESM).
const { onnx } = onnxProto

/**
 * Architecture-sized stand-ins for Moonshine (Useful Sensors), for measuring what the on-device engine costs when the
 * real weights cannot be downloaded: the same file layout and graph interface as the onnx-community export that
 * MoonshineEngine loads, the same layer counts, widths, heads, feed-forward sizes and vocabulary as the published
 * config.json, random weights.
 *
 * What is built (HF transformers' MoonshineModel, layer by layer):
 *  encoder  conv stem: Conv1d(1→d, k127, s64, no bias) → tanh → GroupNorm(1) → Conv1d(d→2d, k7, s3) → GELU
 *           → Conv1d(2d→d, k3, s2) → GELU (≈41.7 frames per second of audio), then per layer: LayerNorm →
 *           self-attention (q, k, v, o: d×d, no bias) → LayerNorm → fc1 (d→I) → GELU → fc2 (I→d); final LayerNorm.
 *  decoder  token embedding (tied with the output projection, as in the real model), then per layer: LayerNorm →
 *           causal self-attention over the KV cache → LayerNorm → cross-attention over the encoder states (their K/V
 *           computed on the first step only: an If on use_cache_branch, like Optimum's merged decoder) → LayerNorm →
 *           SwiGLU (fc1 d→2I, silu(gate)·x, fc2 I→d); final LayerNorm → logits over the vocabulary.
 * Rotary position embeddings are left out (element-wise work, a rounding error next to the matrix products), and so
 * is the causal mask (the engine feeds one token per step, so there is nothing to mask).
 *
 * Weights are 8-bit like the published `*_quantized.onnx` files: every matrix product is DynamicQuantizeLinear →
 * MatMulInteger (uint8 activations × int8 weights, one scale per tensor) → Cast → Mul, which is what ONNX Runtime's
 * dynamic quantization writes (and what its optimizer fuses at load), and the convolutions likewise through
 * ConvInteger; norms, biases and the attention products stay float, as there. The end token's embedding row is zero, so its logit is exactly 0 while the largest of 32 767 random logits
 * is positive: greedy decoding never stops early and always runs to the engine's length cap (the worst case).
 */

export interface MoonshineArchitecture {
  /** e.g. "moonshine-tiny". */
  name: string
  hiddenSize: number
  encoderLayers: number
  decoderLayers: number
  heads: number
  intermediateSize: number
  vocabSize: number
  /** Parameter count of the real model as published by Useful Sensors (for the bench's comparison). */
  publishedParameters: number
}

/** UsefulSensors/moonshine-tiny config.json: hidden_size 288, 6 + 6 layers, 8 heads, intermediate_size 1152, vocab 32768. */
export const MOONSHINE_TINY: MoonshineArchitecture = { name: 'moonshine-tiny', hiddenSize: 288, encoderLayers: 6, decoderLayers: 6, heads: 8, intermediateSize: 1152, vocabSize: 32768, publishedParameters: 27_000_000 }
/** UsefulSensors/moonshine-base config.json: hidden_size 416, 8 + 8 layers, 8 heads, intermediate_size 1664, vocab 32768. */
export const MOONSHINE_BASE: MoonshineArchitecture = { name: 'moonshine-base', hiddenSize: 416, encoderLayers: 8, decoderLayers: 8, heads: 8, intermediateSize: 1664, vocabSize: 32768, publishedParameters: 61_000_000 }

export interface MoonshineStandIn {
  dir: string
  architecture: MoonshineArchitecture
  /** Weights in the stand-in's graphs (encoder + decoder, the tied embedding counted once). */
  parameters: number
}

const F32 = onnx.TensorProto.DataType.FLOAT
const I64 = onnx.TensorProto.DataType.INT64
const I8 = onnx.TensorProto.DataType.INT8
const BOOL = onnx.TensorProto.DataType.BOOL
const A = onnx.AttributeProto.AttributeType

type Dim = number | string
const valueInfo = (name: string, elemType: number, shape: Dim[]): P.IValueInfoProto => ({
  name,
  type: { tensorType: { elemType, shape: { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } }
})
const intAttr = (name: string, i: number): P.IAttributeProto => ({ name, type: A.INT, i })
const intsAttr = (name: string, ints: number[]): P.IAttributeProto => ({ name, type: A.INTS, ints })
const floatAttr = (name: string, f: number): P.IAttributeProto => ({ name, type: A.FLOAT, f })

/** Deterministic weights (mulberry32), so a stand-in is the same file every time it is generated. */
function random(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Accumulates the nodes and weights of one graph (or If branch) under unique names. */
class GraphBuilder {
  readonly nodes: P.INodeProto[] = []
  readonly initializers: P.ITensorProto[] = []
  parameters = 0
  private n = 0

  constructor(
    private readonly prefix: string,
    private readonly rand: () => number,
    /** Weights go to the outermost graph, so If branches can share them and the file holds each once. */
    private readonly weights: GraphBuilder | null = null
  ) {}

  name(hint: string): string {
    return `${this.prefix}${hint}_${this.n++}`
  }

  op(opType: string, inputs: string[], attribute: P.IAttributeProto[] = [], outputs = 1, hint = opType): string[] {
    const out = Array.from({ length: outputs }, () => this.name(hint))
    this.nodes.push({ opType, input: inputs, output: out, attribute, name: out[0] })
    return out
  }

  op1(opType: string, inputs: string[], attribute: P.IAttributeProto[] = [], hint = opType): string {
    return this.op(opType, inputs, attribute, 1, hint)[0]!
  }

  private add(tensor: P.ITensorProto, count: number, isWeight: boolean): string {
    const owner = this.weights ?? this
    owner.initializers.push(tensor)
    if (isWeight) owner.parameters += count
    return tensor.name!
  }

  constF(hint: string, shape: number[], values: Float32Array | number[], isWeight = false): string {
    const data = values instanceof Float32Array ? values : Float32Array.from(values)
    return this.add({ name: (this.weights ?? this).name(hint), dataType: F32, dims: shape, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) }, data.length, isWeight)
  }

  constI64(hint: string, shape: number[], values: number[]): string {
    return this.add({ name: (this.weights ?? this).name(hint), dataType: I64, dims: shape, rawData: new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer) }, values.length, false)
  }

  constI8(hint: string, shape: number[], values: Int8Array): string {
    return this.add({ name: (this.weights ?? this).name(hint), dataType: I8, dims: shape, rawData: new Uint8Array(values.buffer, values.byteOffset, values.byteLength) }, values.length, true)
  }

  /** An int8 weight matrix [rows, cols] (uniform in ±127) and the per-tensor scale that gives it std 1/√rows. */
  randomQ(hint: string, rows: number, cols: number, zeroColumn: number | null = null): { w: string; scale: string } {
    const data = new Int8Array(rows * cols)
    for (let i = 0; i < data.length; i++) data[i] = Math.round((this.rand() * 2 - 1) * 127)
    if (zeroColumn !== null) for (let r = 0; r < rows; r++) data[r * cols + zeroColumn] = 0
    // A uniform integer in ±127 has a standard deviation of ≈ 73.3.
    return { w: this.constI8(hint, [rows, cols], data), scale: this.constF(`${hint}_scale`, [], [1 / (73.3 * Math.sqrt(rows))]) }
  }

  ones(hint: string, n: number): string {
    return this.constF(hint, [n], new Float32Array(n).fill(1), true)
  }

  /** x · W (+ b) with an 8-bit W: DynamicQuantizeLinear → MatMulInteger → Cast → Mul by both scales. */
  linearQ(x: string, q: { w: string; scale: string }, bias: string | null = null): string {
    const [xq, xScale, xZero] = this.op('DynamicQuantizeLinear', [x], [], 3, 'dql')
    const acc = this.op1('MatMulInteger', [xq!, q.w, xZero!, this.weightZero()])
    const scale = this.op1('Mul', [xScale!, q.scale])
    const y = this.op1('Mul', [this.op1('Cast', [acc], [intAttr('to', F32)]), scale])
    return bias ? this.op1('Add', [y, bias]) : y
  }

  /** A 1-D convolution with 8-bit weights [out, in, kernel]: DynamicQuantizeLinear → ConvInteger → Cast → Mul (+ bias). */
  convQ(x: string, out: number, inChannels: number, kernel: number, stride: number, withBias: boolean, hint: string): string {
    const fanIn = inChannels * kernel
    const data = new Int8Array(out * fanIn)
    for (let i = 0; i < data.length; i++) data[i] = Math.round((this.rand() * 2 - 1) * 127)
    const w = this.constI8(hint, [out, inChannels, kernel], data)
    const wScale = this.constF(`${hint}_scale`, [], [1 / (73.3 * Math.sqrt(fanIn))])
    const [xq, xScale, xZero] = this.op('DynamicQuantizeLinear', [x], [], 3, 'dql')
    const acc = this.op1('ConvInteger', [xq!, w, xZero!, this.weightZero()], [intsAttr('kernel_shape', [kernel]), intsAttr('strides', [stride])])
    const y = this.op1('Mul', [this.op1('Cast', [acc], [intAttr('to', F32)]), this.op1('Mul', [xScale!, wScale])])
    return withBias ? this.op1('Add', [y, this.constF(`${hint}_b`, [out, 1], new Float32Array(out), true)]) : y
  }

  linear(x: string, rows: number, cols: number, hint: string, withBias: boolean): string {
    const q = this.randomQ(hint, rows, cols)
    return this.linearQ(x, q, withBias ? this.constF(`${hint}_b`, [cols], new Float32Array(cols), true) : null)
  }

  private zero: string | null = null
  private weightZero(): string {
    const owner = this.weights ?? this
    owner.zero ??= owner.add({ name: owner.name('w_zero'), dataType: I8, dims: [], rawData: new Uint8Array(1) }, 1, false)
    return owner.zero
  }

  layerNorm(x: string, d: number, hint: string): string {
    return this.op1('LayerNormalization', [x, this.ones(`${hint}_g`, d)], [intAttr('axis', -1), floatAttr('epsilon', 1e-5)])
  }

  gelu(x: string): string {
    // 0.5·x·(1 + erf(x/√2)); the optimizer fuses it into one Gelu kernel, as for the real export.
    const erf = this.op1('Erf', [this.op1('Mul', [x, this.constF('inv_sqrt2', [], [Math.SQRT1_2])])])
    return this.op1('Mul', [this.op1('Mul', [x, this.constF('half', [], [0.5])]), this.op1('Add', [erf, this.constF('one', [], [1])])])
  }

  /** [1, T, d] → [1, heads, T, d/heads] */
  splitHeads(x: string, heads: number, headDim: number): string {
    return this.op1('Transpose', [this.op1('Reshape', [x, this.constI64('heads_shape', [4], [0, -1, heads, headDim])])], [intsAttr('perm', [0, 2, 1, 3])])
  }

  /** softmax(q·kᵀ/√dh)·v for [1, heads, T, dh] tensors, back to [1, Tq, d]. */
  attend(q: string, k: string, v: string, d: number, headDim: number): string {
    const scores = this.op1('Mul', [this.op1('MatMul', [q, this.op1('Transpose', [k], [intsAttr('perm', [0, 1, 3, 2])])]), this.constF('inv_sqrt_dh', [], [1 / Math.sqrt(headDim)])])
    const context = this.op1('MatMul', [this.op1('Softmax', [scores], [intAttr('axis', -1)]), v])
    return this.op1('Reshape', [this.op1('Transpose', [context], [intsAttr('perm', [0, 2, 1, 3])]), this.constI64('merge_shape', [3], [0, -1, d])])
  }

  graph(name: string, input: P.IValueInfoProto[], output: P.IValueInfoProto[]): P.IGraphProto {
    return { name, input, output, node: this.nodes, initializer: this.initializers }
  }
}

function modelBytes(graph: P.IGraphProto): Uint8Array {
  return onnx.ModelProto.encode(
    onnx.ModelProto.create({ irVersion: 8, producerName: 'voice-assistant moonshine stand-in', opsetImport: [{ domain: '', version: 17 }], graph })
  ).finish()
}

function encoderGraph(arch: MoonshineArchitecture, rand: () => number): { bytes: Uint8Array; parameters: number } {
  const d = arch.hiddenSize
  const headDim = d / arch.heads
  const g = new GraphBuilder('enc_', rand)
  // Conv stem.
  const audio = g.op1('Unsqueeze', ['input_values', g.constI64('axis1', [1], [1])])
  let x = g.op1('Tanh', [g.convQ(audio, d, 1, 127, 64, false, 'conv1')])
  {
    // GroupNorm with one group: normalise over channels and time together.
    const mean = g.op1('ReduceMean', [x], [intsAttr('axes', [1, 2])])
    const centred = g.op1('Sub', [x, mean])
    const variance = g.op1('ReduceMean', [g.op1('Mul', [centred, centred])], [intsAttr('axes', [1, 2])])
    const normed = g.op1('Div', [centred, g.op1('Sqrt', [g.op1('Add', [variance, g.constF('eps', [], [1e-5])])])])
    x = g.op1('Add', [g.op1('Mul', [normed, g.constF('gn_g', [d, 1], new Float32Array(d).fill(1), true)]), g.constF('gn_b', [d, 1], new Float32Array(d), true)])
  }
  x = g.gelu(g.convQ(x, 2 * d, d, 7, 3, true, 'conv2'))
  x = g.gelu(g.convQ(x, d, 2 * d, 3, 2, true, 'conv3'))
  x = g.op1('Transpose', [x], [intsAttr('perm', [0, 2, 1])])
  for (let l = 0; l < arch.encoderLayers; l++) {
    const h = g.layerNorm(x, d, `e${l}_ln1`)
    const q = g.splitHeads(g.linear(h, d, d, `e${l}_q`, false), arch.heads, headDim)
    const k = g.splitHeads(g.linear(h, d, d, `e${l}_k`, false), arch.heads, headDim)
    const v = g.splitHeads(g.linear(h, d, d, `e${l}_v`, false), arch.heads, headDim)
    x = g.op1('Add', [x, g.linear(g.attend(q, k, v, d, headDim), d, d, `e${l}_o`, false)])
    const m = g.gelu(g.linear(g.layerNorm(x, d, `e${l}_ln2`), d, arch.intermediateSize, `e${l}_fc1`, true))
    x = g.op1('Add', [x, g.linear(m, arch.intermediateSize, d, `e${l}_fc2`, true)])
  }
  g.nodes.push({ opType: 'LayerNormalization', input: [x, g.ones('final_ln_g', d)], output: ['last_hidden_state'], attribute: [intAttr('axis', -1), floatAttr('epsilon', 1e-5)], name: 'final_ln' })
  const graph = g.graph('moonshine_encoder_stand_in', [valueInfo('input_values', F32, [1, 'num_samples'])], [valueInfo('last_hidden_state', F32, [1, 'encoder_sequence_length', d])])
  return { bytes: modelBytes(graph), parameters: g.parameters }
}

function decoderGraph(arch: MoonshineArchitecture, rand: () => number, endToken: number): { bytes: Uint8Array; parameters: number } {
  const d = arch.hiddenSize
  const H = arch.heads
  const headDim = d / H
  const L = arch.decoderLayers
  const g = new GraphBuilder('dec_', rand)
  // The embedding, stored once as [d, vocab] for the tied output projection; the end token's column is zero.
  const embedding = g.randomQ('embed', d, arch.vocabSize, endToken)
  const gathered = g.op1('Gather', [embedding.w, 'input_ids'], [intAttr('axis', 1)]) // [d, 1, tokens]
  let x = g.op1('Mul', [g.op1('Cast', [g.op1('Transpose', [gathered], [intsAttr('perm', [1, 2, 0])])], [intAttr('to', F32)]), embedding.scale])

  // Cross-attention K/V: computed from the encoder states on the first step, passed through from the cache after.
  const crossWeights = Array.from({ length: L }, (_, l) => ({ k: g.randomQ(`d${l}_xk`, d, d), v: g.randomQ(`d${l}_xv`, d, d) }))
  const compute = new GraphBuilder('xkv_', rand, g)
  const reuse = new GraphBuilder('reuse_', rand, g)
  const computeOut: P.IValueInfoProto[] = []
  const reuseOut: P.IValueInfoProto[] = []
  const presentEncoder: string[] = []
  for (let l = 0; l < L; l++) {
    for (const kv of ['key', 'value'] as const) {
      const w = kv === 'key' ? crossWeights[l]!.k : crossWeights[l]!.v
      const fresh = compute.splitHeads(compute.linearQ('encoder_hidden_states', w), H, headDim)
      computeOut.push(valueInfo(fresh, F32, [1, H, 'encoder_sequence_length_out', headDim]))
      const kept = reuse.op1('Identity', [`past_key_values.${l}.encoder.${kv}`])
      reuseOut.push(valueInfo(kept, F32, [1, H, 'encoder_sequence_length_out', headDim]))
      presentEncoder.push(`present.${l}.encoder.${kv}`)
    }
  }
  g.nodes.push({
    opType: 'If',
    input: ['use_cache_branch'],
    output: presentEncoder,
    name: 'cross_kv_if',
    attribute: [
      { name: 'then_branch', type: A.GRAPH, g: { name: 'reuse_cross_kv', input: [], output: reuseOut, node: reuse.nodes, initializer: reuse.initializers } },
      { name: 'else_branch', type: A.GRAPH, g: { name: 'compute_cross_kv', input: [], output: computeOut, node: compute.nodes, initializer: compute.initializers } }
    ]
  })

  const pastInputs: P.IValueInfoProto[] = []
  const presentOutputs: P.IValueInfoProto[] = []
  for (let l = 0; l < L; l++) {
    // Self-attention over the cache plus this step's token.
    const h = g.layerNorm(x, d, `d${l}_ln1`)
    const q = g.splitHeads(g.linear(h, d, d, `d${l}_q`, false), H, headDim)
    const present: Record<'key' | 'value', string> = { key: '', value: '' }
    for (const kv of ['key', 'value'] as const) {
      const fresh = g.splitHeads(g.linear(h, d, d, `d${l}_${kv[0]}`, false), H, headDim)
      present[kv] = `present.${l}.decoder.${kv}`
      g.nodes.push({ opType: 'Concat', input: [`past_key_values.${l}.decoder.${kv}`, fresh], output: [present[kv]], attribute: [intAttr('axis', 2)], name: present[kv] })
      pastInputs.push(valueInfo(`past_key_values.${l}.decoder.${kv}`, F32, [1, H, 'past_decoder_sequence_length', headDim]))
      pastInputs.push(valueInfo(`past_key_values.${l}.encoder.${kv}`, F32, [1, H, 'encoder_sequence_length_out', headDim]))
      presentOutputs.push(valueInfo(present[kv], F32, [1, H, 'past_decoder_sequence_length + 1', headDim]))
      presentOutputs.push(valueInfo(`present.${l}.encoder.${kv}`, F32, [1, H, 'encoder_sequence_length_out', headDim]))
    }
    x = g.op1('Add', [x, g.linear(g.attend(q, present.key, present.value, d, headDim), d, d, `d${l}_o`, false)])
    // Cross-attention.
    const cq = g.splitHeads(g.linear(g.layerNorm(x, d, `d${l}_ln2`), d, d, `d${l}_xq`, false), H, headDim)
    x = g.op1('Add', [x, g.linear(g.attend(cq, `present.${l}.encoder.key`, `present.${l}.encoder.value`, d, headDim), d, d, `d${l}_xo`, false)])
    // SwiGLU feed-forward.
    const I = arch.intermediateSize
    const [hidden, gate] = g.op('Split', [g.linear(g.layerNorm(x, d, `d${l}_ln3`), d, 2 * I, `d${l}_fc1`, true), g.constI64('split', [2], [I, I])], [intAttr('axis', -1)], 2)
    const silu = g.op1('Mul', [gate!, g.op1('Sigmoid', [gate!])])
    x = g.op1('Add', [x, g.linear(g.op1('Mul', [silu, hidden!]), I, d, `d${l}_fc2`, true)])
  }
  const logits = g.linearQ(g.layerNorm(x, d, 'final_ln'), embedding)
  g.nodes.push({ opType: 'Identity', input: [logits], output: ['logits'], name: 'logits' })
  const graph = g.graph(
    'moonshine_decoder_merged_stand_in',
    [
      valueInfo('input_ids', I64, [1, 'decoder_sequence_length']),
      valueInfo('encoder_hidden_states', F32, [1, 'encoder_sequence_length', d]),
      ...pastInputs,
      valueInfo('use_cache_branch', BOOL, [1])
    ],
    [valueInfo('logits', F32, [1, 'decoder_sequence_length', arch.vocabSize]), ...presentOutputs]
  )
  return { bytes: modelBytes(graph), parameters: g.parameters }
}

/** A byte-fallback BPE tokenizer.json with `vocab` entries: the specials, then one made-up word per id. */
function tokenizerJson(vocab: number): string {
  const entries: Record<string, number> = { '<unk>': 0, '<s>': 1, '</s>': 2 }
  for (let i = 3; i < vocab; i++) entries[`▁w${i}`] = i
  const special = (id: number, content: string) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })
  return JSON.stringify({
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [special(0, '<unk>'), special(1, '<s>'), special(2, '</s>')],
    normalizer: null,
    pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'first', split: false },
    post_processor: null,
    decoder: { type: 'Sequence', decoders: [{ type: 'Replace', pattern: { String: '▁' }, content: ' ' }, { type: 'ByteFallback' }, { type: 'Fuse' }, { type: 'Strip', content: ' ', start: 1, stop: 0 }] },
    model: { type: 'BPE', dropout: null, unk_token: '<unk>', continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: true, byte_fallback: true, vocab: entries, merges: [] }
  })
}

const START_TOKEN = 1
const END_TOKEN = 2

/** The two graphs of a stand-in of `arch` (serialized ONNX) and how many weights they hold. */
export function buildMoonshineStandIn(arch: MoonshineArchitecture, seed = 1): { encoder: Uint8Array; decoder: Uint8Array; parameters: number } {
  if (arch.hiddenSize % arch.heads !== 0) throw new Error(`hidden size ${arch.hiddenSize} is not divisible by ${arch.heads} heads`)
  const rand = random(seed)
  const encoder = encoderGraph(arch, rand)
  const decoder = decoderGraph(arch, rand, END_TOKEN)
  return { encoder: encoder.bytes, decoder: decoder.bytes, parameters: encoder.parameters + decoder.parameters }
}

/** Write a stand-in of `arch` into `dir` in the onnx-community layout (onnx/*_quantized.onnx, config.json, tokenizer). */
export async function writeMoonshineStandIn(dir: string, arch: MoonshineArchitecture, seed = 1): Promise<MoonshineStandIn> {
  const startToken = START_TOKEN
  const endToken = END_TOKEN
  const { encoder, decoder, parameters } = buildMoonshineStandIn(arch, seed)
  await mkdir(join(dir, 'onnx'), { recursive: true })
  await writeFile(join(dir, 'onnx', 'encoder_model_quantized.onnx'), encoder)
  await writeFile(join(dir, 'onnx', 'decoder_model_merged_quantized.onnx'), decoder)
  await writeFile(
    join(dir, 'config.json'),
    JSON.stringify(
      {
        model_type: 'moonshine',
        stand_in: `random-weight stand-in for ${arch.name}, not a speech recognizer`,
        hidden_size: arch.hiddenSize,
        intermediate_size: arch.intermediateSize,
        encoder_num_hidden_layers: arch.encoderLayers,
        decoder_num_hidden_layers: arch.decoderLayers,
        encoder_num_attention_heads: arch.heads,
        decoder_num_attention_heads: arch.heads,
        decoder_num_key_value_heads: arch.heads,
        vocab_size: arch.vocabSize,
        bos_token_id: startToken,
        decoder_start_token_id: startToken,
        eos_token_id: endToken
      },
      null,
      2
    )
  )
  await writeFile(join(dir, 'preprocessor_config.json'), JSON.stringify({ do_normalize: false, sampling_rate: 16000 }))
  await writeFile(join(dir, 'tokenizer.json'), tokenizerJson(arch.vocabSize))
  await writeFile(join(dir, 'tokenizer_config.json'), JSON.stringify({ bos_token: '<s>', eos_token: '</s>', unk_token: '<unk>', clean_up_tokenization_spaces: false }))
  return { dir, architecture: arch, parameters }
}

import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Tokenizer } from '@huggingface/tokenizers'
import ort from 'onnxruntime-node'
import { SttError, type SttEngine, type SttResult } from './engine'

/**
 * Moonshine (Useful Sensors) on onnxruntime-node, as exported by onnx-community (Optimum layout):
 *
 *  onnx/encoder_model_quantized.onnx
 *    in   input_values        float32 [batch, samples]        raw 16 kHz mono audio in [-1, 1]
 *    out  last_hidden_state   float32 [batch, frames, hidden]
 *  onnx/decoder_model_merged_quantized.onnx (one graph with and without the KV cache, switched by use_cache_branch)
 *    in   input_ids                               int64   [batch, tokens]
 *         encoder_hidden_states                   float32 [batch, frames, hidden]
 *         past_key_values.{i}.decoder.{key,value} float32 [batch, heads, past_tokens, head_dim]   i < layers
 *         past_key_values.{i}.encoder.{key,value} float32 [batch, heads, frames_or_0, head_dim]
 *         use_cache_branch                        bool    [1]
 *    out  logits                                  float32 [batch, tokens, vocab]
 *         present.{i}.decoder.{key,value}         float32 [batch, heads, past_tokens + tokens, head_dim]
 *         present.{i}.encoder.{key,value}         float32 [batch, heads, frames, head_dim]
 *  config.json: the decoder's layer count, attention heads (and key/value heads), hidden_size, vocab_size,
 *    decoder_start_token_id and eos_token_id, under either the transformers ≥ 4.48 names (decoder_num_hidden_layers,
 *    decoder_num_attention_heads, decoder_num_key_value_heads) or the 4.47 ones (num_hidden_layers, …). Tiny is
 *    288 wide with 6 decoder layers and 8 heads (head size 36), Base 416 wide with 8 layers and 8 heads (head size 52);
 *    both have a 32 768-token vocabulary, start token 1 and end token 2. Nothing here is specific to either: the
 *    numbers come from config.json and are checked against the graphs' own static shapes (the KV cache's heads and
 *    head size, the logits' vocabulary), so a config that does not belong to the weights is refused at load with
 *    both numbers named, instead of failing on the first utterance with an ONNX shape error.
 *  tokenizer.json: a byte-fallback BPE (SentencePiece style, "▁" marks spaces); decoded with @huggingface/tokenizers.
 *
 * Decoding is greedy: start token, then feed the argmax back with the cache until the end token or a length cap of
 * 6.5 tokens per second of audio (Moonshine's own guard against repetition loops on noise), at most 448.
 */

export interface MoonshineConfig {
  /** Decoder layers (one self- and one cross-attention KV cache each). */
  layers: number
  /** Key/value heads of the decoder's attention (the KV cache's second dimension). */
  kvHeads: number
  /** hidden_size / attention heads (the KV cache's last dimension). */
  headDim: number
  hiddenSize: number
  vocabSize: number
  startToken: number
  endToken: number
  normalize: boolean
}

/** Moonshine's own cap on output length per second of audio (a guard against repetition loops on noise). */
export const TOKENS_PER_SECOND = 6.5
export const MAX_TOKENS = 448
/** Below ~0.1 s the encoder has too few frames to say anything. */
const MIN_SAMPLES = 1600

function sessionOptions(): ort.InferenceSession.SessionOptions {
  // Two threads: STT runs while the UI and the VAD are idle-ish (after end of utterance), and latency matters.
  return { intraOpNumThreads: 2, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' }
}

async function readJson(dir: string, name: string, required: boolean): Promise<Record<string, unknown> | null> {
  try {
    return JSON.parse(await readFile(join(dir, name), 'utf8')) as Record<string, unknown>
  } catch (error) {
    if (!required && (error as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw new SttError('bad_model', `cannot read ${name} of the speech model in ${dir}: ${(error as Error).message}`)
  }
}

function int(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw new SttError('bad_model', `config.json: ${name} is missing or not a whole number`)
  return value
}

/** The first of `keys` present in config.json (newer transformers names first), as a whole number. */
function field(config: Record<string, unknown>, keys: string[], fallback?: number): number {
  const key = keys.find((k) => config[k] !== undefined && config[k] !== null)
  if (key === undefined && fallback !== undefined) return fallback
  return int(key === undefined ? undefined : config[key], keys[0]!)
}

/** The numbers the engine needs from a Moonshine config.json (see the header for the names it accepts). */
export function parseMoonshineConfig(config: Record<string, unknown>, preprocessor: Record<string, unknown> | null): MoonshineConfig {
  const hiddenSize = field(config, ['hidden_size'])
  const heads = field(config, ['decoder_num_attention_heads', 'num_attention_heads'])
  if (heads === 0 || hiddenSize % heads !== 0) throw new SttError('bad_model', `config.json: hidden_size ${hiddenSize} is not divisible by ${heads} attention heads`)
  const parsed: MoonshineConfig = {
    layers: field(config, ['decoder_num_hidden_layers', 'num_hidden_layers']),
    kvHeads: field(config, ['decoder_num_key_value_heads', 'num_key_value_heads'], heads),
    headDim: hiddenSize / heads,
    hiddenSize,
    vocabSize: field(config, ['vocab_size']),
    startToken: field(config, ['decoder_start_token_id', 'bos_token_id'], 1),
    endToken: field(config, ['eos_token_id'], 2),
    normalize: preprocessor?.do_normalize === true
  }
  if (parsed.layers === 0) throw new SttError('bad_model', 'config.json: the decoder has no layers')
  for (const [name, id] of [['decoder_start_token_id', parsed.startToken], ['eos_token_id', parsed.endToken]] as const) {
    if (id >= parsed.vocabSize) throw new SttError('bad_model', `config.json: ${name} ${id} is outside the ${parsed.vocabSize}-token vocabulary`)
  }
  return parsed
}

type Shape = ReadonlyArray<number | string>
function shapeOf(metadata: readonly ort.InferenceSession.ValueMetadata[], name: string): Shape | null {
  const m = metadata.find((v) => v.name === name)
  return m && m.isTensor ? m.shape : null
}

/** Compare config.json with the decoder graph's static dimensions; a mismatch means the config is not these weights'. */
function checkAgainstGraph(cfg: MoonshineConfig, decoder: ort.InferenceSession): void {
  const problems: string[] = []
  const graphLayers = decoder.inputNames.filter((n) => /^past_key_values\.\d+\.decoder\.key$/.test(n)).length
  if (graphLayers !== cfg.layers) problems.push(`config.json has ${cfg.layers} decoder layers, the decoder graph ${graphLayers}`)
  const cache = shapeOf(decoder.inputMetadata, 'past_key_values.0.decoder.key')
  if (cache && typeof cache[1] === 'number' && cache[1] !== cfg.kvHeads) problems.push(`config.json has ${cfg.kvHeads} key/value heads, the decoder's KV cache ${cache[1]}`)
  if (cache && typeof cache[3] === 'number' && cache[3] !== cfg.headDim) problems.push(`config.json gives a head size of ${cfg.headDim} (hidden_size ${cfg.hiddenSize}), the decoder's KV cache ${cache[3]}`)
  const states = shapeOf(decoder.inputMetadata, 'encoder_hidden_states')
  if (states && typeof states[2] === 'number' && states[2] !== cfg.hiddenSize) problems.push(`config.json has hidden_size ${cfg.hiddenSize}, the decoder takes encoder states of width ${states[2]}`)
  const logits = shapeOf(decoder.outputMetadata, 'logits')
  const vocab = logits?.[logits.length - 1]
  if (typeof vocab === 'number' && vocab !== cfg.vocabSize) problems.push(`config.json has vocab_size ${cfg.vocabSize}, the decoder's logits ${vocab}`)
  if (problems.length) throw new SttError('bad_model', `the speech model's config.json does not match its ONNX graphs: ${problems.join('; ')}`)
}

export class MoonshineEngine implements SttEngine {
  private constructor(
    readonly id: string,
    private readonly encoder: ort.InferenceSession,
    private readonly decoder: ort.InferenceSession,
    private readonly tokenizer: Tokenizer,
    readonly config: MoonshineConfig
  ) {}

  static async load(dir: string, id = 'moonshine'): Promise<MoonshineEngine> {
    const config = (await readJson(dir, 'config.json', true))!
    const pre = await readJson(dir, 'preprocessor_config.json', false)
    const tokenizerJson = (await readJson(dir, 'tokenizer.json', true))!
    const tokenizerConfig = (await readJson(dir, 'tokenizer_config.json', false)) ?? {}
    const cfg = parseMoonshineConfig(config, pre)
    let tokenizer: Tokenizer
    try {
      tokenizer = new Tokenizer(tokenizerJson, tokenizerConfig)
    } catch (error) {
      throw new SttError('bad_model', `tokenizer.json of the speech model is not usable: ${(error as Error).message}`)
    }
    const open = async (file: string): Promise<ort.InferenceSession> => {
      try {
        return await ort.InferenceSession.create(join(dir, 'onnx', file), sessionOptions())
      } catch (error) {
        throw new SttError('bad_model', `cannot load onnx/${file} of the speech model: ${(error as Error).message}`)
      }
    }
    const encoder = await open('encoder_model_quantized.onnx')
    const decoder = await open('decoder_model_merged_quantized.onnx')
    const need = ['input_ids', 'encoder_hidden_states', 'use_cache_branch', 'past_key_values.0.decoder.key']
    const missing = need.filter((n) => !decoder.inputNames.includes(n))
    if (!encoder.inputNames.includes('input_values') || missing.length) {
      await Promise.all([encoder.release(), decoder.release()])
      throw new SttError('bad_model', `the speech model's ONNX graphs do not have the expected inputs (missing: ${[...(encoder.inputNames.includes('input_values') ? [] : ['input_values']), ...missing].join(', ')})`)
    }
    try {
      checkAgainstGraph(cfg, decoder)
    } catch (error) {
      await Promise.all([encoder.release(), decoder.release()])
      throw error
    }
    return new MoonshineEngine(id, encoder, decoder, tokenizer, cfg)
  }

  async transcribe(audio: Float32Array): Promise<SttResult> {
    const t0 = performance.now()
    if (!(audio instanceof Float32Array)) throw new SttError('bad_audio', 'audio must be a Float32Array of 16 kHz samples')
    const audioMs = (audio.length / 16) | 0
    if (audio.length < MIN_SAMPLES) return { text: '', tokens: [], audioMs, transcriptionMs: performance.now() - t0, encoderMs: 0, decoderMs: 0, decodeSteps: 0 }
    for (let i = 0; i < audio.length; i++) if (!Number.isFinite(audio[i]!)) throw new SttError('bad_audio', `audio sample ${i} is not a finite number`)
    const input = this.config.normalize ? normalize(audio) : audio
    const { layers, kvHeads, headDim, startToken, endToken } = this.config
    try {
      const enc = await this.encoder.run({ input_values: new ort.Tensor('float32', input, [1, input.length]) })
      const hiddenStates = enc.last_hidden_state ?? enc[this.encoder.outputNames[0]!]!
      const t1 = performance.now()
      const maxTokens = maxTokensFor(audio.length)
      const empty = new ort.Tensor('float32', new Float32Array(0), [1, kvHeads, 0, headDim])
      let past: Record<string, ort.Tensor> = {}
      for (let i = 0; i < layers; i++) for (const part of ['decoder', 'encoder']) for (const kv of ['key', 'value']) past[`past_key_values.${i}.${part}.${kv}`] = empty
      const tokens: number[] = []
      let next = startToken
      let steps = 0
      for (let step = 0; step < maxTokens; step++) {
        steps++
        const out = await this.decoder.run({
          input_ids: new ort.Tensor('int64', BigInt64Array.from([BigInt(next)]), [1, 1]),
          encoder_hidden_states: hiddenStates,
          use_cache_branch: new ort.Tensor('bool', Uint8Array.from([step > 0 ? 1 : 0]), [1]),
          ...past
        })
        next = argmaxLast(out.logits!)
        if (next === endToken) break
        tokens.push(next)
        const nextPast: Record<string, ort.Tensor> = {}
        for (let i = 0; i < layers; i++) {
          for (const kv of ['key', 'value']) {
            nextPast[`past_key_values.${i}.decoder.${kv}`] = out[`present.${i}.decoder.${kv}`]!
            // The cross-attention cache is computed on the first step only; later steps pass it through.
            nextPast[`past_key_values.${i}.encoder.${kv}`] = step === 0 ? out[`present.${i}.encoder.${kv}`]! : past[`past_key_values.${i}.encoder.${kv}`]!
          }
        }
        past = nextPast
      }
      const t2 = performance.now()
      const text = this.tokenizer.decode(tokens, { skip_special_tokens: true }).trim()
      return { text, tokens, audioMs, transcriptionMs: performance.now() - t0, encoderMs: t1 - t0, decoderMs: t2 - t1, decodeSteps: steps }
    } catch (error) {
      if (error instanceof SttError) throw error
      throw new SttError('inference', `speech recognition failed: ${(error as Error).message}`)
    }
  }

  async dispose(): Promise<void> {
    await Promise.all([this.encoder.release(), this.decoder.release()])
  }
}

/** The greedy loop's length cap for `samples` of 16 kHz audio. */
export function maxTokensFor(samples: number): number {
  return Math.min(MAX_TOKENS, Math.ceil((samples / 16000) * TOKENS_PER_SECOND))
}

function argmaxLast(logits: ort.Tensor): number {
  const data = logits.data as Float32Array
  const vocab = logits.dims[logits.dims.length - 1]!
  const offset = data.length - vocab
  let best = 0
  for (let i = 1; i < vocab; i++) if (data[offset + i]! > data[offset + best]!) best = i
  return best
}

function normalize(audio: Float32Array): Float32Array {
  let mean = 0
  for (const x of audio) mean += x
  mean /= audio.length
  let variance = 0
  for (const x of audio) variance += (x - mean) ** 2
  const std = Math.sqrt(variance / audio.length + 1e-7)
  return audio.map((x) => (x - mean) / std)
}

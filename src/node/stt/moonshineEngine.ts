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
 *  config.json: decoder_num_hidden_layers, decoder_num_attention_heads, hidden_size, decoder_start_token_id (1),
 *    eos_token_id (2).
 *  tokenizer.json: a byte-fallback BPE (SentencePiece style, "▁" marks spaces); decoded with @huggingface/tokenizers.
 *
 * Decoding is greedy: start token, then feed the argmax back with the cache until the end token or a length cap of
 * 6.5 tokens per second of audio (Moonshine's own guard against repetition loops on noise), at most 448.
 */

interface MoonshineConfig {
  layers: number
  heads: number
  headDim: number
  startToken: number
  endToken: number
  normalize: boolean
}

const TOKENS_PER_SECOND = 6.5
const MAX_TOKENS = 448
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

export class MoonshineEngine implements SttEngine {
  private constructor(
    readonly id: string,
    private readonly encoder: ort.InferenceSession,
    private readonly decoder: ort.InferenceSession,
    private readonly tokenizer: Tokenizer,
    private readonly config: MoonshineConfig
  ) {}

  static async load(dir: string, id = 'moonshine'): Promise<MoonshineEngine> {
    const config = (await readJson(dir, 'config.json', true))!
    const pre = await readJson(dir, 'preprocessor_config.json', false)
    const tokenizerJson = (await readJson(dir, 'tokenizer.json', true))!
    const tokenizerConfig = (await readJson(dir, 'tokenizer_config.json', false)) ?? {}
    const hidden = int(config.hidden_size, 'hidden_size')
    const heads = int(config.decoder_num_attention_heads ?? config.num_attention_heads, 'decoder_num_attention_heads')
    const cfg: MoonshineConfig = {
      layers: int(config.decoder_num_hidden_layers ?? config.num_hidden_layers, 'decoder_num_hidden_layers'),
      heads,
      headDim: hidden / heads,
      startToken: int(config.decoder_start_token_id ?? config.bos_token_id ?? 1, 'decoder_start_token_id'),
      endToken: int(config.eos_token_id ?? 2, 'eos_token_id'),
      normalize: pre?.do_normalize === true
    }
    if (!Number.isInteger(cfg.headDim)) throw new SttError('bad_model', `config.json: hidden_size ${hidden} is not divisible by ${heads} heads`)
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
    const need = ['input_ids', 'encoder_hidden_states', 'use_cache_branch', ...Array.from({ length: cfg.layers }, (_, i) => `past_key_values.${i}.decoder.key`)]
    const missing = need.filter((n) => !decoder.inputNames.includes(n))
    if (!encoder.inputNames.includes('input_values') || missing.length) {
      throw new SttError('bad_model', `the speech model's ONNX graphs do not have the expected inputs (missing: ${[...(encoder.inputNames.includes('input_values') ? [] : ['input_values']), ...missing].join(', ')})`)
    }
    return new MoonshineEngine(id, encoder, decoder, tokenizer, cfg)
  }

  async transcribe(audio: Float32Array): Promise<SttResult> {
    const t0 = performance.now()
    if (!(audio instanceof Float32Array)) throw new SttError('bad_audio', 'audio must be a Float32Array of 16 kHz samples')
    const audioMs = (audio.length / 16) | 0
    if (audio.length < MIN_SAMPLES) return { text: '', tokens: [], audioMs, transcriptionMs: performance.now() - t0 }
    for (let i = 0; i < audio.length; i++) if (!Number.isFinite(audio[i]!)) throw new SttError('bad_audio', `audio sample ${i} is not a finite number`)
    const input = this.config.normalize ? normalize(audio) : audio
    const { layers, heads, headDim, startToken, endToken } = this.config
    try {
      const enc = await this.encoder.run({ input_values: new ort.Tensor('float32', input, [1, input.length]) })
      const hiddenStates = enc.last_hidden_state ?? enc[this.encoder.outputNames[0]!]!
      const maxTokens = Math.min(MAX_TOKENS, Math.ceil((audio.length / 16000) * TOKENS_PER_SECOND))
      const empty = new ort.Tensor('float32', new Float32Array(0), [1, heads, 0, headDim])
      let past: Record<string, ort.Tensor> = {}
      for (let i = 0; i < layers; i++) for (const part of ['decoder', 'encoder']) for (const kv of ['key', 'value']) past[`past_key_values.${i}.${part}.${kv}`] = empty
      const tokens: number[] = []
      let next = startToken
      for (let step = 0; step < maxTokens; step++) {
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
      const text = this.tokenizer.decode(tokens, { skip_special_tokens: true }).trim()
      return { text, tokens, audioMs, transcriptionMs: performance.now() - t0 }
    } catch (error) {
      if (error instanceof SttError) throw error
      throw new SttError('inference', `speech recognition failed: ${(error as Error).message}`)
    }
  }

  async dispose(): Promise<void> {
    await Promise.all([this.encoder.release(), this.decoder.release()])
  }
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

import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

/**
 * Opus decoding with loss recovery: in-band FEC and packet-loss concealment.
 *
 * @evan/opus's Decoder.decode() always calls `opus_decode(…, decode_fec = 0)` and rejects an empty packet, so it can
 * neither recover a lost frame from the FEC data (LBRR) carried in the next packet nor run libopus's PLC. The same
 * package ships its libopus as WebAssembly with the C API exported, so this module instantiates that build and calls
 * `opus_decode` directly: `decode(p)` for a received packet, `decodeFec(next)` to rebuild the frame lost just before
 * `next` from next's FEC data, `conceal()` for PLC. One decoder per stream (FEC and PLC use the decoder's state).
 */
interface OpusWasm {
  memory: WebAssembly.Memory
  malloc(size: number): number
  free(ptr: number): void
  opus_decoder_get_size(channels: number): number
  opus_decoder_init(ptr: number, rate: number, channels: number): number
  opus_decode(ptr: number, data: number, len: number, pcm: number, frameSize: number, decodeFec: number): number
}

let shared: { wasm: OpusWasm; packetPtr: number; pcmPtr: number } | null = null
const MAX_PACKET = 1500
const MAX_FRAME = 5760 // 120 ms at 48 kHz

function instance(): NonNullable<typeof shared> {
  if (shared) return shared
  const dir = join(dirname(createRequire(import.meta.url).resolve('@evan/opus/package.json')), 'wasm')
  const simdProbe = Uint8Array.of(0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 10, 9, 1, 7, 0, 65, 0, 253, 15, 26, 11)
  const mod = new WebAssembly.Module(readFileSync(join(dir, WebAssembly.validate(simdProbe) ? 'simd.wasm' : 'opus.wasm')))
  const noop = (): number => 0
  const inst = new WebAssembly.Instance(mod, {
    wasi_snapshot_preview1: { fd_seek: noop, fd_write: noop, fd_close: noop, proc_exit: noop },
    env: { emscripten_notify_memory_growth: noop }
  })
  const wasm = inst.exports as unknown as OpusWasm
  shared = { wasm, packetPtr: wasm.malloc(MAX_PACKET), pcmPtr: wasm.malloc(MAX_FRAME * 2) }
  return shared
}

export class OpusLossDecoder {
  private ptr: number
  private readonly w = instance()
  private closed = false

  constructor(private readonly sampleRate = 48_000) {
    this.ptr = this.w.wasm.malloc(this.w.wasm.opus_decoder_get_size(1))
    const rc = this.w.wasm.opus_decoder_init(this.ptr, sampleRate, 1)
    if (rc < 0) {
      this.w.wasm.free(this.ptr)
      throw new Error(`opus_decoder_init failed (${rc})`)
    }
  }

  /** Decode one received packet (mono). Throws on a corrupt or oversized packet. */
  decode(packet: Uint8Array): Int16Array {
    return this.run(packet, MAX_FRAME, 0)
  }

  /** The `samples` lost just before `next`, rebuilt from next's in-band FEC (PLC if next carries none). */
  decodeFec(next: Uint8Array, samples: number): Int16Array {
    return this.run(next, samples, 1)
  }

  /** Packet-loss concealment for `samples` lost samples. */
  conceal(samples: number): Int16Array {
    return this.run(null, samples, 0)
  }

  /** Forget the decoder's history (after a jump in the stream). */
  reset(): void {
    if (this.closed) throw new Error('decoder closed')
    const rc = this.w.wasm.opus_decoder_init(this.ptr, this.sampleRate, 1)
    if (rc < 0) throw new Error(`opus_decoder_init failed (${rc})`)
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    this.w.wasm.free(this.ptr)
  }

  private run(packet: Uint8Array | null, frameSize: number, fec: 0 | 1): Int16Array {
    if (this.closed) throw new Error('decoder closed')
    const { wasm, packetPtr, pcmPtr } = this.w
    if (packet && (packet.length === 0 || packet.length > MAX_PACKET)) throw new Error(`opus packet of ${packet.length} bytes`)
    if (packet) new Uint8Array(wasm.memory.buffer, packetPtr, packet.length).set(packet)
    const n = wasm.opus_decode(this.ptr, packet ? packetPtr : 0, packet ? packet.length : 0, pcmPtr, Math.min(frameSize, MAX_FRAME), fec)
    if (n < 0) throw new Error(`opus_decode failed (${n})`)
    return new Int16Array(wasm.memory.buffer.slice(pcmPtr, pcmPtr + n * 2))
  }
}

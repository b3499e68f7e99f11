/**
 * The recent uplink at 16 kHz as 16-bit samples, in one ring buffer per stream: what an utterance's transcription
 * reads back. It holds only what its owner still needs (`keepFrom`, e.g. the open utterance's start, or a short
 * pre-roll while nobody speaks) and grows, by doubling, up to `maxSamples` for a long utterance; beyond that the
 * oldest samples go. One buffer instead of one small array per 20 ms frame: a backend with hundreds of streams does
 * not keep hundreds of thousands of little buffers alive for the garbage collector to walk. Pure (no I/O).
 *
 * Positions are sample indexes since the stream began (`total` = samples appended so far).
 */
export class SampleHistory {
  private ring: Int16Array
  private appended = 0

  constructor(
    private readonly maxSamples: number,
    initialSamples = 16_000
  ) {
    if (!(Number.isInteger(maxSamples) && maxSamples > 0)) throw new RangeError(`maxSamples must be a positive integer, got ${maxSamples}`)
    this.ring = new Int16Array(Math.max(1, Math.min(initialSamples, maxSamples)))
  }

  /** Samples appended since the stream began. */
  get total(): number {
    return this.appended
  }

  /** The oldest position still held. */
  get oldest(): number {
    return Math.max(0, this.appended - this.ring.length)
  }

  /** Room now (samples); grows up to maxSamples. */
  get capacity(): number {
    return this.ring.length
  }

  /** Append samples (copied), keeping everything from position `keepFrom` on if it fits in maxSamples. */
  append(samples: Int16Array, keepFrom: number): void {
    const n = samples.length
    const keep = Math.max(this.oldest, Math.min(keepFrom, this.appended))
    const needed = this.appended + n - keep
    if (needed > this.ring.length && this.ring.length < this.maxSamples) this.grow(Math.min(this.maxSamples, Math.max(needed, this.ring.length * 2)))
    const ring = this.ring
    const len = ring.length
    // Only the last `len` samples of a chunk longer than the ring can survive.
    const skip = Math.max(0, n - len)
    const at = (this.appended + skip) % len
    const first = Math.min(n - skip, len - at)
    ring.set(samples.subarray(skip, skip + first), at)
    if (skip + first < n) ring.set(samples.subarray(skip + first), 0)
    this.appended += n
  }

  /** A copy of the samples from position `start` (or the oldest held) to the end. */
  from(start: number): Int16Array {
    const begin = Math.max(this.oldest, Math.min(Math.max(0, start), this.appended))
    const out = new Int16Array(this.appended - begin)
    const len = this.ring.length
    const at = begin % len
    const first = Math.min(out.length, len - at)
    out.set(this.ring.subarray(at, at + first), 0)
    if (first < out.length) out.set(this.ring.subarray(0, out.length - first), first)
    return out
  }

  private grow(size: number): void {
    const held = this.from(this.oldest)
    const ring = new Int16Array(size)
    // Lay the held samples out at their positions modulo the new size (at most one wrap: held.length <= size).
    const at = (this.appended - held.length) % size
    const first = Math.min(held.length, size - at)
    ring.set(held.subarray(0, first), at)
    ring.set(held.subarray(first), 0)
    this.ring = ring
  }
}

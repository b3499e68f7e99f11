/**
 * Hands out small typed arrays as views of larger blocks: one buffer per `blockLength` elements instead of one per
 * array. A backend decoding hundreds of streams makes tens of thousands of 20 ms frames a second, and every
 * separately allocated buffer is one more object for the garbage collector to track and free. A view keeps its
 * block alive while it is referenced, and views never overlap, so callers may keep what they get.
 */
export class Slab<T extends Int16Array | Float32Array> {
  private block: T | null = null
  private used = 0

  constructor(
    private readonly make: (length: number) => T,
    private readonly blockLength: number
  ) {}

  /** A zero-filled array of `length` elements. */
  take(length: number): T {
    if (!this.block || this.used + length > this.block.length) {
      this.block = this.make(Math.max(length, this.blockLength))
      this.used = 0
    }
    const view = this.block.subarray(this.used, this.used + length) as T
    this.used += length
    return view
  }
}

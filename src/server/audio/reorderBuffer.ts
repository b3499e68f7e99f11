import { seqDelta } from './rtp'

/**
 * Puts received audio packets back in sequence order with no added delay when nothing is missing: an in-order
 * packet is released at once; after a gap, later packets wait up to `maxHoldMs` for the missing ones, then the gap
 * is declared lost (the caller conceals it). Late packets (behind what was already released) and duplicates are
 * dropped and counted. Pure: time comes in as an argument.
 */
export interface ReorderStats {
  received: number
  released: number
  lost: number
  late: number
  duplicate: number
}

export type ReorderOutput<T> = { kind: 'packet'; seq: number; item: T } | { kind: 'lost'; seq: number }

export class ReorderBuffer<T> {
  private expected: number | null = null
  private readonly held = new Map<number, { item: T; at: number }>()
  readonly stats: ReorderStats = { received: 0, released: 0, lost: 0, late: 0, duplicate: 0 }

  constructor(private readonly maxHoldMs: number, private readonly maxHeld = 50) {}

  /** Feed one packet; returns what can be released now, in order. */
  push(seq: number, item: T, nowMs: number): ReorderOutput<T>[] {
    this.stats.received++
    if (this.expected === null) this.expected = seq
    const d = seqDelta(this.expected, seq)
    if (d < 0) {
      this.stats.late++
      return []
    }
    if (this.held.has(seq)) {
      this.stats.duplicate++
      return []
    }
    if (d > 0x4000) {
      // A jump this large is a new stream (sender restarted), not loss: start over from here.
      this.held.clear()
      this.expected = seq
    }
    this.held.set(seq, { item, at: nowMs })
    return this.drain(nowMs)
  }

  /** Release anything whose wait ran out (call on a timer while packets are held). */
  poll(nowMs: number): ReorderOutput<T>[] {
    return this.drain(nowMs)
  }

  get heldCount(): number {
    return this.held.size
  }

  private drain(nowMs: number): ReorderOutput<T>[] {
    const out: ReorderOutput<T>[] = []
    while (this.held.size > 0 && this.expected !== null) {
      const next = this.held.get(this.expected)
      if (next) {
        this.held.delete(this.expected)
        out.push({ kind: 'packet', seq: this.expected, item: next.item })
        this.stats.released++
        this.expected = (this.expected + 1) & 0xffff
        continue
      }
      let oldest = Infinity
      for (const h of this.held.values()) oldest = Math.min(oldest, h.at)
      if (nowMs - oldest < this.maxHoldMs && this.held.size < this.maxHeld) break
      out.push({ kind: 'lost', seq: this.expected })
      this.stats.lost++
      this.expected = (this.expected + 1) & 0xffff
    }
    return out
  }
}

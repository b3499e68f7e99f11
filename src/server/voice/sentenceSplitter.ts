/**
 * Cuts a stream of LLM text deltas into sentences for TTS, so speech starts as soon as the first sentence is
 * complete. A sentence ends at . ! ? … (or a newline) followed by whitespace; decimals ("3.5"), common
 * abbreviations ("e.g.", "Dr.") and single initials do not end one. A run-on longer than `maxChars` is cut at the
 * last comma/semicolon/space so TTS never waits for a paragraph. Pure: text in, sentences out.
 */
const ABBREVIATIONS: ReadonlySet<string> = new Set(['mr', 'mrs', 'ms', 'dr', 'prof', 'sr', 'jr', 'st', 'vs', 'etc', 'e.g', 'i.e', 'approx', 'no', 'fig', 'min', 'max'])

export class SentenceSplitter {
  private buffer = ''

  constructor(private readonly maxChars = 220) {}

  push(delta: string): string[] {
    this.buffer += delta
    const out: string[] = []
    for (;;) {
      const cut = this.findBoundary()
      if (cut < 0) break
      const sentence = this.buffer.slice(0, cut).trim()
      this.buffer = this.buffer.slice(cut)
      if (sentence) out.push(sentence)
    }
    if (this.buffer.length > this.maxChars) {
      const soft = Math.max(this.buffer.lastIndexOf(', ', this.maxChars), this.buffer.lastIndexOf('; ', this.maxChars))
      const at = soft > 20 ? soft + 1 : this.buffer.lastIndexOf(' ', this.maxChars)
      const cut = at > 0 ? at : this.maxChars
      out.push(this.buffer.slice(0, cut).trim())
      this.buffer = this.buffer.slice(cut)
    }
    return out
  }

  /** The rest, at the end of the stream. */
  flush(): string | null {
    const rest = this.buffer.trim()
    this.buffer = ''
    return rest || null
  }

  reset(): void {
    this.buffer = ''
  }

  private findBoundary(): number {
    const re = /([.!?…]+["')\]]*)(\s)|\n+/g
    for (let m = re.exec(this.buffer); m; m = re.exec(this.buffer)) {
      if (m[0].startsWith('\n')) return m.index + m[0].length
      const end = m.index + m[1]!.length
      if (m[1] === '.' && this.isAbbreviationOrNumber(m.index)) continue
      return end + m[2]!.length
    }
    return -1
  }

  private isAbbreviationOrNumber(dot: number): boolean {
    const before = /([A-Za-z.]+|\d+)$/.exec(this.buffer.slice(0, dot))?.[1] ?? ''
    if (/^\d+$/.test(before)) return /^\d/.test(this.buffer.slice(dot + 1).trimStart()) && this.buffer[dot + 1] !== ' '
    if (before.length === 1 && /[A-Z]/.test(before)) return true // an initial: "J. Smith"
    return ABBREVIATIONS.has(before.toLowerCase())
  }
}

/** Default bounds: enough for a stack trace and the lines before it, small enough for a log line and a notice. */
export const STDERR_TAIL_MAX_LINES = 40
export const STDERR_TAIL_MAX_BYTES = 8 * 1024
/** One line longer than this is cut (a runaway line must not push every other line out). */
const MAX_LINE_CHARS = 2000

/**
 * The last lines a child process wrote to stderr, bounded in lines and in bytes (UTF-16 code units, ≈ bytes for
 * the ASCII a backend writes): what its exit is reported with when it dies.
 */
export class StderrTail {
  private readonly lines: string[] = []
  private chars = 0

  constructor(
    private readonly maxLines = STDERR_TAIL_MAX_LINES,
    private readonly maxChars = STDERR_TAIL_MAX_BYTES
  ) {}

  push(line: string): void {
    const kept = line.length > MAX_LINE_CHARS ? `${line.slice(0, MAX_LINE_CHARS)}… (${line.length - MAX_LINE_CHARS} more characters)` : line
    this.lines.push(kept)
    this.chars += kept.length
    while (this.lines.length > this.maxLines || (this.chars > this.maxChars && this.lines.length > 1)) this.chars -= this.lines.shift()!.length
  }

  /** The last `n` lines (all by default), oldest first. */
  last(n = this.lines.length): string[] {
    return n <= 0 ? [] : this.lines.slice(-n)
  }

  clear(): void {
    this.lines.length = 0
    this.chars = 0
  }
}

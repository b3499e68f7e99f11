/**
 * A tar reader for model archives, entry by entry with bounded memory: POSIX ustar (with its name prefix), pax
 * extended headers (`path`, `size`) and GNU long names, which is what GNU tar, bsdtar (macOS, Windows' tar.exe) and
 * Python's tarfile write. Hand-written because the app ships no tar package: `tar` in node_modules is a build tool's
 * (electron-builder's) dependency, not the app's, so a packaged app would not have it. Gzip is Node's zlib, in front.
 *
 * Each entry's body is handed over as a stream of exactly its size; what the consumer leaves unread is skipped. A
 * damaged archive (bad header checksum, cut short) is an error naming where, never a crash or a silent partial read.
 */

export class TarError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'TarError'
  }
}

export interface TarEntry {
  /** The path as stored (the pax `path` or GNU long name when there is one), '/'-separated. */
  path: string
  /** file: regular file (its body follows). directory, other (links, devices, fifos): no body to read. */
  type: 'file' | 'directory' | 'other'
  size: number
}

const BLOCK = 512
/** GNU long names and pax headers are metadata; anything this large is not a model archive. */
const MAX_META_BYTES = 1 << 20

/** Bytes pulled from an async source on demand: exact reads, bounded streams, skips. */
class ByteReader {
  private chunks: Buffer[] = []
  private buffered = 0
  private done = false
  private readonly iterator: AsyncIterator<Uint8Array>
  /** Bytes handed out so far (for error messages). */
  offset = 0

  constructor(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>) {
    this.iterator = Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : (async function* () { yield* source })()
  }

  private async pull(): Promise<boolean> {
    if (this.done) return false
    const next = await this.iterator.next()
    if (next.done) {
      this.done = true
      return false
    }
    const chunk = Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength)
    if (chunk.length > 0) {
      this.chunks.push(chunk)
      this.buffered += chunk.length
    }
    return true
  }

  /** Take up to `n` buffered bytes (at least one chunk's worth pulled by the caller). */
  private take(n: number): Buffer {
    const first = this.chunks[0]!
    if (first.length <= n) {
      this.chunks.shift()
      this.buffered -= first.length
      this.offset += first.length
      return first
    }
    this.chunks[0] = first.subarray(n)
    this.buffered -= n
    this.offset += n
    return first.subarray(0, n)
  }

  /** Exactly `n` bytes; null at a clean end (nothing left); a TarError when the data ends inside them. */
  async read(n: number): Promise<Buffer | null> {
    while (this.buffered < n) {
      if (!(await this.pull())) {
        if (this.buffered === 0) return null
        throw new TarError(`the archive ends early, at byte ${this.offset + this.buffered} (it was cut short)`)
      }
    }
    const parts: Buffer[] = []
    for (let left = n; left > 0; ) {
      const part = this.take(left)
      parts.push(part)
      left -= part.length
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts, n)
  }

  /** The next `n` bytes as chunks. */
  async *stream(n: number): AsyncGenerator<Buffer> {
    for (let left = n; left > 0; ) {
      if (this.buffered === 0 && !(await this.pull())) throw new TarError(`the archive ends early, at byte ${this.offset} (it was cut short)`)
      if (this.buffered === 0) continue
      const part = this.take(left)
      left -= part.length
      yield part
    }
  }

  async skip(n: number): Promise<void> {
    for await (const _ of this.stream(n)) void _
  }
}

function cString(block: Buffer, start: number, length: number): string {
  const field = block.subarray(start, start + length)
  const end = field.indexOf(0)
  return field.subarray(0, end === -1 ? field.length : end).toString('utf8')
}

/** A numeric header field: octal text (space/NUL terminated), or GNU base-256 when the high bit of its first byte is set. */
function numeric(block: Buffer, start: number, length: number, what: string, at: number): number {
  const field = block.subarray(start, start + length)
  if (field[0]! & 0x80) {
    let value = field[0]! & 0x7f
    for (let i = 1; i < field.length; i++) value = value * 256 + field[i]!
    if (!Number.isSafeInteger(value)) throw new TarError(`the ${what} of the entry at byte ${at} is too large`)
    return value
  }
  const text = field.toString('latin1').replace(/[\0 ]+$/, '').trim()
  if (text === '') return 0
  if (!/^[0-7]+$/.test(text)) throw new TarError(`the entry at byte ${at} has an unreadable ${what} (${JSON.stringify(text)}): this is not a tar archive, or it is damaged`)
  return parseInt(text, 8)
}

function checksumOk(block: Buffer, at: number): boolean {
  const stored = numeric(block, 148, 8, 'header checksum', at)
  let sum = 0
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i]!
  return sum === stored
}

/** pax records: "<length> <key>=<value>\n" each. */
function paxRecords(data: Buffer): Map<string, string> {
  const out = new Map<string, string>()
  let i = 0
  while (i < data.length) {
    const space = data.indexOf(0x20, i)
    if (space === -1) break
    const length = Number(data.subarray(i, space).toString('latin1'))
    if (!Number.isInteger(length) || length <= 0 || i + length > data.length) break
    const record = data.subarray(space + 1, i + length - 1).toString('utf8')
    const eq = record.indexOf('=')
    if (eq > 0) out.set(record.slice(0, eq), record.slice(eq + 1))
    i += length
  }
  return out
}

const padding = (size: number): number => (BLOCK - (size % BLOCK)) % BLOCK

/**
 * Read every entry of a tar stream; `onEntry` gets its header and its body (for files), and may read the body or not.
 * Resolves at the end-of-archive blocks (or at the end of the data after a whole entry, as some writers omit them).
 */
export async function readTar(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, onEntry: (entry: TarEntry, body: AsyncIterable<Buffer>) => Promise<void>): Promise<void> {
  const reader = new ByteReader(source)
  let longName: string | null = null
  let pax = new Map<string, string>()
  for (;;) {
    const at = reader.offset
    const header = await reader.read(BLOCK)
    if (header === null || header.every((b) => b === 0)) return
    if (!checksumOk(header, at)) throw new TarError(`the header at byte ${at} fails its checksum: this is not a tar archive, or it is damaged`)
    const flag = String.fromCharCode(header[156]!)
    let size = numeric(header, 124, 12, 'size', at)
    if (flag === 'L' || flag === 'x' || flag === 'g') {
      if (size > MAX_META_BYTES) throw new TarError(`the metadata entry at byte ${at} is ${size} bytes, too large for a model archive`)
      const data = (await reader.read(size)) ?? Buffer.alloc(0)
      await reader.skip(padding(size))
      if (flag === 'L') longName = cString(data, 0, data.length)
      else if (flag === 'x') pax = paxRecords(data)
      continue // 'g' (global pax): nothing a model file needs
    }
    const ustar = header.subarray(257, 262).toString('latin1') === 'ustar'
    const prefix = ustar ? cString(header, 345, 155) : ''
    const name = cString(header, 0, 100)
    const path = pax.get('path') ?? longName ?? (prefix ? `${prefix}/${name}` : name)
    if (pax.has('size')) {
      const paxSize = Number(pax.get('size'))
      if (!Number.isSafeInteger(paxSize) || paxSize < 0) throw new TarError(`the entry ${path} has an unreadable pax size`)
      size = paxSize
    }
    longName = null
    pax = new Map()
    const type: TarEntry['type'] = flag === '0' || flag === '\0' || flag === '7' ? 'file' : flag === '5' ? 'directory' : 'other'
    // Links, devices and directories carry no data (a hard link's size field is 0); anything else is skipped whole.
    let consumed = 0
    const body = (async function* () {
      for await (const chunk of reader.stream(size)) {
        consumed += chunk.length
        yield chunk
      }
    })()
    if (type === 'file') await onEntry({ path, type, size }, body)
    else await onEntry({ path, type, size }, (async function* () {})())
    await reader.skip(size - consumed + padding(size))
  }
}

import { open } from 'node:fs/promises'

export interface FileTail {
  /** The last lines, oldest first (without their line breaks). */
  lines: string[]
  /** Why there are no lines or fewer than asked: the file is missing, empty, or only its end was read. */
  note: string | null
  /** Bytes read from the file (at most maxBytes). */
  bytesRead: number
}

export interface TailOptions {
  maxLines: number
  /** Read at most this much from the end of the file, whatever its size. */
  maxBytes?: number
  /** A longer line is cut to this many characters (a runaway line must not fill the report). */
  maxLineChars?: number
}

const CHUNK = 64 * 1024

/**
 * The last `maxLines` lines of a text file, reading backwards from its end in 64 KiB chunks: memory stays bounded by
 * `maxBytes` (default 1 MiB: 200 log lines are ~40 KB, so this only bites on runaway lines) however large the file
 * is. A missing or unreadable file gives no lines and a note saying why, never an error.
 */
export async function readFileTail(path: string, opts: TailOptions): Promise<FileTail> {
  const maxBytes = opts.maxBytes ?? 1024 * 1024
  const maxLineChars = opts.maxLineChars ?? 2000
  let handle
  try {
    handle = await open(path, 'r')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    return { lines: [], note: code === 'ENOENT' ? `no log file yet (${path})` : `cannot read ${path}: ${(error as Error).message}`, bytesRead: 0 }
  }
  try {
    const { size } = await handle.stat()
    if (size === 0) return { lines: [], note: `the log file is empty (${path})`, bytesRead: 0 }
    const chunks: Buffer[] = []
    let position = size
    let bytesRead = 0
    let newlines = 0
    // maxLines lines need maxLines + 1 line breaks before them (the file's last byte is usually a line break too).
    while (position > 0 && bytesRead < maxBytes && newlines <= opts.maxLines + 1) {
      const length = Math.min(CHUNK, position, maxBytes - bytesRead)
      position -= length
      const buffer = Buffer.alloc(length)
      const { bytesRead: got } = await handle.read(buffer, 0, length, position)
      const chunk = buffer.subarray(0, got)
      chunks.unshift(chunk)
      bytesRead += got
      for (const byte of chunk) if (byte === 0x0a) newlines++
      if (got < length) break
    }
    let text = Buffer.concat(chunks).toString('utf8')
    let lines = text.split(/\r?\n/)
    if (lines.at(-1) === '') lines.pop()
    // Started mid-file: the first piece is part of a line (or a cut UTF-8 sequence), so it is dropped unless it is all.
    const partial = position > 0 && lines.length > 1
    if (partial) lines.shift()
    text = ''
    lines = lines.slice(-opts.maxLines).map((line) => (line.length > maxLineChars ? `${line.slice(0, maxLineChars)}… (${line.length - maxLineChars} more characters)` : line))
    const note = position > 0 && lines.length < opts.maxLines ? `only the last ${bytesRead} bytes of the log were read` : null
    return { lines, note, bytesRead }
  } catch (error) {
    return { lines: [], note: `cannot read ${path}: ${(error as Error).message}`, bytesRead: 0 }
  } finally {
    await handle.close()
  }
}

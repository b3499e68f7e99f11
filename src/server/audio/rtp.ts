/**
 * RTP packet parsing and building (RFC 3550), for the server-side audio path. Pure: no I/O.
 * Parsing never throws: a malformed buffer yields `null`, so a hostile or broken packet cannot crash a session.
 */
export interface RtpPacket {
  payloadType: number
  marker: boolean
  sequenceNumber: number
  timestamp: number
  ssrc: number
  /** The codec payload with header, CSRCs, extension and padding removed (a view into the input buffer). */
  payload: Uint8Array
  /** True if the packet carried RTP padding (Chrome's bandwidth-probe packets are padding-only). */
  padded: boolean
}

export function parseRtp(buf: Uint8Array): RtpPacket | null {
  if (buf.length < 12) return null
  const b0 = buf[0]!
  if (b0 >> 6 !== 2) return null
  const padded = (b0 & 0x20) !== 0
  const hasExtension = (b0 & 0x10) !== 0
  const csrcCount = b0 & 0x0f
  const b1 = buf[1]!
  let offset = 12 + csrcCount * 4
  if (offset > buf.length) return null
  if (hasExtension) {
    if (offset + 4 > buf.length) return null
    const words = (buf[offset + 2]! << 8) | buf[offset + 3]!
    offset += 4 + words * 4
    if (offset > buf.length) return null
  }
  let end = buf.length
  if (padded) {
    const padLength = buf[buf.length - 1]!
    if (padLength === 0 || end - padLength < offset) return null
    end -= padLength
  }
  return {
    payloadType: b1 & 0x7f,
    marker: (b1 & 0x80) !== 0,
    sequenceNumber: (buf[2]! << 8) | buf[3]!,
    timestamp: ((buf[4]! << 24) | (buf[5]! << 16) | (buf[6]! << 8) | buf[7]!) >>> 0,
    ssrc: ((buf[8]! << 24) | (buf[9]! << 16) | (buf[10]! << 8) | buf[11]!) >>> 0,
    payload: buf.subarray(offset, end),
    padded
  }
}

/** A minimal RTP packet (no CSRCs, no extensions, no padding). */
export function buildRtp(p: { payloadType: number; marker: boolean; sequenceNumber: number; timestamp: number; ssrc: number; payload: Uint8Array }): Buffer {
  const out = Buffer.allocUnsafe(12 + p.payload.length)
  out[0] = 0x80
  out[1] = (p.marker ? 0x80 : 0) | (p.payloadType & 0x7f)
  out.writeUInt16BE(p.sequenceNumber & 0xffff, 2)
  out.writeUInt32BE(p.timestamp >>> 0, 4)
  out.writeUInt32BE(p.ssrc >>> 0, 8)
  out.set(p.payload, 12)
  return out
}

/** Signed distance a→b in 16-bit sequence space (positive if b is after a). */
export function seqDelta(a: number, b: number): number {
  const d = (b - a) & 0xffff
  return d >= 0x8000 ? d - 0x10000 : d
}

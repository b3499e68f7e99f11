/**
 * Just enough STUN (RFC 5389) for an ICE relay: classify a datagram by its first byte (RFC 7983), parse a STUN
 * message header and walk its attributes with bounds checks, pull out USERNAME ("serverUfrag:clientUfrag" in a
 * binding request sent to the server), and check FINGERPRINT. Pure: no I/O, no Node-only imports; every malformed
 * input yields a `{ ok: false, reason }` value, never an exception.
 */

export const STUN_MAGIC_COOKIE = 0x2112a442
export const STUN_HEADER_BYTES = 20
export const STUN_BINDING_REQUEST = 0x0001
export const STUN_BINDING_SUCCESS = 0x0101
export const STUN_ATTR_USERNAME = 0x0006
export const STUN_ATTR_MESSAGE_INTEGRITY = 0x0008
export const STUN_ATTR_FINGERPRINT = 0x8028
export const STUN_ATTR_USE_CANDIDATE = 0x0025
/** RFC 5389 §15.3: USERNAME is < 513 bytes. */
export const STUN_MAX_USERNAME_BYTES = 512
const FINGERPRINT_XOR = 0x5354554e

/** RFC 7983 demultiplexing by the first byte of a datagram. */
export type PacketKind = 'stun' | 'zrtp' | 'dtls' | 'turn-channel' | 'rtp' | 'unknown'

export function classifyFirstByte(b: number): PacketKind {
  if (b <= 3) return 'stun'
  if (b >= 16 && b <= 19) return 'zrtp'
  if (b >= 20 && b <= 63) return 'dtls'
  if (b >= 64 && b <= 79) return 'turn-channel'
  if (b >= 128 && b <= 191) return 'rtp' // RTP and RTCP
  return 'unknown'
}

export type StunParseFailure =
  | 'too_short'
  | 'not_stun'
  | 'bad_cookie'
  | 'bad_length'
  | 'truncated_attribute'
  | 'bad_fingerprint'
  | 'attribute_after_fingerprint'

export interface StunAttributeRef {
  type: number
  /** Byte offset of the attribute's value inside the message. */
  offset: number
  length: number
}

export interface StunMessage {
  /** Message type (method + class), e.g. 0x0001 binding request. */
  type: number
  /** The 12-byte transaction id as lowercase hex. */
  transactionId: string
  attributes: StunAttributeRef[]
  /** True when a FINGERPRINT attribute was present (it was verified, or parsing failed). */
  hasFingerprint: boolean
  /** Offset of the MESSAGE-INTEGRITY attribute header, or -1. */
  messageIntegrityOffset: number
}

export type StunParseResult = { ok: true; message: StunMessage } | { ok: false; reason: StunParseFailure }

/**
 * Parse one STUN message that fills `buf` exactly (a UDP datagram, or one RFC 4571 frame of ICE-TCP).
 * Checks: header, magic cookie, length (multiple of 4, equal to the rest), every attribute inside the message,
 * FINGERPRINT last and correct when present.
 */
export function parseStun(buf: Uint8Array): StunParseResult {
  if (buf.length < STUN_HEADER_BYTES) return { ok: false, reason: 'too_short' }
  if ((buf[0]! & 0xc0) !== 0) return { ok: false, reason: 'not_stun' }
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
  if (view.getUint32(4) !== STUN_MAGIC_COOKIE) return { ok: false, reason: 'bad_cookie' }
  const length = view.getUint16(2)
  if (length % 4 !== 0 || STUN_HEADER_BYTES + length !== buf.length) return { ok: false, reason: 'bad_length' }
  const attributes: StunAttributeRef[] = []
  let offset = STUN_HEADER_BYTES
  let hasFingerprint = false
  let messageIntegrityOffset = -1
  while (offset < buf.length) {
    if (hasFingerprint) return { ok: false, reason: 'attribute_after_fingerprint' }
    if (offset + 4 > buf.length) return { ok: false, reason: 'truncated_attribute' }
    const type = view.getUint16(offset)
    const attrLength = view.getUint16(offset + 2)
    const valueOffset = offset + 4
    const padded = attrLength + ((4 - (attrLength % 4)) % 4)
    if (valueOffset + padded > buf.length) return { ok: false, reason: 'truncated_attribute' }
    if (type === STUN_ATTR_FINGERPRINT) {
      if (attrLength !== 4) return { ok: false, reason: 'bad_fingerprint' }
      const expected = (crc32(buf, 0, offset) ^ FINGERPRINT_XOR) >>> 0
      if (view.getUint32(valueOffset) !== expected) return { ok: false, reason: 'bad_fingerprint' }
      hasFingerprint = true
    }
    if (type === STUN_ATTR_MESSAGE_INTEGRITY && messageIntegrityOffset < 0) messageIntegrityOffset = offset
    attributes.push({ type, offset: valueOffset, length: attrLength })
    offset = valueOffset + padded
  }
  let transactionId = ''
  for (let i = 8; i < 20; i++) transactionId += buf[i]!.toString(16).padStart(2, '0')
  return { ok: true, message: { type: view.getUint16(0), transactionId, attributes, hasFingerprint, messageIntegrityOffset } }
}

export type IceUsernameFailure = StunParseFailure | 'not_binding_request' | 'no_username' | 'bad_username'

export interface IceBindingRequest {
  /** The server's (callee's) ufrag: the part before the colon. This is what routes the flow. */
  serverUfrag: string
  clientUfrag: string
  useCandidate: boolean
  message: StunMessage
}

export type IceBindingResult = { ok: true; request: IceBindingRequest } | { ok: false; reason: IceUsernameFailure }

const utf8 = new TextDecoder('utf-8', { fatal: true })

/** Parse an ICE connectivity check (binding request) and split its USERNAME into server and client ufrag. */
export function parseIceBindingRequest(buf: Uint8Array): IceBindingResult {
  const parsed = parseStun(buf)
  if (!parsed.ok) return parsed
  const message = parsed.message
  if (message.type !== STUN_BINDING_REQUEST) return { ok: false, reason: 'not_binding_request' }
  const attr = message.attributes.find((a) => a.type === STUN_ATTR_USERNAME)
  if (!attr) return { ok: false, reason: 'no_username' }
  if (attr.length === 0 || attr.length > STUN_MAX_USERNAME_BYTES) return { ok: false, reason: 'bad_username' }
  let username: string
  try {
    username = utf8.decode(buf.subarray(attr.offset, attr.offset + attr.length))
  } catch {
    return { ok: false, reason: 'bad_username' }
  }
  const colon = username.indexOf(':')
  if (colon <= 0 || colon === username.length - 1) return { ok: false, reason: 'bad_username' }
  return {
    ok: true,
    request: {
      serverUfrag: username.slice(0, colon),
      clientUfrag: username.slice(colon + 1),
      useCandidate: message.attributes.some((a) => a.type === STUN_ATTR_USE_CANDIDATE),
      message
    }
  }
}

/**
 * The bytes MESSAGE-INTEGRITY covers (RFC 5389 §15.4): the message up to the attribute, with the header length
 * rewritten to end just after it. Returns null when the message has no MESSAGE-INTEGRITY.
 * The caller computes HMAC-SHA1(key = ICE password) over it and compares with `integrityValue`.
 */
export function messageIntegrityInput(buf: Uint8Array, message: StunMessage): { covered: Uint8Array; integrityValue: Uint8Array } | null {
  const at = message.messageIntegrityOffset
  if (at < 0 || at + 24 > buf.length) return null
  // A copy (Buffer#slice would be a view, and the length rewrite below must not touch the packet).
  const covered = new Uint8Array(buf.subarray(0, at))
  const lengthUpToIntegrity = at + 24 - STUN_HEADER_BYTES
  covered[2] = (lengthUpToIntegrity >> 8) & 0xff
  covered[3] = lengthUpToIntegrity & 0xff
  return { covered, integrityValue: buf.subarray(at + 4, at + 24) }
}

/** Encode a STUN message (tests, benches, and any tool that needs a real binding request). */
export function encodeStun(opts: {
  type: number
  transactionId: Uint8Array
  attributes: Array<{ type: number; value: Uint8Array }>
  /** Adds MESSAGE-INTEGRITY with this function (HMAC-SHA1 of its input → 20 bytes) before FINGERPRINT. */
  integrity?: (covered: Uint8Array) => Uint8Array
  fingerprint?: boolean
}): Uint8Array {
  if (opts.transactionId.length !== 12) throw new RangeError('transactionId must be 12 bytes')
  const attrBytes = (len: number): number => 4 + len + ((4 - (len % 4)) % 4)
  let size = STUN_HEADER_BYTES
  for (const a of opts.attributes) size += attrBytes(a.value.length)
  const integrityAt = size
  if (opts.integrity) size += 24
  const fingerprintAt = size
  if (opts.fingerprint) size += 8
  const out = new Uint8Array(size)
  const view = new DataView(out.buffer)
  view.setUint16(0, opts.type)
  view.setUint32(4, STUN_MAGIC_COOKIE)
  out.set(opts.transactionId, 8)
  let offset = STUN_HEADER_BYTES
  for (const a of opts.attributes) {
    view.setUint16(offset, a.type)
    view.setUint16(offset + 2, a.value.length)
    out.set(a.value, offset + 4)
    offset += attrBytes(a.value.length)
  }
  if (opts.integrity) {
    view.setUint16(2, integrityAt + 24 - STUN_HEADER_BYTES)
    const mac = opts.integrity(out.subarray(0, integrityAt))
    if (mac.length !== 20) throw new RangeError('MESSAGE-INTEGRITY must be 20 bytes')
    view.setUint16(integrityAt, STUN_ATTR_MESSAGE_INTEGRITY)
    view.setUint16(integrityAt + 2, 20)
    out.set(mac, integrityAt + 4)
  }
  if (opts.fingerprint) {
    view.setUint16(2, fingerprintAt + 8 - STUN_HEADER_BYTES)
    view.setUint16(fingerprintAt, STUN_ATTR_FINGERPRINT)
    view.setUint16(fingerprintAt + 2, 4)
    view.setUint32(fingerprintAt + 4, (crc32(out, 0, fingerprintAt) ^ FINGERPRINT_XOR) >>> 0)
  } else view.setUint16(2, size - STUN_HEADER_BYTES)
  return out
}

/** A binding request as an ICE agent sends it to the server: USERNAME "server:client", optional USE-CANDIDATE. */
export function encodeIceBindingRequest(opts: {
  serverUfrag: string
  clientUfrag: string
  transactionId: Uint8Array
  useCandidate?: boolean
  integrity?: (covered: Uint8Array) => Uint8Array
}): Uint8Array {
  const attributes = [{ type: STUN_ATTR_USERNAME, value: new TextEncoder().encode(`${opts.serverUfrag}:${opts.clientUfrag}`) }]
  if (opts.useCandidate) attributes.push({ type: STUN_ATTR_USE_CANDIDATE, value: new Uint8Array(0) })
  return encodeStun({ type: STUN_BINDING_REQUEST, transactionId: opts.transactionId, attributes, integrity: opts.integrity, fingerprint: true })
}

let crcTable: Uint32Array | null = null

/** CRC-32 (IEEE 802.3), as STUN FINGERPRINT uses it. */
export function crc32(buf: Uint8Array, start = 0, end = buf.length): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256)
    for (let n = 0; n < 256; n++) {
      let c = n
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
      crcTable[n] = c >>> 0
    }
  }
  let crc = 0xffffffff
  for (let i = start; i < end; i++) crc = crcTable[(crc ^ buf[i]!) & 0xff]! ^ (crc >>> 8)
  return (crc ^ 0xffffffff) >>> 0
}

import { createHmac, randomBytes } from 'node:crypto'
import { encodeIceBindingRequest } from '../../src/server/relay/stun'

/** Packets a client sends through the edge relay in its tests: ICE binding requests (signed or not) and RTP. */
const sign = (password: string) => (covered: Uint8Array) => new Uint8Array(createHmac('sha1', password).update(covered).digest())

/** An ICE connectivity check for `serverUfrag`, signed with `password` (null: unsigned). */
export const check = (serverUfrag: string, password: string | null): Buffer =>
  Buffer.from(encodeIceBindingRequest({ serverUfrag, clientUfrag: 'cli1', transactionId: randomBytes(12), useCandidate: true, integrity: password ? sign(password) : undefined }))

/** A 60-byte Opus RTP packet with sequence number `seq`. */
export const rtp = (seq: number): Buffer => {
  const b = Buffer.alloc(60)
  b[0] = 0x80
  b[1] = 111
  b.writeUInt16BE(seq, 2)
  return b
}

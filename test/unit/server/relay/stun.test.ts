import { createHmac, randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  STUN_ATTR_USERNAME,
  STUN_BINDING_SUCCESS,
  classifyFirstByte,
  crc32,
  encodeIceBindingRequest,
  encodeStun,
  parseIceBindingRequest,
  parseStun
} from '../../../../src/server/relay/stun'
import { verifyIntegrity } from '../../../../src/server/relay/udpRelay'

// RFC 5769 §2.1 "Sample Request": USERNAME "evtj:h6vY", password "VOkJxbRl1RmTxUk/WvJxBt", with MESSAGE-INTEGRITY
// and FINGERPRINT (username padded with spaces, which the RFC allows).
const RFC5769_REQUEST = Buffer.from(
  '000100582112a442b7e7a701bc34d686fa87dfae802200105354554e20746573742063' +
    '6c69656e74002400046e0001ff80290008932ff9b151263b36000600096576746a3a68' +
    '367659202020000800149aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a280280004e57a3bcf'.replace(/^/, ''),
  'hex'
)

const hmac = (password: string) => (covered: Uint8Array) => new Uint8Array(createHmac('sha1', password).update(covered).digest())

describe('RFC 7983 demultiplexing by first byte', () => {
  it('classifies the ranges', () => {
    expect([0, 1, 3].map(classifyFirstByte)).toEqual(['stun', 'stun', 'stun'])
    expect(classifyFirstByte(16)).toBe('zrtp')
    expect([20, 22, 63].map(classifyFirstByte)).toEqual(['dtls', 'dtls', 'dtls'])
    expect(classifyFirstByte(64)).toBe('turn-channel')
    expect([128, 0x80, 191].map(classifyFirstByte)).toEqual(['rtp', 'rtp', 'rtp'])
    expect([4, 15, 100, 192, 255].map(classifyFirstByte)).toEqual(['unknown', 'unknown', 'unknown', 'unknown', 'unknown'])
  })
})

describe('STUN parsing', () => {
  it('CRC-32 matches the standard check value', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926)
  })

  it('parses the RFC 5769 sample request: USERNAME split, FINGERPRINT and MESSAGE-INTEGRITY verify', () => {
    const r = parseIceBindingRequest(RFC5769_REQUEST)
    expect(r.ok).toBe(true)
    if (!r.ok) return
    expect(r.request.serverUfrag).toBe('evtj')
    expect(r.request.clientUfrag).toBe('h6vY')
    expect(r.request.useCandidate).toBe(false)
    expect(r.request.message.hasFingerprint).toBe(true)
    expect(r.request.message.transactionId).toBe('b7e7a701bc34d686fa87dfae')
    expect(verifyIntegrity(RFC5769_REQUEST, r.request.message, 'VOkJxbRl1RmTxUk/WvJxBt')).toBe(true)
    expect(verifyIntegrity(RFC5769_REQUEST, r.request.message, 'VOkJxbRl1RmTxUk/WvJxBu')).toBe(false)
  })

  it('round-trips what encodeIceBindingRequest writes (USE-CANDIDATE, integrity, fingerprint)', () => {
    const tid = randomBytes(12)
    const buf = Buffer.from(encodeIceBindingRequest({ serverUfrag: 'srvufrag1234abcd', clientUfrag: 'cl+/', transactionId: tid, useCandidate: true, integrity: hmac('p'.repeat(24)) }))
    const r = parseIceBindingRequest(buf)
    expect(r.ok && r.request).toMatchObject({ serverUfrag: 'srvufrag1234abcd', clientUfrag: 'cl+/', useCandidate: true })
    if (r.ok) expect(verifyIntegrity(buf, r.request.message, 'p'.repeat(24))).toBe(true)
  })

  it('rejects bad input with a reason, never an exception', () => {
    const good = Buffer.from(RFC5769_REQUEST)
    expect(parseStun(Buffer.alloc(0))).toEqual({ ok: false, reason: 'too_short' })
    expect(parseStun(good.subarray(0, 19))).toEqual({ ok: false, reason: 'too_short' })
    const rtp = Buffer.from(good)
    rtp[0] = 0x80
    expect(parseStun(rtp)).toEqual({ ok: false, reason: 'not_stun' })
    const cookie = Buffer.from(good)
    cookie[5] = 0
    expect(parseStun(cookie)).toEqual({ ok: false, reason: 'bad_cookie' })
    expect(parseStun(good.subarray(0, good.length - 4))).toEqual({ ok: false, reason: 'bad_length' })
    const unaligned = Buffer.from(good)
    unaligned.writeUInt16BE(0x57, 2)
    expect(parseStun(unaligned)).toEqual({ ok: false, reason: 'bad_length' })
    // An attribute whose length runs past the end of the message.
    const overrun = Buffer.from(good)
    overrun.writeUInt16BE(0xfff0, 22)
    expect(parseStun(overrun)).toEqual({ ok: false, reason: 'truncated_attribute' })
    const flipped = Buffer.from(good)
    flipped[30]! ^= 1 // inside SOFTWARE: the fingerprint no longer matches
    expect(parseStun(flipped)).toEqual({ ok: false, reason: 'bad_fingerprint' })
    // A binding success response is STUN, but not a check.
    const response = encodeStun({ type: STUN_BINDING_SUCCESS, transactionId: randomBytes(12), attributes: [], fingerprint: true })
    expect(parseIceBindingRequest(response)).toEqual({ ok: false, reason: 'not_binding_request' })
    const noUser = encodeStun({ type: 1, transactionId: randomBytes(12), attributes: [], fingerprint: true })
    expect(parseIceBindingRequest(noUser)).toEqual({ ok: false, reason: 'no_username' })
    for (const username of ['nocolon', ':client', 'server:', '']) {
      const m = encodeStun({ type: 1, transactionId: randomBytes(12), attributes: [{ type: STUN_ATTR_USERNAME, value: Buffer.from(username) }] })
      expect(parseIceBindingRequest(m)).toEqual({ ok: false, reason: 'bad_username' })
    }
    const badUtf8 = encodeStun({ type: 1, transactionId: randomBytes(12), attributes: [{ type: STUN_ATTR_USERNAME, value: Buffer.from([0x61, 0x3a, 0xff, 0xfe]) }] })
    expect(parseIceBindingRequest(badUtf8)).toEqual({ ok: false, reason: 'bad_username' })
    const huge = encodeStun({ type: 1, transactionId: randomBytes(12), attributes: [{ type: STUN_ATTR_USERNAME, value: Buffer.alloc(600, 0x61) }] })
    expect(parseIceBindingRequest(huge)).toEqual({ ok: false, reason: 'bad_username' })
  })

  it('fuzz: random bytes, truncations and bit flips of a valid request never throw; truncations never parse', () => {
    let seed = 12345
    const rand = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff)
    const good = Buffer.from(encodeIceBindingRequest({ serverUfrag: 'abcd1234', clientUfrag: 'wxyz', transactionId: randomBytes(12), useCandidate: true, integrity: hmac('x'.repeat(22)) }))
    let parsedOk = 0
    for (let i = 0; i < 20_000; i++) {
      let buf: Buffer
      const mode = i % 4
      if (mode === 0) {
        buf = Buffer.alloc(Math.floor(rand() * 120))
        for (let j = 0; j < buf.length; j++) buf[j] = Math.floor(rand() * 256)
        if (buf.length > 8 && rand() < 0.5) buf.writeUInt32BE(0x2112a442, 4) // get past the cookie check
        if (buf.length >= 20 && rand() < 0.5) buf.writeUInt16BE(buf.length - 20, 2)
        if (buf.length > 0) buf[0]! &= 0x03
      } else if (mode === 1) {
        buf = good.subarray(0, Math.floor(rand() * good.length))
        expect(parseIceBindingRequest(buf).ok).toBe(false)
      } else {
        buf = Buffer.from(good)
        const flips = 1 + Math.floor(rand() * 4)
        for (let f = 0; f < flips; f++) buf[Math.floor(rand() * buf.length)]! ^= 1 << Math.floor(rand() * 8)
      }
      const r = parseIceBindingRequest(buf)
      if (r.ok && mode >= 2) {
        parsedOk++
        // A flip FINGERPRINT cannot catch is one that turned FINGERPRINT itself into another attribute.
        expect(r.request.message.hasFingerprint && r.request.serverUfrag !== 'abcd1234').toBe(false)
      }
    }
    expect(parsedOk).toBeLessThan(1000)
  })
})

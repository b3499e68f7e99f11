import { createHmac, randomBytes } from 'node:crypto'
import { createSocket, type Socket } from 'node:dgram'
import { encodeIceBindingRequest } from '../src/server/relay/stun'

/**
 * The relay flood's attacker, in its own process (bench/_abuseRelay.ts forks it), so that binding, sending and closing
 * hundreds of sockets stalls its event loop and not the one that sends and times the legitimate client's media.
 * Also the ICE credentials both sides use: a route's password is derived from its ufrag.
 */
export const passwordOf = (ufrag: string): string => `pw${ufrag}0123456789abcdefghijkl`
const sign = (password: string) => (covered: Uint8Array) => new Uint8Array(createHmac('sha1', password).update(covered).digest())
/** A real ICE binding request for `ufrag` (USERNAME, MESSAGE-INTEGRITY with its password, FINGERPRINT). */
export const check = (ufrag: string): Buffer =>
  Buffer.from(encodeIceBindingRequest({ serverUfrag: ufrag, clientUfrag: 'cli1', transactionId: randomBytes(12), useCandidate: true, integrity: sign(passwordOf(ufrag)) }))

export async function udp(bindIp: string): Promise<Socket> {
  const socket = createSocket('udp4')
  await new Promise<void>((r) => socket.bind(0, bindIp, r))
  return socket
}
export const closeSocket = (s: Socket): Promise<void> => new Promise((r) => s.close(() => r()))
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** One flood request from the parent: open `count` flows, cycling through `bindIps` and `ufrags`. */
export interface FloodRequest { relayPort: number; bindIps: string[]; ufrags: string[]; count: number }

/** Open the flows, one fresh source port each; how many were answered (the flow worked, at least for a moment). */
async function flood(r: FloodRequest): Promise<number> {
  const sockets: Socket[] = []
  let answered = 0
  try {
    for (let i = 0; i < r.count; i++) {
      const s = await udp(r.bindIps[i % r.bindIps.length]!)
      s.once('message', () => answered++)
      sockets.push(s)
      s.send(check(r.ufrags[i % r.ufrags.length]!), r.relayPort, '127.0.0.1')
      if (i % 50 === 49) await sleep(10) // bounded rate: 900 flows in about a quarter of a second
    }
    await sleep(300)
  } finally {
    await Promise.all(sockets.map(closeSocket))
  }
  return answered
}

// As the forked child: { ready } once listening, then one flood per message, answered with { answered }; exit when
// the parent goes.
if (process.send && /_abuseRelayFlooder\.ts$/.test(process.argv[1] ?? '')) {
  process.on('message', (request: FloodRequest) => void flood(request).then((answered) => process.send!({ answered })))
  process.on('disconnect', () => process.exit(0))
  process.send({ ready: true })
}

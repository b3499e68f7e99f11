import { createSocket, type RemoteInfo, type Socket } from 'node:dgram'

/**
 * A lossy UDP relay for tests, on loopback: clients send to `listen`, the relay forwards to `target` from one
 * upstream socket per client address (like a NAT, so the server's answers find their way back), and forwards the
 * answers back unchanged. On the uplink (client → server) it drops each datagram with probability `lossRate` and
 * delays each surviving one by a uniform random 0…`jitterMs` (so packets also arrive out of order). Every datagram
 * is treated alike (STUN, DTLS and RTP), as a lossy network would.
 */
export interface LossyRelayOptions {
  listen: { address: string; port: number }
  target: { address: string; port: number }
  lossRate: number
  jitterMs: number
  /** Deterministic tests: a seeded random source. Default Math.random. */
  random?: () => number
}

export interface LossyRelay {
  readonly stats: { uplinkPackets: number; uplinkDropped: number; downlinkPackets: number; blackholed: number }
  /** Turn the impairment on/off at run time (e.g. only once media flows). */
  setImpairment(on: boolean): void
  /** Link down: drop every datagram, both ways, until turned off again. */
  setBlackhole(on: boolean): void
  close(): Promise<void>
}

export async function startLossyRelay(opts: LossyRelayOptions): Promise<LossyRelay> {
  const random = opts.random ?? Math.random
  const front = createSocket('udp4')
  const upstreams = new Map<string, Socket>()
  const timers = new Set<ReturnType<typeof setTimeout>>()
  const stats = { uplinkPackets: 0, uplinkDropped: 0, downlinkPackets: 0, blackholed: 0 }
  let impaired = true
  let blackhole = false
  let closed = false

  const upstreamFor = (client: RemoteInfo): Socket => {
    const key = `${client.address}:${client.port}`
    let up = upstreams.get(key)
    if (!up) {
      up = createSocket('udp4')
      up.on('message', (msg) => {
        stats.downlinkPackets++
        if (blackhole) return void stats.blackholed++
        if (!closed) front.send(msg, client.port, client.address)
      })
      up.on('error', () => undefined)
      up.bind(0, '127.0.0.1')
      upstreams.set(key, up)
    }
    return up
  }

  front.on('message', (msg, rinfo) => {
    stats.uplinkPackets++
    if (blackhole) return void stats.blackholed++
    const up = upstreamFor(rinfo)
    if (!impaired) {
      up.send(msg, opts.target.port, opts.target.address)
      return
    }
    if (random() < opts.lossRate) {
      stats.uplinkDropped++
      return
    }
    const timer = setTimeout(() => {
      timers.delete(timer)
      if (!closed) up.send(msg, opts.target.port, opts.target.address)
    }, random() * opts.jitterMs)
    timers.add(timer)
  })
  front.on('error', () => undefined)
  await new Promise<void>((resolve, reject) => {
    front.once('error', reject)
    front.bind(opts.listen.port, opts.listen.address, () => {
      front.off('error', reject)
      resolve()
    })
  })
  return {
    stats,
    setImpairment: (on) => void (impaired = on),
    setBlackhole: (on) => void (blackhole = on),
    close: async () => {
      closed = true
      for (const t of timers) clearTimeout(t)
      timers.clear()
      await Promise.all([front, ...upstreams.values()].map((s) => new Promise<void>((r) => s.close(() => r()))))
      upstreams.clear()
    }
  }
}

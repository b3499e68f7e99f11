import { createServer } from 'node:net'
import { createSocket } from 'node:dgram'

/** A port free for both TCP and UDP on `ip` right now (mediasoup's WebRtcServer listens on both). */
export async function findFreeRtcPort(ip: string, attempts = 20): Promise<number> {
  for (let i = 0; i < attempts; i++) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = createServer()
      srv.once('error', reject)
      srv.listen(0, ip, () => {
        const address = srv.address()
        srv.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
      })
    })
    const udpFree = await new Promise<boolean>((resolve) => {
      const sock = createSocket(ip.includes(':') ? 'udp6' : 'udp4')
      sock.once('error', () => resolve(false))
      sock.bind(port, ip, () => sock.close(() => resolve(true)))
    })
    if (udpFree) return port
  }
  throw new Error(`could not find a free TCP+UDP port on ${ip}`)
}

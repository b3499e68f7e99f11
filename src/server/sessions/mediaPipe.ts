import type { types as ms } from 'mediasoup'
import { z } from 'zod'

/**
 * Scaling a session beyond one worker or one host by piping its mic producer into another router:
 *  - cross-worker (same process): `pipeProducerToRouter` — mediasoup's router.pipeToRouter, which creates and
 *    connects a PipeTransport pair between the two routers (on two workers) and a pipe producer on the target;
 *  - cross-host (two processes, possibly two machines): a PipeTransport in each process, connected to each other's
 *    address (`PipeEndpoint`), then `exportProducer` on the side that has the producer (a pipe consumer) and
 *    `importProducer` on the other (a pipe producer with the same id and RTP parameters). The two sides exchange only
 *    the small JSON objects below, over whatever control channel connects the hosts.
 * The target side then consumes the piped producer like a local one (e.g. with a DirectTransport to decode it).
 */
export const pipeAddressSchema = z.object({ ip: z.string().min(1).max(64), port: z.number().int().min(1).max(65535), srtp: z.unknown().optional() })
export type PipeAddress = z.infer<typeof pipeAddressSchema>

export const exportedProducerSchema = z.object({
  producerId: z.string().min(1).max(64),
  kind: z.enum(['audio', 'video']),
  rtpParameters: z.looseObject({ codecs: z.array(z.unknown()).min(1) }),
  paused: z.boolean()
})
export type ExportedProducer = z.infer<typeof exportedProducerSchema>

/** Same process, two workers: the producer becomes available on `target` under the same id. */
export async function pipeProducerToRouter(source: ms.Router, producerId: string, target: ms.Router): Promise<ms.Producer> {
  const { pipeProducer } = await source.pipeToRouter({ producerId, router: target })
  if (!pipeProducer) throw new Error(`pipeToRouter gave no pipe producer for ${producerId}`)
  return pipeProducer
}

/** One end of a host-to-host pipe. `address` goes to the other side, which passes it to `connect`. */
export class PipeEndpoint {
  private constructor(readonly transport: ms.PipeTransport, readonly address: PipeAddress) {}

  /** `listenIp`: the address to bind; `announcedIp`: what the other host should send to (defaults to listenIp). */
  static async create(router: ms.Router, opts: { listenIp: string; announcedIp?: string; enableSrtp?: boolean }): Promise<PipeEndpoint> {
    const transport = await router.createPipeTransport({
      listenIp: { ip: opts.listenIp, announcedIp: opts.announcedIp },
      enableSrtp: opts.enableSrtp ?? false,
      appData: { role: 'host-pipe' }
    })
    const t = transport.tuple
    return new PipeEndpoint(transport, { ip: t.localIp, port: t.localPort, ...(transport.srtpParameters ? { srtp: transport.srtpParameters } : {}) })
  }

  async connect(remote: PipeAddress): Promise<void> {
    const checked = pipeAddressSchema.parse(remote)
    await this.transport.connect({ ip: checked.ip, port: checked.port, srtpParameters: checked.srtp as ms.SrtpParameters | undefined })
  }

  /** Sending side: a pipe consumer of a local producer; the result goes to the other host's importProducer. */
  async exportProducer(producerId: string): Promise<ExportedProducer> {
    const consumer = await this.transport.consume({ producerId })
    return { producerId, kind: consumer.kind, rtpParameters: consumer.rtpParameters as ExportedProducer['rtpParameters'], paused: consumer.producerPaused }
  }

  /** Receiving side: the remote producer, now local to this router under the same id. */
  async importProducer(exported: ExportedProducer): Promise<ms.Producer> {
    const e = exportedProducerSchema.parse(exported)
    return this.transport.produce({ id: e.producerId, kind: e.kind, rtpParameters: e.rtpParameters as unknown as ms.RtpParameters, paused: e.paused })
  }

  close(): void {
    this.transport.close()
  }
}

/**
 * The "other host" for the cross-host pipe test (test/unit/server/mediaPipe.test.ts), run as a child process: its own
 * mediasoup worker and router, a PipeEndpoint, and a DirectTransport tap that decodes whatever producer is piped in.
 * IPC in:  {type:'connect', address, exported}  {type:'report'}
 * IPC out: {type:'ready', address}  {type:'connected'}  {type:'report', frames, concealed, rms}  {type:'error', message}
 */
import { AudioReceiver } from '../../src/server/audio/audioReceiver'
import { ensureWorkerBinEnv } from '../../src/node/mediasoupWorkerBinary'
import { PipeEndpoint, type ExportedProducer, type PipeAddress } from '../../src/server/sessions/mediaPipe'
import { SESSION_MEDIA_CODECS } from '../../src/server/sessions/session'

ensureWorkerBinEnv()
const mediasoup = await import('mediasoup')
const worker = await mediasoup.createWorker({ logLevel: 'warn' })
const router = await worker.createRouter({ mediaCodecs: SESSION_MEDIA_CODECS })
const endpoint = await PipeEndpoint.create(router, { listenIp: '127.0.0.1' })
const direct = await router.createDirectTransport()
let frames = 0
let concealed = 0
let sumSquares = 0
let samples = 0
const receiver = new AudioReceiver((f) => {
  frames++
  if (f.concealed) concealed++
  for (const x of f.pcm) sumSquares += x * x
  samples += f.pcm.length
})

process.on('message', (msg: { type: string; address?: PipeAddress; exported?: ExportedProducer }) => {
  void (async () => {
    if (msg.type === 'connect') {
      await endpoint.connect(msg.address!)
      const producer = await endpoint.importProducer(msg.exported!)
      const tap = await direct.consume({ producerId: producer.id, rtpCapabilities: router.rtpCapabilities })
      tap.on('rtp', (rtp: Buffer) => receiver.push(rtp, performance.now()))
      process.send!({ type: 'connected' })
    } else if (msg.type === 'report') {
      receiver.poll(performance.now() + 1000)
      process.send!({ type: 'report', frames, concealed, rms: samples ? Math.sqrt(sumSquares / samples) / 32768 : 0 })
    }
  })().catch((error: unknown) => process.send!({ type: 'error', message: String(error) }))
})
process.on('disconnect', () => {
  worker.close()
  process.exit(0)
})
process.send!({ type: 'ready', address: endpoint.address })

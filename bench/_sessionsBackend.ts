/**
 * Backend under test for `npm run bench -- sessions`, run as a child process (fork, IPC) so its CPU is its own:
 * the real backend (startBackend: 1 mediasoup worker, one WebRtcServer port, DirectTransport tap → Opus decode →
 * pipeline) plus a tap on every session that samples decode lag: for every 5th decoded frame, the epoch time at which
 * the decoded frame reached the pipeline, with its RTP timestamp (the load client maps timestamps to send times).
 *
 * IPC in:  {type:'stats'}  {type:'reset'}  {type:'close'}
 * IPC out: {type:'ready', signalingUrl, nodePid, workerPid, rtcPort}  {type:'stats', sessions:[...]}
 */
import { startBackend } from '../src/server/backend'
import type { SessionPipelineName } from '../src/shared/contract/signaling'
import { createPinoLogger } from '../src/node/logging/pinoLogger'

const pipeline = (process.env.BENCH_PIPELINE ?? 'click') as SessionPipelineName
const backend = await startBackend(
  { listenIp: '127.0.0.1', announcedIp: null, rtcPort: 0, signalingPort: 0, workers: 1, logLevel: 'warn', defaultPipeline: pipeline },
  // Every load session comes from one loopback address and joins as fast as it can: lift the fairness limits (they
  // would refuse the 21st session from one address) so the bench measures the media path, not the limiter.
  { sessions: { maxSessions: 5000 }, access: { limits: { sessionsPerPrincipal: 5000, sessionsPerAddress: 5000, connectionsPerAddress: 5000, joinBurst: 5000, joinsPerSecond: 1000 } }, logger: process.env.MEDIA_DEBUG ? createPinoLogger({ level: 'debug', name: 'backend' }) : undefined }
)

interface Sampled {
  lag: Array<[rtpTimestamp: number, epoch: number]>
  frames: number
}
const sampled = new Map<string, Sampled>()
const live = new Map<string, import('../src/server/sessions/session').Session>()
backend.sessions.onSessionCreated((s) => {
  const entry: Sampled = { lag: [], frames: 0 }
  sampled.set(s.id, entry)
  live.set(s.id, s)
  s.onClose(() => live.delete(s.id))
  s.taps.add({
    onFrame: (f) => {
      if (f.concealed || f.backfilled) return
      if (entry.frames++ % 5 === 0) entry.lag.push([f.rtpTimestamp, performance.timeOrigin + performance.now()])
    }
  })
})

process.on('message', (msg: { type: string }) => {
  if (msg.type === 'stats') {
    process.send!({
      type: 'stats',
      sessions: [...live.values()].map((s) => ({ sessionId: s.id, uplink: s.stats.uplink, replyFramesSent: s.stats.replyFramesSent, lag: sampled.get(s.id)?.lag ?? [] }))
    })
  } else if (msg.type === 'reset') {
    for (const e of sampled.values()) e.lag = []
    process.send!({ type: 'reset' })
  } else if (msg.type === 'close') {
    void backend.close().finally(() => process.exit(0))
  }
})
process.on('disconnect', () => void backend.close().finally(() => process.exit(0)))
process.send!({ type: 'ready', signalingUrl: backend.signalingUrl, nodePid: process.pid, workerPid: backend.workers[0]!.worker.pid, rtcPort: backend.workers[0]!.rtcPort })

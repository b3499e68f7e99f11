import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AudioFrame } from '../../src/server/audio/audioReceiver'
import { speechWav } from '../helpers/audioFixtures'
import { chromiumMissingReason } from '../helpers/chromium'
import { startLossyRelay, type LossyRelay } from '../helpers/lossyUdpRelay'
import { readWavMono16, recordUplinkFrames, startMediaRig, type MediaRig } from '../helpers/mediaHarness'
import { findReference, framesToTimeline } from '../helpers/mediaSignal'

const skip = chromiumMissingReason()

type Harness = {
  open(a: { signalingUrl: string; pipeline?: 'echo' | 'click'; source: 'mic' | 'clicks' }): Promise<string>
  state(): { phase: string; iceRestarts: number; signalingReconnects: number; sessionRebuilds: number; sendState: string } | null
}
declare const mediaHarness: Harness

/**
 * Uplink over a lossy network: the backend announces 127.0.0.2 as its ICE address, where a relay (test/helpers/
 * lossyUdpRelay.ts) listens on the worker's port and forwards to the real socket on 127.0.0.1, dropping 10 % of the
 * uplink datagrams at random and delaying the rest by 0–30 ms (so they also reorder). The sender's Opus has in-band
 * FEC on; on the first loss the server's AudioReceiver switches to OpusLossDecoder and rebuilds each lost frame from
 * the next packet's FEC (PLC for longer runs). The utterance must correlate ≥ 0.8 with the source (with silence in
 * place of lost frames it was ~0.81, marginal) and the session must not drop.
 */
describe.skipIf(skip)('media path under 10 % uplink loss + 30 ms jitter (lossy UDP relay on loopback)', () => {
  let rig: MediaRig
  let relay: LossyRelay
  let source: Float32Array
  let frames: Map<string, AudioFrame[]>

  beforeAll(async () => {
    const wav = speechWav('Please book a table for four people at seven tonight.', { padStartS: 0.4, padEndS: 1.0 })
    source = readWavMono16(wav).samples
    rig = await startMediaRig({ fakeMicWav: wav, announcedIp: '127.0.0.2' })
    const port = rig.backend.workers[0]!.rtcPort
    relay = await startLossyRelay({ listen: { address: '127.0.0.2', port }, target: { address: '127.0.0.1', port }, lossRate: 0.1, jitterMs: 30 })
    frames = recordUplinkFrames(rig.backend)
  })
  afterAll(async () => {
    await rig?.close()
    await relay?.close()
  })

  it('the utterance arrives intelligible (correlation ≥ 0.8) and the session stays up', async () => {
    const sessionId = await rig.page.evaluate((url) => mediaHarness.open({ signalingUrl: url, pipeline: 'echo', source: 'mic' }), rig.backend.signalingUrl)
    const loopMs = (source.length / 48_000) * 1000
    await new Promise((r) => setTimeout(r, loopMs * 2.5))
    const session = frames.get(sessionId) ?? []
    expect(session.length).toBeGreaterThan((loopMs * 2) / 20)
    const timeline = framesToTimeline(session.slice(10))
    const up = findReference(source, timeline)
    const concealed = session.filter((f) => f.concealed).length
    const fec = session.filter((f) => f.recovery === 'fec').length
    const state = await rig.page.evaluate(() => mediaHarness.state())
    const s = rig.backend.sessions
    console.log(
      `loss: relay dropped ${relay.stats.uplinkDropped}/${relay.stats.uplinkPackets} uplink datagrams; server frames ${session.length}, concealed ${concealed} (${fec} rebuilt from FEC); ` +
        `correlation ${up.correlation.toFixed(3)}; state ${JSON.stringify(state)}`
    )
    expect(relay.stats.uplinkDropped / relay.stats.uplinkPackets).toBeGreaterThan(0.06)
    expect(concealed).toBeGreaterThan(0)
    expect(fec).toBeGreaterThan(concealed / 2)
    expect(up.correlation).toBeGreaterThanOrEqual(0.8)
    expect(state!.phase).toBe('connected')
    expect(state!.sessionRebuilds).toBe(0)
    expect(s.size).toBe(1)
  })
})

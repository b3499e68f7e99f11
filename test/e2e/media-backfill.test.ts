import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AudioFrame } from '../../src/server/audio/audioReceiver'
import type { Session } from '../../src/server/sessions/session'
import { speechWav } from '../helpers/audioFixtures'
import { chromiumMissingReason } from '../helpers/chromium'
import { startLossyRelay, type LossyRelay } from '../helpers/lossyUdpRelay'
import { readWavMono16, startMediaRig, type MediaRig } from '../helpers/mediaHarness'
import { findReference, framesToTimeline } from '../helpers/mediaSignal'

const skip = chromiumMissingReason()

type Harness = {
  open(a: { signalingUrl: string; pipeline?: 'echo' | 'click'; source: 'mic' | 'clicks' }): Promise<string>
  state(): { phase: string; iceRestarts: number; backfilledFrames: number; backfillAvailable: boolean; sessionRebuilds: number } | null
  notes(): Array<{ type: string; detail?: Record<string, number> }>
}
declare const mediaHarness: Harness

/**
 * Audio captured while the link is down is delivered after it comes back. The media goes through a relay on
 * 127.0.0.2 (the backend announces that address); mid-utterance the relay drops everything, both ways, for 3 s (the
 * signaling socket is unaffected, as when only UDP is cut). The renderer keeps its encoded mic frames (WebRTC encoded
 * transform → MicFrameRing); when RTP resumes the server sees the timestamp jump, holds the live audio, notifies
 * `uplinkGap`, the client sends the missed frames with `backfillAudio`, and the pipeline gets everything in order:
 * the echo of the cut utterance is as long as the next, undisturbed one.
 */
describe.skipIf(skip)('link outage: audio captured while the link is down is delivered after it comes back', () => {
  let rig: MediaRig
  let relay: LossyRelay
  let source: Float32Array
  const sessions = new Map<string, { session: Session; frames: AudioFrame[] }>()

  beforeAll(async () => {
    const wav = speechWav('I would like to hear the weather forecast for tomorrow morning please.', { padStartS: 0.4, padEndS: 1.2 })
    source = readWavMono16(wav).samples
    rig = await startMediaRig({ fakeMicWav: wav, announcedIp: '127.0.0.2' })
    const port = rig.backend.workers[0]!.rtcPort
    relay = await startLossyRelay({ listen: { address: '127.0.0.2', port }, target: { address: '127.0.0.1', port }, lossRate: 0, jitterMs: 0 })
    relay.setImpairment(false)
    rig.backend.sessions.onSessionCreated((session) => {
      const frames: AudioFrame[] = []
      sessions.set(session.id, { session, frames })
      session.taps.add({ onFrame: (f) => frames.push(f) })
    })
  })
  afterAll(async () => {
    await rig?.close()
    await relay?.close()
  })

  it('a 3 s outage mid-utterance loses nothing: the echoed utterance is complete and in order', async () => {
    const sessionId = await rig.page.evaluate((url) => mediaHarness.open({ signalingUrl: url, pipeline: 'echo', source: 'mic' }), rig.backend.signalingUrl)
    expect((await rig.page.evaluate(() => mediaHarness.state()))!.backfillAvailable).toBe(true)
    await rig.page.waitForFunction(() => mediaHarness.notes().filter((n) => n.type === 'utteranceEnd').length >= 1, undefined, { timeout: 20_000 })
    await rig.page.waitForFunction(() => mediaHarness.notes().filter((n) => n.type === 'utteranceStart').length >= 2, undefined, { timeout: 20_000 })
    await new Promise((r) => setTimeout(r, 600))
    relay.setBlackhole(true)
    await new Promise((r) => setTimeout(r, 3000))
    relay.setBlackhole(false)
    // The cut utterance (2nd) against the next, undisturbed one (3rd): the 1st may have started mid-sentence.
    await rig.page.waitForFunction(() => mediaHarness.notes().filter((n) => n.type === 'utteranceEnd').length >= 3, undefined, { timeout: 30_000 })
    const { session, frames } = sessions.get(sessionId)!
    const notes = await rig.page.evaluate(() => mediaHarness.notes())
    const ends = notes.filter((n) => n.type === 'utteranceEnd')
    const gap = notes.find((n) => n.type === 'uplinkGap')
    const state = await rig.page.evaluate(() => mediaHarness.state())
    const stats = session.stats.backfill
    // In order on the pipeline's timeline: RTP timestamps only ever advance by one frame, except at pauses.
    let backwards = 0
    for (let i = 1; i < frames.length; i++) if (((frames[i]!.rtpTimestamp - frames[i - 1]!.rtpTimestamp) | 0) <= 0) backwards++
    console.log(
      `backfill: gap ${JSON.stringify(gap?.detail)}; server ${JSON.stringify(stats)}; client ${JSON.stringify(state)}; ` +
        `utterance frames: first ${ends[0]!.detail!.frames}, cut ${ends[1]!.detail!.frames}, next (undisturbed) ${ends[2]!.detail!.frames}; relay blackholed ${relay.stats.blackholed}`
    )
    // The audio across the outage is the source itself: one loop of the fake mic found in the server's timeline
    // around the gap (the loop is ~4.5 s, the gap 3 s, so every match overlaps the backfilled part).
    const g = frames.findIndex((f) => f.rtpTimestamp === gap!.detail!.fromRtpTimestamp)
    const around = framesToTimeline(frames.slice(Math.max(0, g - 120), g + 300))
    const match = findReference(source, around)
    console.log(`source loop found across the outage: correlation ${match.correlation.toFixed(3)} at ${(match.lag / 48).toFixed(0)} ms (gap at ${(Math.min(120, g) * 20).toFixed(0)} ms)`)
    expect(gap?.detail?.frames).toBeGreaterThan(100)
    expect(stats.backfilled).toBeGreaterThanOrEqual(gap!.detail!.frames! - 2)
    expect(state!.backfilledFrames).toBeGreaterThanOrEqual(gap!.detail!.frames! - 2)
    expect(backwards).toBe(0)
    expect(match.correlation).toBeGreaterThanOrEqual(0.9)
    expect(Math.abs(ends[1]!.detail!.frames! - ends[2]!.detail!.frames!)).toBeLessThanOrEqual(3)
    expect(state!.phase).toBe('connected')
    expect(state!.sessionRebuilds).toBe(0)
  })
})

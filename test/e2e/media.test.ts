import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AudioFrame } from '../../src/server/audio/audioReceiver'
import { speechWav } from '../helpers/audioFixtures'
import { chromiumMissingReason } from '../helpers/chromium'
import { readWavMono16, recordUplinkFrames, startMediaRig, type MediaRig } from '../helpers/mediaHarness'
import { decimate, findReference, framesToTimeline } from '../helpers/mediaSignal'

const skip = chromiumMissingReason()

type Harness = {
  open(a: { signalingUrl: string; pipeline?: 'echo' | 'click'; source: 'mic' | 'clicks' }): Promise<string>
  state(): { phase: string; iceRestarts: number; signalingReconnects: number; sendState: string } | null
  recordReply(ms: number): Promise<number[]>
  notes(): Array<{ type: string }>
  restartIce(): Promise<void>
  dropSignaling(): void
  close(): void
}
declare const mediaHarness: Harness

describe.skipIf(skip)('media path: Chromium (mediasoup-client) → mediasoup → DirectTransport → decode → pipeline → reply', () => {
  let rig: MediaRig
  let wav: string
  let source: Float32Array
  let frames: Map<string, AudioFrame[]>

  beforeAll(async () => {
    wav = speechWav('The quick brown fox jumps over the lazy dog near the river bank.', { padStartS: 0.4, padEndS: 1.0 })
    source = readWavMono16(wav).samples
    rig = await startMediaRig({ fakeMicWav: wav })
    frames = recordUplinkFrames(rig.backend)
  })
  afterAll(async () => {
    await rig?.close()
  })

  it('uplink: server-decoded PCM matches the fake-mic WAV (processing off), no loss; echo reply is heard in the page', async () => {
    const sessionId = await rig.page.evaluate((url) => mediaHarness.open({ signalingUrl: url, pipeline: 'echo', source: 'mic' }).catch((e: { message: string; issues?: string[] }) => { throw new Error(`${e.message}: ${e.issues?.join("; ")}`) }), rig.backend.signalingUrl)
    // The fake device loops the file: record the reply across more than two loops.
    const loopMs = (source.length / 48_000) * 1000
    const reply = await rig.page.evaluate((ms) => mediaHarness.recordReply(ms), Math.round(loopMs * 2.5))
    const session = [...frames.keys()].includes(sessionId) ? frames.get(sessionId)! : []
    expect(session.length).toBeGreaterThan((loopMs * 2) / 20)
    // Uplink: skip the first 200 ms (start-up), then find one full loop of the source in what the server decoded.
    const timeline = framesToTimeline(session.slice(10))
    const up = findReference(source, timeline)
    console.log(`uplink correlation ${up.correlation.toFixed(3)} at lag ${up.lag}; frames ${session.length}, concealed ${session.filter((f) => f.concealed).length}`)
    expect(up.correlation).toBeGreaterThanOrEqual(0.9)
    expect(session.filter((f) => f.concealed)).toHaveLength(0)
    // Reply: the echo pipeline played each utterance back. Chromium's jitter buffer may stretch playback a little
    // (which breaks a single whole-sentence correlation), so match the speech in 0.5 s pieces.
    const speech = source.subarray(Math.round(0.4 * 48_000), source.length - Math.round(1.0 * 48_000))
    const recording = Float32Array.from(reply)
    const pieces: number[] = []
    for (let off = 0; off + 0.5 <= speech.length / 48_000; off += 0.5) {
      const seg = decimate(speech.subarray(Math.round(off * 48_000), Math.round((off + 0.5) * 48_000)), 3)
      pieces.push(findReference(seg, recording).correlation)
    }
    pieces.sort((a, b) => a - b)
    const median = pieces[Math.floor(pieces.length / 2)]!
    console.log(`reply: ${pieces.length} half-second pieces of the speech found in the page's recording, correlation min ${pieces[0]!.toFixed(3)} median ${median.toFixed(3)}`)
    const notes = await rig.page.evaluate(() => mediaHarness.notes())
    expect(notes.some((n) => n.type === 'replyStart')).toBe(true)
    expect(median).toBeGreaterThanOrEqual(0.75)
  })
  it('resilience: signaling dropped mid-utterance plus a forced ICE restart → same session resumes, utterance complete', async () => {
    await rig.page.evaluate(() => mediaHarness.close())
    await rig.page.reload()
    await rig.page.waitForFunction(() => 'mediaHarness' in window)
    const sessionId = await rig.page.evaluate((url) => mediaHarness.open({ signalingUrl: url, pipeline: 'echo', source: 'mic' }), rig.backend.signalingUrl)
    // Let one whole utterance go by (so the next one starts from its beginning), then cut in the middle of the next.
    await rig.page.waitForFunction(() => mediaHarness.notes().filter((n) => n.type === 'utteranceEnd').length >= 1, undefined, { timeout: 15_000 })
    await rig.page.waitForFunction(() => mediaHarness.notes().filter((n) => n.type === 'utteranceStart').length >= 2, undefined, { timeout: 15_000 })
    await new Promise((r) => setTimeout(r, 800))
    const session = frames.get(sessionId)!
    const before = session.length
    await rig.page.evaluate(() => {
      mediaHarness.dropSignaling()
      // Forced ICE restart while signaling is down: it runs as soon as the session is resumed.
      void mediaHarness.restartIce()
    })
    await rig.page.waitForFunction(() => (mediaHarness.state()?.signalingReconnects ?? 0) >= 1 && mediaHarness.state()?.phase === 'connected', undefined, { timeout: 15_000 })
    await rig.page.waitForFunction(() => (mediaHarness.state()?.iceRestarts ?? 0) >= 2, undefined, { timeout: 15_000 })
    // The echo pipeline ends the utterance we cut into and plays it back: it must be as long as the undisturbed one.
    await rig.page.waitForFunction(() => mediaHarness.notes().filter((n) => n.type === 'utteranceEnd').length >= 2, undefined, { timeout: 15_000 })
    const state = await rig.page.evaluate(() => mediaHarness.state())
    const ends = (await rig.page.evaluate(() => mediaHarness.notes())).filter((n) => n.type === 'utteranceEnd') as Array<{ detail?: { frames?: number } }>
    const [first, second] = [ends[0]!.detail!.frames!, ends[1]!.detail!.frames!]
    const after = session.slice(before)
    console.log(`resilience: state ${JSON.stringify(state)}; utterance frames undisturbed ${first}, cut ${second}; frames since cut ${after.length}, concealed ${after.filter((f) => f.concealed).length}`)
    expect(state!.phase).toBe('connected')
    expect(Math.abs(second - first)).toBeLessThanOrEqual(3)
    expect(after.filter((f) => f.concealed).length).toBeLessThanOrEqual(2)
    expect(rig.backend.sessions.size).toBe(1)
  })
})

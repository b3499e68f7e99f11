import { numberOption, parseCli, parseOrExit } from '../src/node/cli'
import { pct, round } from './_proc'
import { createClickPipeline } from '../src/server/pipelines/click'
import { startMediaRig } from '../test/helpers/mediaHarness'

/**
 * rtt: click round trip renderer → server → renderer through the real reply path (Opus decode, `click` pipeline,
 * Opus encode, 20 ms paced sender started when the first frame is ready), measured in the page from the moment a
 * click is played into the mic track to the moment it is heard in the reply stream. Beside it, in the same run and
 * page, the floor: the same click through two RTCPeerConnections connected directly. Goal: p50 ≤ floor p50 + 8 ms.
 *
 * Method — both paths are measured on a steady stream. The floor's sender is fed continuously (a near-silent bed
 * under the clicks), so its receiver's jitter buffer (NetEq) has settled at its target delay when a click arrives.
 * The plain `click` pipeline sends reply RTP only for the click, so each reply reached Chromium as a new talkspurt,
 * played from an empty jitter buffer — which is why the session looked faster than the floor (−18.7 ms "added").
 * (Gating the floor's source instead does not work: a MediaStreamDestination without an active source stalls the
 * track, and the floor's timing drifted to ~1 s.) So this bench runs the session's `click` pipeline with
 * `steadyReply`: one reply frame (silence, or the click at an onset) per uplink frame, through the same decode →
 * encode → paced-sender path, making the reply a steady stream like the floor's. Both ends of each measurement use
 * one AudioContext clock; the ScriptProcessor's buffering is a constant shared by both.
 * Usage: npm run bench -- rtt [--clicks N]
 */
const clicks = parseOrExit('bench rtt', () =>
  numberOption('--clicks', parseCli(process.argv.slice(2), { options: { clicks: { type: 'string' } } }).values.clicks, 20, { min: 1, integer: true })
)

type H = {
  open(a: { signalingUrl: string; pipeline?: string; source: string }): Promise<string>
  clickRoundTrips(count: number, gapMs: number): Promise<number[]>
  floorRoundTrips(count: number, gapMs: number): Promise<number[]>
}
declare const mediaHarness: H

const rig = await startMediaRig({ sessions: { pipelines: { click: (ctx) => createClickPipeline(ctx, { steadyReply: true }) } } })
try {
  // Floor first, in a page with nothing else running; then the session in the same page.
  const floor = await rig.page.evaluate((n) => mediaHarness.floorRoundTrips(n, 350), clicks)
  await rig.page.evaluate((url) => mediaHarness.open({ signalingUrl: url, pipeline: 'click', source: 'clicks' }), rig.backend.signalingUrl)
  await new Promise((r) => setTimeout(r, 800))
  const session = await rig.page.evaluate((n) => mediaHarness.clickRoundTrips(n, 350), clicks)
  console.log(`session click round trips (ms): ${session.map((x) => x.toFixed(0)).join(' ')}`)
  console.log(`floor (two peer connections in the page) (ms): ${floor.map((x) => x.toFixed(0)).join(' ')}`)
  const s50 = pct(session, 50)
  const f50 = pct(floor, 50)
  console.log(
    JSON.stringify({
      bench: 'rtt',
      session_ms: { p50: round(s50), p95: round(pct(session, 95)), n: session.length, of: clicks },
      floor_ms: { p50: round(f50), p95: round(pct(floor, 95)), n: floor.length, of: clicks },
      added_over_floor_p50_ms: round(s50 - f50),
      method: 'steady streams in both paths (click pipeline with steadyReply)',
      goal_added_p50_ms: 8
    })
  )
} finally {
  await rig.close()
}

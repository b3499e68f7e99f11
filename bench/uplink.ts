import { numberOption, parseCli, parseOrExit } from '../src/node/cli'
import { pct, round } from './_proc'
import { startMediaRig } from '../test/helpers/mediaHarness'
import { measureRealKeyDown } from './_realKey'

/**
 * uplink: how fast the user's first audio reaches the server.
 *  - push-to-talk press: the mic producer is resumed on an already connected, warm send transport; time from the
 *    press (in the page) to the first RTP packet at the server's DirectTransport tap. Goal ≤ 20 ms p50.
 *  - cold join: from requesting a new send transport to the first RTP at the server (ICE + DTLS + produce). Goal ≤ 35 ms p50.
 *  - cold-join floor, measured in the same run and page after each cold join: two RTCPeerConnections in the page (one
 *    sends an Opus track from the same kind of WebAudio source, the other receives), from the sender's createOffer to
 *    the first frame at the receiver. What this browser needs for any new WebRTC audio path, server or not; the
 *    report says cold join = floor + X. (The page gets media permission from a fake device only so that host
 *    candidates are plain loopback-routed addresses, not mDNS names that would need multicast to resolve.)
 *  - real key-down: the push-to-talk chord pressed on a private X server (Xvfb + xdotool), heard by uiohook-napi
 *    through the app's push-to-talk adapter, which resumes the mic: from the X server's timestamp of the key-down to
 *    the first RTP at the server (bench/_realKey.ts). Goal ≤ 25 ms p50. Null, with the reason, without Xvfb/xdotool.
 * Backend in this process (1 worker, loopback), renderer media module in headless Chromium, mic = WebAudio source.
 * Usage: npm run bench -- uplink [--presses N] [--joins N]
 */
const { presses, joins } = parseOrExit('bench uplink', () => {
  const { values } = parseCli(process.argv.slice(2), { options: { presses: { type: 'string' }, joins: { type: 'string' } } })
  return {
    presses: numberOption('--presses', values.presses, 20, { min: 0, integer: true }),
    joins: numberOption('--joins', values.joins, 8, { min: 0, integer: true })
  }
})

type H = {
  open(a: { signalingUrl: string; pipeline?: string; source: string; startPaused?: boolean }): Promise<string>
  talk(on: boolean): Promise<number>
  marks(): Record<string, number>
  close(): void
  coldJoinFloor(): Promise<{ firstRtpMs: number; connectedMs: number | null }>
}
declare const mediaHarness: H

const rig = await startMediaRig({ extraArgs: ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream'] })
const firstRtp = new Map<string, number[]>()
rig.backend.sessions.onSessionCreated((s) => {
  const list: number[] = []
  firstRtp.set(s.id, list)
  s.taps.add({ onFirstRtp: (at) => list.push(at.epoch) })
})
const waitFor = async (f: () => number | undefined, ms = 5000): Promise<number> => {
  const end = Date.now() + ms
  for (;;) {
    const v = f()
    if (v !== undefined) return v
    if (Date.now() > end) throw new Error('timed out waiting for first RTP at the server')
    await new Promise((r) => setTimeout(r, 2))
  }
}

try {
  // Cold joins.
  const cold: number[] = []
  const fromJoin: number[] = []
  const coldAfterConnected: number[] = []
  const floor: number[] = []
  const floorAfterConnected: number[] = []
  const breakdown: Record<string, number[]> = {}
  for (let i = 0; i < joins; i++) {
    await rig.page.reload()
    await rig.page.waitForFunction(() => 'mediaHarness' in window)
    const id = await rig.page.evaluate((url) => mediaHarness.open({ signalingUrl: url, pipeline: 'echo', source: 'clicks' }), rig.backend.signalingUrl)
    const rtpAt = await waitFor(() => firstRtp.get(id)?.[0])
    const marks = await rig.page.evaluate(() => mediaHarness.marks())
    const t0 = marks.sendTransportRequested!
    cold.push(rtpAt - t0)
    const steps = Object.entries(marks).filter(([, at]) => at >= t0).map(([name, at]) => [name, at - t0] as [string, number])
    steps.push(['firstRtpAtServer', rtpAt - t0])
    steps.sort((a, b) => a[1] - b[1])
    for (const [name, at] of steps) (breakdown[name] ??= []).push(at)
    fromJoin.push(rtpAt - marks.joinRequested!)
    if (marks.sendConnected !== undefined) coldAfterConnected.push(rtpAt - marks.sendConnected)
    console.log(`cold join ${i + 1}/${joins}: send transport requested → first RTP at server ${cold.at(-1)!.toFixed(1)} ms (${steps.map(([n, at]) => `${n} ${at.toFixed(1)}`).join(', ')})`)
    await rig.page.evaluate(() => mediaHarness.close())
    // The floor in the same page, after the join (WebRTC is warm in both: the join's Device.load precedes its t0).
    await new Promise((r) => setTimeout(r, 50))
    const f = await rig.page.evaluate(() => mediaHarness.coldJoinFloor())
    floor.push(f.firstRtpMs)
    if (f.connectedMs !== null) floorAfterConnected.push(f.firstRtpMs - f.connectedMs)
    console.log(`  floor (two peer connections in the page): createOffer → first frame at the receiver ${f.firstRtpMs.toFixed(1)} ms (connected ${f.connectedMs?.toFixed(1) ?? '-'})`)
  }
  // Push-to-talk presses on one warm session.
  await rig.page.reload()
  await rig.page.waitForFunction(() => 'mediaHarness' in window)
  const id = await rig.page.evaluate((url) => mediaHarness.open({ signalingUrl: url, pipeline: 'echo', source: 'clicks', startPaused: true }), rig.backend.signalingUrl)
  await new Promise((r) => setTimeout(r, 1000)) // transport connected and warm before the first press
  const list = firstRtp.get(id)!
  list.length = 0
  const ptt: number[] = []
  for (let i = 0; i < presses; i++) {
    const before = list.length
    const pressAt = await rig.page.evaluate(() => mediaHarness.talk(true))
    const rtpAt = await waitFor(() => (list.length > before ? list[before] : undefined))
    ptt.push(rtpAt - pressAt)
    await new Promise((r) => setTimeout(r, 150))
    await rig.page.evaluate(() => mediaHarness.talk(false))
    await new Promise((r) => setTimeout(r, 150 + Math.random() * 40))
  }
  console.log(`push-to-talk press → first RTP at server: ${ptt.map((x) => x.toFixed(1)).join(' ')} ms`)
  // The same warm session, pressed by a real key.
  await rig.page.evaluate(() => mediaHarness.talk(false))
  await new Promise((r) => setTimeout(r, 300))
  const realKey = await measureRealKeyDown({
    presses,
    talk: async (on) => void (await rig.page.evaluate((o) => mediaHarness.talk(o), on)),
    nextFirstRtp: () => {
      const before = list.length
      return waitFor(() => (list.length > before ? list[before] : undefined))
    }
  })
  if (realKey.ok) {
    console.log(`real key-down (X server time) → first RTP at server: ${realKey.keyDownToFirstRtp.map((x) => x.toFixed(1)).join(' ')} ms`)
    console.log(`  of which key event → key hook callback: p50 ${pct(realKey.keyEventToHook, 50).toFixed(1)} ms`)
  } else console.log(`real key-down → first RTP: not measured (${realKey.reason})`)
  const keyDownFigure = realKey.ok
    ? { p50: round(pct(realKey.keyDownToFirstRtp, 50)), p95: round(pct(realKey.keyDownToFirstRtp, 95)), n: realKey.keyDownToFirstRtp.length, goal_p50: 25, key_event_to_hook_p50: round(pct(realKey.keyEventToHook, 50)) }
    : { p50: null, p95: null, n: 0, goal_p50: 25, reason: realKey.reason }
  console.log(`cold join steps, p50 ms after the send transport was requested: ${Object.entries(breakdown).map(([n, v]) => [n, pct(v, 50)] as const).sort((a, b) => a[1] - b[1]).map(([n, v]) => `${n} ${v.toFixed(1)}`).join(', ')}`)
  const stats = (v: number[]) => ({ p50: round(pct(v, 50)), p95: round(pct(v, 95)), n: v.length })
  console.log(`cold join p50 ${pct(cold, 50).toFixed(1)} ms = floor p50 ${pct(floor, 50).toFixed(1)} ms + ${(pct(cold, 50) - pct(floor, 50)).toFixed(1)} ms`)
  console.log(`after 'connected' in the page, first RTP: cold join p50 ${pct(coldAfterConnected, 50).toFixed(1)} ms, floor p50 ${pct(floorAfterConnected, 50).toFixed(1)} ms (on the wire the first RTP leaves 20-25 ms after the DTLS handshake ends: Chromium starts sending audio once the transport is writable, and the first packet carries 20 ms)`)
  console.log(
    JSON.stringify({
      bench: 'uplink',
      ptt_press_to_first_rtp_ms: { p50: round(pct(ptt, 50)), p95: round(pct(ptt, 95)), n: ptt.length, goal_p50: 20 },
      key_down_to_first_rtp_ms: keyDownFigure,
      cold_join_to_first_rtp_ms: { p50: round(pct(cold, 50)), p95: round(pct(cold, 95)), n: cold.length, goal_p50: 35 },
      cold_join_floor_ms: stats(floor),
      cold_join_added_over_floor_p50_ms: round(pct(cold, 50) - pct(floor, 50)),
      cold_join_connected_to_first_rtp_ms: stats(coldAfterConnected),
      cold_join_floor_connected_to_first_rtp_ms: stats(floorAfterConnected),
      join_to_first_rtp_ms: stats(fromJoin)
    })
  )
} finally {
  await rig.close()
}

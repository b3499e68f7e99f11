import { percentile, round } from './_proc'
import { startMediaRig } from '../test/helpers/mediaHarness'

/**
 * uplink: how fast the user's first audio reaches the server.
 *  - push-to-talk press: the mic producer is resumed on an already connected, warm send transport; time from the
 *    press (in the page) to the first RTP packet at the server's DirectTransport tap. Goal ≤ 20 ms p50.
 *  - cold join: from requesting a new send transport to the first RTP at the server (ICE + DTLS + produce). Goal ≤ 35 ms p50.
 * Backend in this process (1 worker, loopback), renderer media module in headless Chromium, mic = WebAudio source.
 * Usage: npm run bench -- uplink [--presses N] [--joins N]
 */
const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(name)
  return i > 0 ? Number(process.argv[i + 1]) : dflt
}
const presses = arg('--presses', 20)
const joins = arg('--joins', 8)

type H = {
  open(a: { signalingUrl: string; pipeline?: string; source: string; startPaused?: boolean }): Promise<string>
  talk(on: boolean): Promise<number>
  marks(): Record<string, number>
  close(): void
}
declare const mediaHarness: H

const rig = await startMediaRig()
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
    console.log(`cold join ${i + 1}/${joins}: send transport requested → first RTP at server ${cold.at(-1)!.toFixed(1)} ms (${steps.map(([n, at]) => `${n} ${at.toFixed(1)}`).join(', ')})`)
    await rig.page.evaluate(() => mediaHarness.close())
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
  console.log(`cold join steps, p50 ms after the send transport was requested: ${Object.entries(breakdown).map(([n, v]) => [n, percentile(v, 50)] as const).sort((a, b) => a[1] - b[1]).map(([n, v]) => `${n} ${v.toFixed(1)}`).join(', ')}`)
  console.log(
    JSON.stringify({
      bench: 'uplink',
      ptt_press_to_first_rtp_ms: { p50: round(percentile(ptt, 50)), p95: round(percentile(ptt, 95)), n: ptt.length, goal_p50: 20 },
      cold_join_to_first_rtp_ms: { p50: round(percentile(cold, 50)), p95: round(percentile(cold, 95)), n: cold.length, goal_p50: 35 }
    })
  )
} finally {
  await rig.close()
}

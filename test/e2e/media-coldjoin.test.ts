import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Session } from '../../src/server/sessions/session'
import { chromiumMissingReason } from '../helpers/chromium'
import { startMediaRig, type MediaRig } from '../helpers/mediaHarness'

const skip = chromiumMissingReason()

type Harness = {
  open(a: { signalingUrl: string; pipeline?: 'echo' | 'click'; source: 'mic' | 'clicks' }): Promise<string>
  state(): { phase: string; backfillAvailable: boolean } | null
  marks(): Record<string, number>
  logs(): string[]
  close(): void
}
declare const mediaHarness: Harness

const PRODUCE_ANSWER_DELAY_MS = 400
const WORKER_TAP_LOG = 'mic frames tapped in a worker (RTCRtpScriptTransform)'

/**
 * Cold join: the mic's first RTP does not wait for the answer to `produce`. The renderer taps the mic's encoded
 * frames (for backfill after outages, in a worker); with an encoded transform the sender puts no frame on the wire
 * until the tap forwards it, so the tap is set up when the RTCRtpSender is created, not after `produce` is answered.
 * Here the server makes the producer and its tap as usual but answers `produce` 400 ms late: audio must reach the
 * server's tap long before the client hears that answer. The send transport the client gets is the one prepared at
 * join.
 */
describe.skipIf(skip)('cold join: first RTP at the server does not wait for the produce answer', () => {
  let rig: MediaRig
  const produce = Object.getOwnPropertyDescriptor(Session.prototype, 'produce')!
  beforeAll(async () => {
    Object.defineProperty(Session.prototype, 'produce', {
      ...produce,
      value: async function (this: Session, ...args: Parameters<Session['produce']>) {
        const producer = await (produce.value as Session['produce']).apply(this, args)
        await new Promise((r) => setTimeout(r, PRODUCE_ANSWER_DELAY_MS))
        return producer
      }
    })
    rig = await startMediaRig()
  })
  afterAll(async () => {
    Object.defineProperty(Session.prototype, 'produce', produce)
    await rig?.close()
  })

  const firstRtp = new Map<string, number>()
  const preparedIds = new Map<string, string>()
  const sessions = new Map<string, Session>()
  let observing = false
  const observe = (): void => {
    if (observing) return
    observing = true
    rig.backend.sessions.onSessionCreated((s) => {
      sessions.set(s.id, s)
      s.taps.add({ onFirstRtp: (at) => void (firstRtp.has(s.id) || firstRtp.set(s.id, at.epoch)) })
      // The session's DirectTransport exists already; the next transport is the send transport prepared at join.
      s.router.observer.once('newtransport', (t) => preparedIds.set(s.id, t.id))
    })
  }

  const coldJoin = async (page: Page): Promise<string[]> => {
    observe()
    const sessionId = await page.evaluate((url) => mediaHarness.open({ signalingUrl: url, pipeline: 'echo', source: 'clicks' }), rig.backend.signalingUrl)
    const marks = await page.evaluate(() => mediaHarness.marks())
    expect((await page.evaluate(() => mediaHarness.state()))!.backfillAvailable).toBe(true)
    const rtpAt = firstRtp.get(sessionId)
    expect(rtpAt, 'no RTP reached the tap before open() resolved').toBeDefined()
    // Page and server clocks are both epoch-based and agree to a few ms; the margin here is hundreds of ms.
    const ahead = marks.produceAnswered! - rtpAt!
    console.log(`first RTP at the tap ${(rtpAt! - marks.sendTransportRequested!).toFixed(1)} ms after the send transport was requested, ${ahead.toFixed(1)} ms before the produce answer reached the page`)
    expect(ahead).toBeGreaterThan(PRODUCE_ANSWER_DELAY_MS / 2)
    expect(sessions.get(sessionId)!.transports.get(preparedIds.get(sessionId)!)?.direction).toBe('send')
    const logs = await page.evaluate(() => mediaHarness.logs())
    await page.evaluate(() => mediaHarness.close())
    return logs
  }

  it('the tap (in a worker) sees the first packet before the client gets the produce answer', async () => {
    expect(await coldJoin(rig.page)).toContain(WORKER_TAP_LOG)
  })

  it('so does the main-thread tap where RTCRtpScriptTransform is missing (older Chromium)', async () => {
    const page = await rig.browser.newPage()
    try {
      await page.addInitScript({ content: 'delete window.RTCRtpScriptTransform' })
      await page.goto(rig.pageUrl)
      await page.waitForFunction(() => 'mediaHarness' in window)
      expect(await coldJoin(page)).not.toContain(WORKER_TAP_LOG)
    } finally {
      await page.close()
    }
  })
})

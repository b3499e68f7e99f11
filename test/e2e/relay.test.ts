import { randomBytes } from 'node:crypto'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AudioFrame } from '../../src/server/audio/audioReceiver'
import { startBackend, type RunningBackend } from '../../src/server/backend'
import { RelayRegistrar } from '../../src/server/relay/registrar'
import type { Session } from '../../src/server/sessions/session'
import { speechWav } from '../helpers/audioFixtures'
import { chromiumMissingReason, launchChromium } from '../helpers/chromium'
import { buildMediaHarness, serveDir } from '../helpers/mediaHarness'
import { killRelay, spawnRelay, type RelayProcess } from '../helpers/relay-process'
import { createPinoLogger } from '../../src/node/logging/pinoLogger'

const skip = chromiumMissingReason()
type Harness = {
  open(a: { signalingUrl: string; pipeline?: 'echo' | 'click'; source: 'mic' | 'clicks' }): Promise<string>
  state(): { phase: string; iceRestarts: number; signalingReconnects: number; sendState: string; recvState: string } | null
  recordReply(ms: number): Promise<number[]>
}
declare const mediaHarness: Harness
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe.skipIf(skip)('edge relay e2e: Chromium → one relay UDP port → 2 mediasoup workers; relay kill -9 + restart mid-call', () => {
  const token = randomBytes(24).toString('base64url')
  let relay: RelayProcess
  let backend: RunningBackend
  let browser: Browser
  let site: { url: string; close(): Promise<void> }
  let observer: RelayRegistrar
  const pages: Page[] = []
  const frames = new Map<string, AudioFrame[]>()
  const sessions = new Map<string, Session>()

  beforeAll(async () => {
    const wav = speechWav('One relay port for every worker. The session keeps talking while the relay restarts underneath it.', { padStartS: 0.2, padEndS: 0.3 })
    relay = await spawnRelay({ token, args: ['--listen', '127.0.0.1', '--port', '0', '--control', '127.0.0.1:0'] })
    backend = await startBackend(
      { listenIp: '127.0.0.1', announcedIp: null, rtcPort: 0, signalingPort: 0, workers: 2, logLevel: 'warn' },
      { relay: { controlUrl: relay.controlUrl, token, backendId: 'e2e-backend' }, logger: process.env.MEDIA_DEBUG ? createPinoLogger({ level: 'debug', name: 'backend' }) : undefined }
    )
    backend.sessions.onSessionCreated((s) => {
      const list: AudioFrame[] = []
      frames.set(s.id, list)
      sessions.set(s.id, s)
      s.taps.add({ onFrame: (f) => list.push(f) })
    })
    site = await serveDir(await buildMediaHarness())
    browser = await launchChromium({ fakeMicWav: wav })
    observer = new RelayRegistrar({ controlUrl: relay.controlUrl, token, backendId: 'e2e-observer', backoff: { baseMs: 50, maxMs: 300, jitter: 0 } })
    observer.start()
    await observer.ready(5000)
  })
  afterAll(async () => {
    observer?.close()
    await browser?.close().catch(() => undefined)
    await backend?.close()
    await site?.close()
    if (relay) await killRelay(relay)
  })

  it('two sessions land on two workers, both reached only through the relay port; a relay restart does not renegotiate', async () => {
    const sessionIds: string[] = []
    for (let i = 0; i < 2; i++) {
      const page = await browser.newPage()
      pages.push(page)
      await page.goto(site.url)
      await page.waitForFunction(() => 'mediaHarness' in window)
      sessionIds.push(await page.evaluate((url) => mediaHarness.open({ signalingUrl: url, pipeline: 'echo', source: 'mic' }), backend.signalingUrl))
    }
    expect(backend.sessions.sessionsPerWorker).toEqual([1, 1])
    await sleep(1500)
    const stats = await observer.request('stats', {})
    console.log(`relay after setup: ${JSON.stringify(stats)}`)
    expect(stats.routes).toBe(4) // send + recv transport per session
    expect(stats.flows).toBeGreaterThanOrEqual(4)
    expect(stats.packetsIn).toBeGreaterThan(100)
    expect(stats.packetsOut).toBeGreaterThan(10)
    for (const id of sessionIds) expect(frames.get(id)!.length).toBeGreaterThan(40)

    // Kill the relay mid-utterance and start a new one on the same ports.
    const port = relay.publicUdp.port
    const controlPort = new URL(relay.controlUrl).port
    const killedAt = performance.now()
    await killRelay(relay)
    relay = await spawnRelay({ token, args: ['--listen', '127.0.0.1', '--port', String(port), '--control', `127.0.0.1:${controlPort}`] })
    const restartedMs = performance.now() - killedAt
    // Wait for media to flow again on both sessions (frames arriving after the kill).
    const recovered = new Map<string, number>()
    const deadline = performance.now() + 20_000
    while (recovered.size < 2 && performance.now() < deadline) {
      for (const id of sessionIds) {
        if (recovered.has(id)) continue
        const after = frames.get(id)!.filter((f) => f.receivedAt > killedAt + restartedMs && !f.concealed)
        if (after.length >= 5) recovered.set(id, after[0]!.receivedAt - killedAt)
      }
      await sleep(50)
    }
    await sleep(2000)
    const states = await Promise.all(pages.map((p) => p.evaluate(() => mediaHarness.state())))
    const after = await observer.request('stats', {})
    const loss = sessionIds.map((id) => sessions.get(id)!.stats.uplink)
    console.log(`relay restart: new relay up after ${restartedMs.toFixed(0)} ms; media back after ${[...recovered.values()].map((v) => v.toFixed(0)).join(', ')} ms; states ${JSON.stringify(states)}; uplink loss ${JSON.stringify(loss)}; relay ${JSON.stringify(after)}`)
    expect(recovered.size).toBe(2)
    for (const gap of recovered.values()) expect(gap).toBeLessThanOrEqual(8000)
    expect(after.routes).toBe(4) // re-registered by the backend, not renegotiated by the client
    for (const s of states) {
      expect(s!.phase).toBe('connected')
      expect(s!.signalingReconnects).toBe(0)
    }
    expect(loss.every((l) => l.lostSeq + l.concealed > 0)).toBe(true) // the gap is reported as loss
  })
})

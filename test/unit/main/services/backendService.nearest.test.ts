import { afterEach, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { BackendService } from '../../../../src/main/services/backendService'
import type { BackendRanking } from '../../../../src/shared/contract/api'
import type { WebSocketLike } from '../../../../src/shared/signalingClient'
import { startSignalingStub } from '../../../helpers/fakeBackend'
import { startDelayProxy } from '../../../helpers/relay-delayProxy'

const wsFactory = (url: string): WebSocketLike => new WebSocket(url) as unknown as WebSocketLike
const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

/** A signaling stub, optionally behind a delaying TCP proxy (RTT + 2 × delayMs). */
async function backendAt(delayMs: number): Promise<{ url: string; kill(): Promise<void> }> {
  const stub = await startSignalingStub()
  if (delayMs === 0) {
    cleanups.push(stub.close)
    return { url: stub.url, kill: stub.close }
  }
  const port = Number(new URL(stub.url).port)
  const proxy = await startDelayProxy({ targetHost: '127.0.0.1', targetPort: port, delayMs })
  cleanups.push(stub.close, proxy.close)
  return {
    url: `ws://127.0.0.1:${proxy.port}/signaling`,
    kill: async () => {
      await stub.close()
      proxy.cut()
    }
  }
}

function remoteService(remoteUrls: string[], healthIntervalMs = 100) {
  const rankings: BackendRanking[] = []
  const notices: string[] = []
  const service = new BackendService({
    command: { command: 'unused', args: [] },
    backendSettings: () => ({ mode: 'remote', remoteUrl: null, remoteUrls }),
    wsFactory,
    healthIntervalMs,
    selector: { pingsPerProbe: 3, pingTimeoutMs: 1000 }
  })
  service.events.on('ranking', (r) => rankings.push(r))
  service.events.on('notice', (n) => notices.push(n.message))
  cleanups.push(() => service.stop())
  return { service, rankings, notices }
}

describe('BackendService with several remote backends', () => {
  it('a delaying proxy adds its delay to the signaling round trip', async () => {
    const direct = await backendAt(0)
    const delayed = await backendAt(20)
    const t0 = performance.now()
    const ws = new WebSocket(delayed.url)
    await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)))
    expect(performance.now() - t0).toBeGreaterThanOrEqual(39) // TCP handshake is not delayed; the HTTP upgrade is
    ws.close()
    expect(direct.url).not.toBe(delayed.url)
  })

  it('joins the nearest reachable backend, shows the ranking, and fails over to the next when it is lost', async () => {
    const far = await backendAt(40)
    const near = await backendAt(5)
    const dead = 'ws://127.0.0.1:1/signaling'
    const { service, rankings, notices } = remoteService([far.url, dead, near.url])
    const status = await service.start()
    expect(status).toMatchObject({ state: 'ready', kind: 'remote', signalingUrl: near.url })
    const ranking = service.ranking
    expect(ranking.inUse).toBe(near.url)
    expect(ranking.backends.map((b) => b.url)).toEqual([near.url, far.url, dead])
    expect(ranking.backends[0]!.rttMs!).toBeGreaterThanOrEqual(9)
    expect(ranking.backends[1]!.rttMs!).toBeGreaterThan(ranking.backends[0]!.rttMs! + 40)
    expect(ranking.backends[2]).toMatchObject({ reachable: false, rttMs: null })
    expect(ranking.lastFailover).toBeNull()
    expect(rankings.length).toBeGreaterThan(0)

    await near.kill()
    await expect.poll(() => service.status.signalingUrl, { timeout: 5000 }).toBe(far.url)
    await expect.poll(() => service.status.state, { timeout: 5000 }).toBe('ready')
    expect(service.status.detail).toContain(`failed over from ${near.url}`)
    expect(service.ranking).toMatchObject({ inUse: far.url, lastFailover: { from: near.url, to: far.url } })
    expect(notices.some((n) => n.includes(`switched to ${far.url}`))).toBe(true)
    // The re-probe after the failover marks the lost one unreachable.
    await expect.poll(() => service.ranking.backends.find((b) => b.url === near.url), { timeout: 5000 }).toMatchObject({ reachable: false, rttMs: null })
    expect(service.ranking.backends.map((b) => b.url)).toEqual([far.url, dead, near.url]) // unreachable ones keep the configured order

    await service.stop()
    expect(service.ranking).toEqual({ backends: [], inUse: null, lastFailover: null, probedAt: null })
  })

  it('says which backends failed when none answers', async () => {
    const { service } = remoteService(['ws://127.0.0.1:1/signaling', 'ws://127.0.0.1:2/signaling'])
    const status = await service.start()
    expect(status.state).toBe('error')
    expect(status.detail).toMatch(/None of the 2 backends answered/)
    expect(service.ranking.backends.every((b) => !b.reachable)).toBe(true)
    expect(service.ranking.inUse).toBeNull()
  })

  it('a backend that stops answering pings (socket still open) counts as lost', async () => {
    const other = await backendAt(30)
    const stub = await startSignalingStub()
    cleanups.push(stub.close)
    const path = await startDelayProxy({ targetHost: '127.0.0.1', targetPort: Number(new URL(stub.url).port), delayMs: 0 })
    cleanups.push(path.close)
    const hangingUrl = `ws://127.0.0.1:${path.port}/signaling`
    const { service } = remoteService([other.url, hangingUrl], 60)
    expect((await service.start()).signalingUrl).toBe(hangingUrl)
    path.stall()
    await expect.poll(() => `${service.status.state} ${service.status.signalingUrl}`, { timeout: 5000 }).toBe(`ready ${other.url}`)
    expect(service.ranking.lastFailover).toMatchObject({ from: hangingUrl, to: other.url, reason: '2 health pings unanswered' })
  })
})

describe('settings: several backend URLs', () => {
  it('a file with one remote URL gets it as the list; candidates are remoteUrl then the list, without duplicates', async () => {
    const { migrateSettings, backendCandidateUrls, defaultSettings, settingsPatchSchema, applySettingsPatch } = await import('../../../../src/shared/contract/settings')
    const v1 = { ...defaultSettings(), backend: { mode: 'remote', remoteUrl: 'wss://a.example/signaling' } }
    const migrated = migrateSettings(v1)
    expect(migrated.ok && migrated.settings.backend).toEqual({ mode: 'remote', remoteUrl: 'wss://a.example/signaling', remoteUrls: ['wss://a.example/signaling'] })
    const kept = migrateSettings({ ...defaultSettings(), backend: { mode: 'remote', remoteUrl: null, remoteUrls: ['ws://b:1/signaling'] } })
    expect(kept.ok && kept.settings.backend.remoteUrls).toEqual(['ws://b:1/signaling'])
    const bad = migrateSettings({ ...defaultSettings(), backend: { mode: 'remote', remoteUrl: null, remoteUrls: ['http://nope'] } })
    expect(bad.ok && bad.notices).toEqual(['backend.remoteUrls had an invalid value and was reset to its default'])
    expect(backendCandidateUrls({ mode: 'remote', remoteUrl: 'ws://a/s', remoteUrls: ['ws://b/s', 'ws://a/s', 'ws://c/s'] })).toEqual(['ws://a/s', 'ws://b/s', 'ws://c/s'])
    expect(backendCandidateUrls({ mode: 'remote', remoteUrl: null, remoteUrls: [] })).toEqual([])
    expect(settingsPatchSchema.safeParse({ backend: { remoteUrls: ['ws://x/s', 'https://y'] } }).success).toBe(false)
    expect(settingsPatchSchema.safeParse({ backend: { remoteUrls: Array.from({ length: 9 }, (_, i) => `ws://h${i}/s`) } }).success).toBe(false)
    expect(applySettingsPatch(defaultSettings(), { backend: { remoteUrls: ['ws://x/s'] } }).backend.remoteUrls).toEqual(['ws://x/s'])
  })
})

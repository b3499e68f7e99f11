import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { chromium, type Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { speechWav } from '../helpers/audioFixtures'
import { BASE_CHROMIUM_ARGS, CHROMIUM_PATH, chromiumMissingReason } from '../helpers/chromium'
import { buildMediaHarness } from '../helpers/mediaHarness'
import { createTopology, netemUnavailableReason, netnsUnavailableReason, type NetnsTopology } from '../helpers/relay-netns'
import { killRelay, spawnRelay, type RelayProcess } from '../helpers/relay-process'
import { issueAccessToken, makeSecret } from '../../src/server/auth/accessToken'
import { TOKEN_SECRET_ENV } from '../../src/server/config'

const repo = join(import.meta.dirname, '..', '..')
const skip = netnsUnavailableReason() ?? chromiumMissingReason()
const noNetem = skip ? 'namespaces unavailable' : netemUnavailableReason()
if (skip) console.warn(`netns relay test skipped: ${skip}`)
else if (noNetem) console.warn(`netns nearest-backend (RTT) test skipped: ${noNetem}`)
type Harness = {
  open(a: { signalingUrl: string; pipeline?: 'echo' | 'click'; source: 'mic' | 'clicks' }): Promise<string>
  state(): { phase: string; iceRestarts: number } | null
  recordReply(ms: number): Promise<number[]>
  notes(): Array<{ type: string; detail?: Record<string, unknown> }>
}
declare const mediaHarness: Harness
/** Shortest echo reply worth measuring (20 ms frames): the first utterance may be cut by the session coming up mid-sentence. */
const MIN_REPLY_FRAMES = 50
const DELAY = { b1: 2, b2: 25 }
/** One-way delay added by the userspace proxy in front of each backend's signaling port (works without netem). */
const PROXY_DELAY = { b1: 2, b2: 40 }

async function spawnReady(cmd: string[], env: Record<string, string>): Promise<{ proc: ChildProcess; ready: Record<string, unknown> }> {
  const proc = spawn(cmd[0]!, cmd.slice(1), { cwd: repo, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  const logs: string[] = []
  createInterface({ input: proc.stderr! }).on('line', (l) => logs.push(l))
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: proc.stdout! }).once('line', resolve)
    proc.once('exit', (c) => reject(new Error(`${cmd.join(' ')} exited ${c}: ${logs.join('\n')}`)))
  })
  return { proc, ready: JSON.parse(line) as Record<string, unknown> }
}

describe.skipIf(skip)('multi-host: client, relay and two backends in separate network namespaces', () => {
  const token = randomBytes(24).toString('base64url')
  /** The backends listen beyond loopback, so they need operator tokens; the harness page's origin is allowed. */
  const tokenSecret = makeSecret()
  const accessToken = issueAccessToken(tokenSecret, { sub: 'netns-test', ttlMs: 3_600_000 })
  let topo: NetnsTopology
  let relay: RelayProcess
  const procs: ChildProcess[] = []
  let browser: Browser
  let pageUrl: string
  const signaling: Record<'b1' | 'b2', string> = { b1: '', b2: '' }
  /** The same signaling servers through a userspace delay proxy in each backend namespace (PROXY_DELAY ms each way). */
  const delayed: Record<'b1' | 'b2', string> = { b1: '', b2: '' }

  beforeAll(async () => {
    topo = createTopology(noNetem ? null : DELAY)
    relay = await spawnRelay({
      token,
      prefix: ['ip', 'netns', 'exec', topo.ns.relay],
      args: ['--listen', topo.ip.relayPublic, '--port', '3478', '--announced-ip', topo.ip.relayPublic, '--upstream-ip', '0.0.0.0', '--control', '0.0.0.0:7010'],
      env: { RELAY_STATS_EVERY_MS: '1000' }
    })
    for (const b of ['b1', 'b2'] as const) {
      const { proc, ready } = await spawnReady(
        ['ip', 'netns', 'exec', topo.ns[b], process.execPath, '--import', 'tsx', join(repo, 'src/server/main.ts'), '--listen', topo.ip[b], '--workers', '1', '--signaling-port', '8080', '--allow-origin', 'http://127.0.0.1:8000'],
        { VOICE_RELAY_CONTROL_URL: `ws://${b === 'b1' ? topo.ip.relayToB1 : topo.ip.relayToB2}:7010/relay-control`, VOICE_RELAY_TOKEN: token, VOICE_RELAY_BACKEND_ID: b, [TOKEN_SECRET_ENV]: tokenSecret }
      )
      procs.push(proc)
      expect(ready.event).toBe('ready')
      signaling[b] = `${String(ready.signalingUrl)}?token=${accessToken}`
      // Without netem the link delay is added in userspace, on the backend host, in front of its signaling port.
      const { proc: delayProxy } = await spawnReady(
        ['ip', 'netns', 'exec', topo.ns[b], process.execPath, '--import', 'tsx', join(repo, 'test/helpers/relay-delayProxy.ts'), '--listen', `${topo.ip[b]}:8081`, '--target', `${topo.ip[b]}:8080`, '--delay-ms', String(PROXY_DELAY[b])],
        {}
      )
      procs.push(delayProxy)
      delayed[b] = signaling[b].replace(':8080/', ':8081/')
    }
    // The harness page, served inside the client namespace (loopback there is a secure context).
    const dir = await buildMediaHarness()
    const { proc: site } = await spawnReady(
      ['ip', 'netns', 'exec', topo.ns.client, process.execPath, '-e', `const h=require('http'),f=require('fs'),p=require('path');const s=h.createServer((q,r)=>{const u=decodeURIComponent(q.url.split('?')[0]);const x=p.join(${JSON.stringify(dir)},u==='/'?'index.html':p.normalize(u));if(!x.startsWith(${JSON.stringify(dir)})||!f.existsSync(x)){r.writeHead(404).end();return}r.writeHead(200,{'content-type':x.endsWith('.js')?'text/javascript':'text/html'}).end(f.readFileSync(x))});s.listen(8000,'127.0.0.1',()=>console.log('{"event":"ready"}'))`],
      {}
    )
    procs.push(site)
    pageUrl = 'http://127.0.0.1:8000/'
    const wrapperDir = mkdtempSync(join(tmpdir(), 'va-netns-'))
    const wrapper = join(wrapperDir, 'chromium-in-ns.sh')
    writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec ${topo.ns.client} ${CHROMIUM_PATH} "$@"\n`)
    chmodSync(wrapper, 0o755)
    const wav = speechWav('Packets cross three hosts through one relay port and come back again.', { padStartS: 0.2, padEndS: 0.3 })
    browser = await chromium.launch({
      executablePath: wrapper,
      headless: true,
      args: [...BASE_CHROMIUM_ARGS, '--use-fake-device-for-media-stream', `--use-file-for-fake-audio-capture=${wav}`, '--use-fake-ui-for-media-stream']
    })
  })
  afterAll(async () => {
    await browser?.close().catch(() => undefined)
    for (const p of procs) p.kill('SIGTERM')
    if (relay) await killRelay(relay, 'SIGTERM')
    await new Promise((r) => setTimeout(r, 300))
    for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL')
    topo?.teardown()
  })

  it.skipIf(noNetem)('nearest backend: the client measures signaling RTT to both and picks the closer one', () => {
    const script = `import { BackendSelector } from ${JSON.stringify(join(repo, 'src/main/services/backendSelector.ts'))}
const s = new BackendSelector({ urls: ${JSON.stringify([signaling.b2, signaling.b1])}, probeEveryMs: 0, pingsPerProbe: 5 })
console.log(JSON.stringify(await s.probe()))`
    const r = spawnSync('ip', ['netns', 'exec', topo.ns.client, process.execPath, '--import', 'tsx', '--input-type=module', '-e', script], { cwd: repo, encoding: 'utf8' })
    const selection = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { current: string; ranked: Array<{ url: string; rttMs: number }> }
    console.log(`selection from the client namespace: ${JSON.stringify(selection.ranked)}`)
    expect(selection.current).toBe(signaling.b1)
    expect(selection.ranked[1]!.rttMs - selection.ranked[0]!.rttMs).toBeGreaterThan(2 * (DELAY.b2 - DELAY.b1) * 0.7)
  })

  it('nearest backend without netem: the app (BackendService) in the client namespace joins the closer host through per-host delay proxies', () => {
    const script = `import WebSocket from 'ws'
import { BackendService } from ${JSON.stringify(join(repo, 'src/main/services/backendService.ts'))}
const s = new BackendService({ command: { command: 'unused', args: [] }, backendSettings: () => ({ mode: 'remote', remoteUrl: null, remoteUrls: ${JSON.stringify([delayed.b2, delayed.b1])} }), wsFactory: (u) => new WebSocket(u), selector: { pingsPerProbe: 5 } })
const status = await s.start()
console.log(JSON.stringify({ status, ranking: s.ranking }))
await s.stop()`
    const r = spawnSync('ip', ['netns', 'exec', topo.ns.client, process.execPath, '--import', 'tsx', '--input-type=module', '-e', script], { cwd: repo, encoding: 'utf8', timeout: 30_000 })
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { status: { state: string; signalingUrl: string }; ranking: { inUse: string; backends: Array<{ url: string; rttMs: number }> } }
    console.log(`app choice from the client namespace: ${JSON.stringify(out.ranking.backends)}`)
    expect(out.status).toMatchObject({ state: 'ready', signalingUrl: delayed.b1 })
    expect(out.ranking.inUse).toBe(delayed.b1)
    expect(out.ranking.backends.map((b) => b.url)).toEqual([delayed.b1, delayed.b2])
    expect(out.ranking.backends[1]!.rttMs - out.ranking.backends[0]!.rttMs).toBeGreaterThan(2 * (PROXY_DELAY.b2 - PROXY_DELAY.b1) * 0.7)
  })

  it('cross-host forwarding: a session on each backend host, media both ways through the relay namespace', async () => {
    for (const b of ['b1', 'b2'] as const) {
      const page = await browser.newPage()
      await page.goto(pageUrl)
      await page.waitForFunction(() => 'mediaHarness' in window)
      await page.evaluate((url) => mediaHarness.open({ signalingUrl: url, pipeline: 'echo', source: 'mic' }), signaling[b])
      // The echo pipeline replies only after an utterance ends, and the fake mic loops the WAV (~4.5 s) from
      // getUserMedia on, so when the reply plays depends on how long open() took, not on a fixed window after it.
      // Wait for the server to start replying to at least a second of speech, then record that reply.
      const replyFrames = await page
        .waitForFunction((min) => mediaHarness.notes().find((n) => n.type === 'replyStart' && Number(n.detail?.frames) >= min)?.detail?.frames, MIN_REPLY_FRAMES, { timeout: 20_000 })
        .then((h) => h.jsonValue() as Promise<number>)
      const reply = await page.evaluate((ms) => mediaHarness.recordReply(ms), replyFrames * 20)
      const rms = Math.sqrt(reply.reduce((a, x) => a + x * x, 0) / Math.max(1, reply.length))
      const state = await page.evaluate(() => mediaHarness.state())
      console.log(`${b}: echo reply (${replyFrames} frames) rms ${rms.toFixed(4)} over ${reply.length} samples; state ${JSON.stringify(state)}`)
      expect(state!.phase).toBe('connected')
      expect(rms).toBeGreaterThan(0.005)
    }
    const stats = relay.logs.filter((l) => l.includes('"msg":"relay stats"')).at(-1)
    console.log(`relay: ${stats}`)
    const parsed = (JSON.parse(stats!) as { stats: { routes: number; flows: number; packetsOut: number } }).stats
    expect(parsed.routes).toBe(4)
    expect(parsed.flows).toBeGreaterThanOrEqual(4)
    expect(parsed.packetsOut).toBeGreaterThan(100)
  })
})

import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fileKeyCipher } from '../../src/main/services/secretsStore'
import type { VoiceTurnsDebug } from '../../src/renderer/src/media/voiceTurns'
import { repoRoot, startBrowserApp, useStubProviders, type BrowserApp } from '../helpers/browserApp'
import { chromiumMissingReason } from '../helpers/chromium'
import { LEAD_MS, openListeningPage, voiceTurnsDebug } from '../helpers/spokenTurnPage'
import { startOpenAiStub, type OpenAiStub } from '../helpers/openaiStub'
import { parsePromText, promValue, type PromSample } from '../helpers/promText'
import { SpeechCorpus } from '../helpers/speech'

const missing = chromiumMissingReason()

interface Ready {
  event: 'ready'
  signalingUrl: string
  metricsUrl?: string
  pid: number
}

/** `npm run server` as an operator runs it (the entry under tsx), one worker, with the metrics on a free port. */
async function startStandaloneBackend(args: string[]): Promise<{ child: ChildProcess; ready: Ready; stderr: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'src', 'server', 'main.ts'), ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()))
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve)
    child.once('exit', (code) => reject(new Error(`the backend exited ${code}: ${stderr}`)))
  })
  const ready = JSON.parse(line) as Ready
  if (ready.event !== 'ready') throw new Error(`the backend did not start: ${line}\n${stderr}`)
  return { child, ready, stderr: () => stderr }
}

/** The local address a listening TCP port is bound to, from /proc/net/tcp (Linux): e.g. '0100007F' = 127.0.0.1. */
async function boundAddressesOf(port: number): Promise<string[]> {
  const table = await readFile('/proc/net/tcp', 'utf8').catch(() => '')
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0')
  return table
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f[1]?.endsWith(`:${hexPort}`) && f[3] === '0A') // 0A: LISTEN
    .map((f) => f[1]!.split(':')[0]!)
}

function refused(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port })
    socket.once('connect', () => {
      socket.destroy()
      resolve(false)
    })
    socket.once('error', () => resolve(true))
  })
}

/**
 * The operator's metrics, scraped while a real voice turn runs: a standalone backend (`--metrics-port 0`) that the app
 * in browser mode uses as its remote backend; Chromium's fake mic asks a question (espeak-ng), the stub answers
 * (STT and a streaming LLM over HTTP), espeak-ng speaks the reply. /metrics is read mid-turn and after it, parsed,
 * and its values checked: sessions open, packets in, the turn's LiveKit-named stages. The metrics port listens on
 * loopback only by default.
 */
describe.skipIf(missing)('server metrics during a voice turn (standalone backend + browser mode)', () => {
  let backend: Awaited<ReturnType<typeof startStandaloneBackend>>
  let app: BrowserApp
  let stub: OpenAiStub
  let corpus: SpeechCorpus
  let browser: Browser | null = null
  let page: Page
  let dir: string

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'va-metrics-'))
    corpus = await SpeechCorpus.create()
    stub = await startOpenAiStub()
    stub.transcription = { mode: { kind: 'ok' }, text: (ms) => (ms < 700 ? '' : 'what is twelve times seven') }
    // Two sentences at 40 ms a token: the turn runs long enough to be scraped mid-turn (see voiceLoop.test.ts; one short
    // sentence, answered 150 ms after a complete question, ran for a few ms only).
    stub.chat = { mode: { kind: 'ok' }, reply: 'Twelve times seven is eighty four. That is seven dozen.', ttftMs: 120, tokenDelayMs: 40 }
    backend = await startStandaloneBackend([
      '--workers', '1',
      '--metrics-port', '0',
      '--models-dir', join(dir, 'models'),
      // The app's page connects from browser mode's origin; its providers are the stub on loopback.
      '--allow-origin', 'http://127.0.0.1:*',
      '--client-providers', 'any'
    ])
    app = await startBrowserApp({ autoStartBackend: false, secretsCipher: await fileKeyCipher(join(dir, 'secrets.key')) })
    await useStubProviders(app, stub, { backend: { mode: 'remote', remoteUrl: backend.ready.signalingUrl, remoteUrls: [backend.ready.signalingUrl] } })
    await app.core.backend.start()
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    await app?.close()
    backend?.child.kill('SIGTERM')
    if (backend && backend.child.exitCode === null) await new Promise((r) => backend.child.once('exit', r))
    await stub?.close()
    await corpus?.dispose()
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  const scrape = async (): Promise<{ text: string; samples: PromSample[] }> => {
    const res = await fetch(backend.ready.metricsUrl!)
    expect(res.status).toBe(200)
    const text = await res.text()
    return { text, samples: parsePromText(text) }
  }
  const debug = (): Promise<VoiceTurnsDebug> => voiceTurnsDebug(page)

  it('the ready line names the metrics URL; the port listens on loopback only', async () => {
    expect(backend.ready.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/)
    const port = Number(new URL(backend.ready.metricsUrl!).port)
    expect(port).not.toBe(Number(new URL(backend.ready.signalingUrl).port))
    if (process.platform === 'linux') expect(await boundAddressesOf(port)).toEqual(['0100007F'])
    // Another loopback address of this machine reaches a socket bound to 0.0.0.0, not one bound to 127.0.0.1.
    expect(await refused('127.0.0.2', port)).toBe(true)
    expect(await refused('127.0.0.1', port)).toBe(false)
    const { samples } = await scrape()
    expect(promValue(samples, 'voice_assistant_sessions_open')).toBe(0)
    expect(promValue(samples, 'voice_assistant_process_cpu_seconds_total')).toBeGreaterThan(0)
  })

  it('mid-turn: a session open and mic packets counted; after the turn: its stages, in seconds', async () => {
    const clip = await corpus.clip({ leadMs: LEAD_MS, parts: [{ text: 'What is twelve times seven?', rate: 165 }], trailMs: 14_000 })
    ;({ browser, page } = await openListeningPage(app.server.url, await corpus.writeWav('metrics-question', clip.samples, { rate: 48_000 })))
    // During the turn: the overlay shows it running once the backend's first marks came back.
    await page.waitForSelector('.lo-status.s-running', { timeout: 40_000 })
    const during = await scrape()
    expect(promValue(during.samples, 'voice_assistant_sessions_open')).toBeGreaterThanOrEqual(1)
    expect(promValue(during.samples, 'voice_assistant_uplink_packets_total')).toBeGreaterThan(0)
    expect(promValue(during.samples, 'voice_assistant_server_vad_batch_frames_count')).toBeGreaterThan(0)
    // After: the reply was heard and the backend counted the finished turn.
    await expect.poll(async () => (await debug()).playouts.length, { timeout: 40_000, interval: 200 }).toBeGreaterThan(0)
    await expect.poll(async () => promValue((await scrape()).samples, 'voice_assistant_e2e_latency_seconds_count') ?? 0, { timeout: 20_000, interval: 250 }).toBeGreaterThanOrEqual(1)
    const after = await scrape()
    const v = (name: string, labels?: Record<string, string>): number => promValue(after.samples, name, labels) ?? NaN
    expect(v('voice_assistant_turns_total', { status: 'done' })).toBeGreaterThanOrEqual(1)
    for (const stage of ['end_of_utterance_delay', 'transcription_delay', 'llm_ttft', 'tts_ttfb', 'e2e_latency']) {
      expect(v(`voice_assistant_${stage}_seconds_count`), stage).toBeGreaterThanOrEqual(1)
      expect(v(`voice_assistant_${stage}_seconds_sum`), stage).toBeGreaterThanOrEqual(0)
    }
    // In seconds, not ms: the stub's first token comes after 120 ms, and a turn here is well under 10 s.
    const mean = (stage: string): number => v(`voice_assistant_${stage}_seconds_sum`) / v(`voice_assistant_${stage}_seconds_count`)
    expect(mean('llm_ttft')).toBeGreaterThan(0.1)
    expect(mean('e2e_latency')).toBeGreaterThan(mean('tts_ttfb'))
    expect(mean('e2e_latency')).toBeLessThan(10)
    expect(v('voice_assistant_uplink_packets_total')).toBeGreaterThan(promValue(during.samples, 'voice_assistant_uplink_packets_total')!)
    expect(v('voice_assistant_uplink_packets_lost_total')).toBeGreaterThanOrEqual(0)
    expect(v('voice_assistant_uplink_decode_seconds_total')).toBeGreaterThan(0)
    expect(v('voice_assistant_server_vad_batch_seconds_count')).toBeGreaterThan(0)
    // No session ids, tokens or words in a metric.
    expect(after.text).not.toContain('twelve')
    expect(after.text).not.toContain(stub.apiKey)
    const interesting = (text: string): string =>
      text
        .split('\n')
        .filter((l) => /^voice_assistant_(sessions|uplink|server_vad_batch_\w+_(sum|count)|stt_\w+_(sum|count)|turns|provider|(end_of_utterance_delay|transcription_delay|llm_ttft|tts_ttfb|e2e_latency)_seconds_(sum|count))/.test(l))
        .join('\n')
    console.log(`metrics scrape mid-turn:\n${interesting(during.text)}\n\nmetrics scrape after the turn:\n${interesting(after.text)}`)
  }, 150_000)

  it('a provider failover is counted by stage: a wrong LLM key falls over to the embedded skills', async () => {
    const before = promValue((await scrape()).samples, 'voice_assistant_provider_failovers_total', { stage: 'llm', outcome: 'next' }) ?? 0
    await app.core.secrets.set('llm.apiKey', 'sk-wrong')
    await browser?.close()
    const clip = await corpus.clip({ leadMs: LEAD_MS, parts: [{ text: 'What is twelve times seven?', rate: 165 }], trailMs: 14_000 })
    ;({ browser, page } = await openListeningPage(app.server.url, await corpus.writeWav('metrics-failover', clip.samples, { rate: 48_000 })))
    await expect.poll(async () => promValue((await scrape()).samples, 'voice_assistant_provider_failovers_total', { stage: 'llm', outcome: 'next' }) ?? 0, { timeout: 45_000, interval: 500 }).toBe(before + 1)
    await expect.poll(async () => promValue((await scrape()).samples, 'voice_assistant_turns_total', { status: 'done' }) ?? 0, { timeout: 30_000, interval: 500 }).toBeGreaterThanOrEqual(2)
    const { samples } = await scrape()
    expect(promValue(samples, 'voice_assistant_provider_failovers_total', { stage: 'stt' })).toBeUndefined()
    expect(promValue(samples, 'voice_assistant_sessions_created_total')).toBeGreaterThanOrEqual(2)
  }, 150_000)
})

import { mkdirSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TurnMark, TurnTrace } from '../../src/shared/latency/trace'
import { startBrowserApp, repoRoot, type BrowserApp } from '../helpers/browserApp'
import { chromiumMissingReason, launchChromium } from '../helpers/chromium'

const missing = chromiumMissingReason()
const shots = join(repoRoot, 'test-results', 'screenshots')

/** The backend's clock in this synthetic trace runs 3.2 s ahead; the trace carries the measured offset back. */
const BACKEND_SKEW = 3200

/**
 * A synthetic turn: stage durations (ms) in pipeline order, laid out from `start`. It is made in the main process,
 * so the client-side moments are stamped on the main clock here (the overlay moves them by the ping-measured
 * offset, like every main-clock mark) and the backend's on a skewed backend clock.
 */
function trace(
  turnId: string,
  start: number,
  d: { mic: number; uplink: number; eou: number; turn?: number; stt: number; ttft: number; sentence: number; tts: number; down: number },
  upTo?: TurnMark['name']
): TurnTrace {
  const marks: TurnMark[] = []
  let t = start
  const add = (name: TurnMark['name'], clock: TurnMark['clock'], after: number): boolean => {
    t += after
    marks.push({ name, clock, at: clock === 'backend' ? t + BACKEND_SKEW : t })
    return name === upTo
  }
  // Stops adding marks after `upTo` (a turn still in progress).
  void (
    add('speech_end_mic', 'main', 0) ||
    add('uplink_sent', 'main', d.mic) ||
    add('uplink_arrival', 'backend', d.uplink) ||
    // With a turn decision: hearing the speech end (eou), then the policy's wait (turn) up to the commit.
    (d.turn !== undefined ? add('turn_wait_start', 'backend', d.eou) || add('end_of_utterance', 'backend', d.turn) : add('end_of_utterance', 'backend', d.eou)) ||
    add('transcript', 'backend', d.stt) ||
    add('llm_first_token', 'backend', d.ttft) ||
    add('first_sentence', 'backend', d.sentence) ||
    add('tts_first_audio', 'backend', d.tts) ||
    add('reply_sent', 'backend', 6) ||
    add('downlink_arrival', 'main', d.down / 3) ||
    add('playout', 'main', d.down - 6 - d.down / 3)
  )
  return {
    turnId,
    status: upTo && upTo !== 'playout' ? 'running' : 'done',
    marks,
    clockOffsets: { backend: -BACKEND_SKEW },
    transcript: 'What is twelve times seven?',
    reply: upTo && upTo !== 'playout' ? undefined : '12 times 7 is 84.',
    providers: { stt: 'OpenAI-compatible STT at 127.0.0.1', llm: 'Embedded skills (offline)', tts: 'espeak-ng (on this machine)' }
  }
}

describe.skipIf(missing)('latency overlay (browser mode)', () => {
  let app: BrowserApp
  let browser: Browser
  let page: Page

  beforeAll(async () => {
    mkdirSync(shots, { recursive: true })
    app = await startBrowserApp({ autoStartBackend: false })
    browser = await launchChromium()
    page = await browser.newPage({ viewport: { width: 1180, height: 900 }, acceptDownloads: true })
    await page.goto(app.server.url)
    await page.waitForSelector('.app[data-ready="true"]')
    await page.waitForSelector('[data-testid="latency-overlay"]')
    // Let the clock-offset ping burst finish so main-clock marks align.
    await page.waitForTimeout(1200)
  })

  afterAll(async () => {
    await browser?.close()
    await app?.close()
  })

  it('shows a running turn growing live, then the finished turn adding up, with session p50/p95', async () => {
    const base = Date.now() - 60_000
    // Eight finished turns for the session statistics.
    for (let i = 0; i < 8; i++) {
      app.core.events.emit(
        'turnTrace',
        trace(`t${i + 1}`, base + i * 5000, { mic: 12 + i, uplink: 20 + (i % 3) * 6, eou: 140 + i * 9, stt: 110 + (i % 4) * 25, ttft: 160 + i * 12, sentence: 40, tts: 60 + (i % 2) * 70, down: 70 + i * 4 })
      )
    }
    // The current turn: the LLM is running right now; the LLM provider failed over on this turn.
    const start = Date.now() - 380
    const running = trace('t9', start, { mic: 14, uplink: 24, eou: 150, stt: 130, ttft: 0, sentence: 0, tts: 0, down: 0 }, 'transcript')
    running.notes = ['LLM: OpenAI-compatible LLM at api.openai.com failed: HTTP 401 (check the API key) — using Embedded skills (offline)']
    app.core.events.emit('turnTrace', running)

    const llmRow = page.locator('[data-stage="llm"]')
    await expect.poll(async () => llmRow.getAttribute('class')).toContain('running')
    // Re-send the running turn anchored to now (the same turn's snapshot, as a live emitter would) and capture it
    // mid-LLM: the picture shows the turn ~0.5 s in, not however long the loaded CI machine took to get here.
    const fresh = trace('t9', Date.now() - 450, { mic: 14, uplink: 24, eou: 150, stt: 130, ttft: 0, sentence: 0, tts: 0, down: 0 }, 'transcript')
    app.core.events.emit('turnTrace', { ...fresh, notes: running.notes })
    const t0 = Date.now()
    await page.locator('[data-testid="latency-overlay"]').screenshot({ path: join(shots, 'latency-overlay-mid-turn.png'), animations: 'disabled' })
    console.log(`mid-turn screenshot taken ${Date.now() - t0} ms after the snapshot`)
    const first = Number(await llmRow.locator('.lo-value strong').textContent())
    await page.waitForTimeout(300)
    const later = Number(await llmRow.locator('.lo-value strong').textContent())
    expect(later).toBeGreaterThan(first) // the running stage grows
    expect(await page.locator('.lo-note').textContent()).toContain('HTTP 401')

    // The same turn completes: every stage has a value and they add up to e2e_latency.
    const done = trace('t9', start, { mic: 14, uplink: 24, eou: 150, stt: 130, ttft: 190, sentence: 35, tts: 240, down: 95 })
    done.notes = running.notes
    app.core.events.emit('turnTrace', done)
    await expect.poll(async () => page.locator('[data-testid="turn-total"] .lo-total-value').textContent()).toBe('878 ms')
    const values = (await page.locator('.lo-waterfall .lo-value strong').allTextContents()).map(Number)
    expect(values).toEqual([14, 24, 150, 130, 225, 240, 95])
    // A turn without a decision: the turn decision row says where its time went, and no reason is shown.
    expect(await page.locator('[data-stage="turn"] .lo-value').textContent()).toBe('in end of utterance')
    expect(await page.locator('[data-testid="turn-decision-reason"]').count()).toBe(0)
    expect(values.reduce((a, b) => a + b, 0)).toBe(878)
    expect(await page.locator('[data-stage="tts"]').getAttribute('data-verdict')).toBe('over')
    expect(await page.locator('[data-stage="eou"]').getAttribute('data-verdict')).toBe('tight')
    expect(await page.locator('[data-stage="mic"]').getAttribute('data-verdict')).toBe('ok')
    const statsRows = page.locator('[data-testid="latency-stats"] tbody tr')
    expect(await statsRows.count()).toBe(9)
    expect(await page.locator('[data-testid="latency-stats"] thead').textContent()).toContain('over 9 turns')
    await page.locator('[data-testid="latency-overlay"]').screenshot({ path: join(shots, 'latency-overlay-done.png') })

    // Export: one JSON document with every turn and its breakdown.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="export-turns"]')])
    const exported = JSON.parse(await readFile((await download.path())!, 'utf8')) as { turns: Array<{ turnId: string; breakdown: { e2eMs: number } }> }
    expect(exported.turns.map((t) => t.turnId)).toEqual(['t1', 't2', 't3', 't4', 't5', 't6', 't7', 't8', 't9'])
    expect(exported.turns.at(-1)!.breakdown.e2eMs).toBe(878)
  })

  it("shows the turn decision as its own stage with the policy's reason; the stages still add up to e2e_latency", async () => {
    const decided = trace('t10', Date.now() - 5000, { mic: 14, uplink: 24, eou: 28, turn: 150, stt: 0, ttft: 190, sentence: 35, tts: 90, down: 95 })
    decided.decision = { waitMs: 150, reason: 'complete request → 150 ms' }
    app.core.events.emit('turnTrace', decided)
    await expect.poll(() => page.locator('[data-testid="turn-decision-reason"]').textContent()).toBe('↳ complete request → 150 ms')
    const values = (await page.locator('.lo-waterfall .lo-value strong').allTextContents()).map(Number)
    expect(values).toEqual([14, 24, 28, 150, 0, 225, 90, 95])
    expect(await page.locator('[data-testid="turn-total"] .lo-total-value').textContent()).toBe(`${values.reduce((a, b) => a + b, 0)} ms`)
    expect(await page.locator('[data-stage="turn"]').getAttribute('data-verdict')).toBe('tight')
    expect(await page.locator('[data-stage="eou"] .lo-metric').textContent()).toBe('speech_end_heard')
    await page.locator('[data-testid="latency-overlay"]').screenshot({ path: join(shots, 'latency-overlay-turn-decision.png') })

    // A policy that waited out an unfinished sentence says so.
    const waited = trace('t11', Date.now() - 4000, { mic: 14, uplink: 24, eou: 30, turn: 1200, stt: 0, ttft: 190, sentence: 35, tts: 90, down: 95 })
    waited.decision = { waitMs: 1200, reason: "waited: trailing 'for'" }
    app.core.events.emit('turnTrace', waited)
    await expect.poll(() => page.locator('[data-testid="turn-decision-reason"]').textContent()).toBe("↳ waited: trailing 'for'")
    expect(await page.locator('[data-stage="turn"]').getAttribute('data-verdict')).toBe('over')
  })

  it('drops a malformed trace event in the renderer; the overlay keeps the last good turn', async () => {
    const emitUntyped = app.core.events.emit.bind(app.core.events) as (event: string, payload: unknown) => void
    emitUntyped('turnTrace', { turnId: 'bad', status: 'done', marks: 'not a list' })
    emitUntyped('turnTrace', { turnId: 'bad2', status: 'done', marks: [{ name: 'playout', at: 'soon', clock: 'renderer' }] })
    await page.waitForTimeout(300)
    expect(await page.locator('[data-testid="turn-total"] .lo-total-value').textContent()).toBe('1678 ms')
    expect(await page.locator('.lo-waterfall [role="row"][data-stage]').count()).toBe(8)
  })
})

import { readFile } from 'node:fs/promises'
import type { Browser, Page } from 'playwright-core'
import { expect } from 'vitest'
import type { VoiceTurnsDebug } from '../../src/renderer/src/media/voiceTurns'
import { launchChromium } from './chromium'

/**
 * Silence before the fake mic speaks. Chromium starts the file when the page opens the mic; the app must be connected
 * and its VAD listening before the speech starts, or only its tail is heard (measured: page open → listening 1.6–3.3 s
 * on the loaded 2-core CI machine). openListeningPage checks that this held.
 */
export const LEAD_MS = 6000

/** One turn of the latency overlay's "Export JSON" (the fields the spoken-turn tests read). */
export interface ExportedTurn {
  turnId: string
  status: string
  transcript?: string
  reply?: string
  providers?: { stt?: string; llm?: string; tts?: string }
  notes?: string[]
  compute?: { stt?: number }
  breakdown: { e2eMs: number | null; metrics: Record<string, number | null>; stages: Array<{ stage: string; durationMs: number; includes: string[] }> }
}

/**
 * The app's window in Chromium with the fake mic playing `wav` (its speech `leadMs` in): it joins the backend by itself
 * (no Connect press) in hands-free mode; returns once it is connected and its VAD listens, which must be at least a
 * second before the speech starts.
 */
export async function openListeningPage(url: string, wav: string, leadMs = LEAD_MS): Promise<{ browser: Browser; page: Page }> {
  const browser = await launchChromium({ fakeMicWav: wav })
  const page = await browser.newPage({ viewport: { width: 1180, height: 1000 }, acceptDownloads: true })
  if (process.env.VOICE_DEBUG) page.on('console', (m) => console.error('[page]', m.text()))
  const openedAt = Date.now()
  await page.goto(url)
  await page.waitForSelector('.app[data-ready="true"]')
  await page.waitForFunction(() => document.querySelector('[data-testid="connection-state"]')?.textContent === 'Connected', undefined, { timeout: 60_000 })
  await expect.poll(async () => (await voiceTurnsDebug(page))?.clientEvents.find((e) => e.type === 'vadActive')?.at, { timeout: 10_000 }).toBeDefined()
  const listeningAt = (await voiceTurnsDebug(page)).clientEvents.find((e) => e.type === 'vadActive')!.at
  expect(listeningAt - openedAt, 'the app must listen before the fake mic starts speaking').toBeLessThan(leadMs - 1000)
  return { browser, page }
}

/** The page's voice-turn debug record (client events, playouts, audible reply ms). */
export function voiceTurnsDebug(page: Page): Promise<VoiceTurnsDebug> {
  return page.evaluate(() => (window as unknown as { voiceTurnsDebug: VoiceTurnsDebug }).voiceTurnsDebug)
}

/** The turns as the overlay's Export JSON button downloads them. */
export async function downloadExportedTurns(page: Page): Promise<ExportedTurn[]> {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="export-turns"]')])
  return (JSON.parse(await readFile((await download.path())!, 'utf8')) as { turns: ExportedTurn[] }).turns
}

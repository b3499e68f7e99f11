import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AssistantActivity, UserCommand } from '../../src/shared/contract/api'
import { buildTrayMenu, trayIconFile, trayIconState, trayTooltip } from '../../src/main/tray/trayModel'
import { speechWav } from '../helpers/audioFixtures'
import { repoRoot, startBrowserApp, type BrowserApp } from '../helpers/browserApp'
import { chromiumMissingReason, launchChromium } from '../helpers/chromium'

// Needs the built renderer (out/renderer, `npx electron-vite build`) and the mediasoup worker (npm run setup).
const skipReason = chromiumMissingReason()
if (skipReason) console.warn(`assistant status e2e skipped: ${skipReason}`)

/**
 * Tray/hotkey commands → the window's conversation → the status the tray follows, in browser mode: the test plays
 * the main process (it emits userCommand through core.events, as the tray menu and the global hotkeys do), the page
 * carries the command out on its live WebRTC conversation, and the status it reports reaches AppCore.
 */
describe.skipIf(skipReason)('assistant status: userCommand → conversation → reportAssistantStatus → tray', () => {
  let app: BrowserApp
  let browser: Browser
  let page: Page
  const activities: AssistantActivity[] = []
  const command = (c: UserCommand['command']): void => app.core.events.emit('userCommand', { command: c })
  const trayState = () => ({ assistant: app.core.assistantStatus, backend: app.core.backend.status, settings: app.core.settings.get(), windowVisible: true })

  beforeAll(async () => {
    // One sentence, then a long silence (the fake mic loops the file): the echo reply ends well before the next one.
    const wav = speechWav('Turn on the lights in the kitchen please.', { padStartS: 0.3, padEndS: 6 })
    app = await startBrowserApp()
    app.core.events.on('assistantStatus', (s) => activities.push(s.activity))
    browser = await launchChromium({ fakeMicWav: wav })
    page = await browser.newPage()
    await page.goto(app.server.url)
    await page.waitForSelector('.app[data-ready="true"]', { timeout: 15_000 })
    for (const deadline = Date.now() + 90_000; app.core.backend.status.state !== 'ready'; ) {
      if (Date.now() > deadline) throw new Error(`backend not ready: ${JSON.stringify(app.core.backend.status)}`)
      await new Promise((r) => setTimeout(r, 250))
    }
    // The window connects by itself, push-to-talk (the default: the mic producer starts paused); Diagnostics switches
    // it to the echo pipeline (no providers needed).
    await page.waitForFunction(() => document.querySelector('[data-testid="connection-state"]')?.textContent === 'Connected', undefined, { timeout: 30_000 })
    await page.click('[data-testid="view-diagnostics"]')
    await page.selectOption('[data-testid="conversation-pipeline"]', 'echo')
    await page.waitForFunction(() => document.querySelector('[data-testid="conversation-panel"] .status')?.textContent?.trim() === 'connected', undefined, { timeout: 30_000 })
    await page.click('[data-testid="view-conversation"]')
    await page.waitForSelector('[data-testid="conversation-talk"]:not([disabled])', { timeout: 30_000 })
  })

  afterAll(async () => {
    await browser?.close()
    await app?.close()
  })

  it('starts idle with the producer paused; the tray shows the ready icon', async () => {
    expect(await page.textContent('[data-testid="conversation-talk"]')).toBe('Hold to talk')
    expect(app.core.assistantStatus).toEqual({ activity: 'idle', micMuted: false })
    expect(trayIconState(trayState())).toBe('idle')
  })

  it('startListening resumes the producer; the status reaches the core and the tray picks the listening icon', async () => {
    command('startListening')
    await expect.poll(() => page.textContent('[data-testid="conversation-talk"]'), { timeout: 10_000 }).toBe('Talking…')
    await expect.poll(() => activities.includes('listening'), { timeout: 10_000 }).toBe(true)
    // The tray model, given the status the core now holds (captured at the moment it was listening).
    const listening = { ...trayState(), assistant: { activity: 'listening' as const, micMuted: false } }
    expect(trayIconState(listening)).toBe('listening')
    const icon = trayIconFile(trayIconState(listening), { darkMenuBar: true, platform: 'linux' })
    expect(icon).toBe('tray-listening-dark-24.png')
    expect(existsSync(join(repoRoot, 'resources', 'icons', icon))).toBe(true)
    expect(trayTooltip(listening)).toBe('Voice Assistant — Listening')
    expect(buildTrayMenu(listening).find((i) => i.id === 'toggleListening')).toMatchObject({ label: 'Stop listening', action: { command: 'stopListening' } })
    // What the api reports now is what the tray reads.
    const outcome = await app.core.dispatch('getAssistantStatus', {})
    expect(outcome).toMatchObject({ ok: true, result: { activity: app.core.assistantStatus.activity } })
  })

  it('the echo turn moves it through thinking (end of utterance) and speaking (reply audio), then back to listening', async () => {
    const replyOver = (): boolean => activities.includes('speaking') && activities.lastIndexOf('listening') > activities.indexOf('speaking')
    await expect.poll(replyOver, { timeout: 40_000, interval: 100 }).toBe(true)
    expect(activities.indexOf('thinking')).toBeGreaterThan(activities.indexOf('listening'))
    expect(activities.indexOf('speaking')).toBeGreaterThan(activities.indexOf('thinking'))
  })

  it('stopListening pauses the producer and the status is idle again', async () => {
    command('stopListening')
    await expect.poll(() => page.textContent('[data-testid="conversation-talk"]'), { timeout: 10_000 }).toBe('Hold to talk')
    await expect.poll(() => app.core.assistantStatus.activity, { timeout: 5_000, interval: 100 }).toBe('idle')
    expect(trayIconState(trayState())).toBe('idle')
  })

  it('toggleMute: the core and the tray show the mic muted; startListening while muted keeps the producer paused', async () => {
    command('toggleMute')
    await expect.poll(() => app.core.assistantStatus.micMuted, { timeout: 10_000 }).toBe(true)
    expect(trayTooltip(trayState())).toContain('(mic muted)')
    expect(buildTrayMenu(trayState()).find((i) => i.id === 'mute')).toMatchObject({ checked: true })
    command('startListening')
    await page.waitForTimeout(500)
    expect(await page.textContent('[data-testid="conversation-talk"]')).toBe('Hold to talk')
    expect(app.core.assistantStatus).toEqual({ activity: 'idle', micMuted: true })
    // Unmuting reopens the mic the user asked for.
    command('toggleMute')
    await expect.poll(() => page.textContent('[data-testid="conversation-talk"]'), { timeout: 10_000 }).toBe('Talking…')
    await expect.poll(() => app.core.assistantStatus, { timeout: 10_000 }).toMatchObject({ micMuted: false })
    command('stopListening')
    await expect.poll(() => page.textContent('[data-testid="conversation-talk"]'), { timeout: 10_000 }).toBe('Hold to talk')
  })
})

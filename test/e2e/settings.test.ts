import { existsSync } from 'node:fs'
import { mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startBrowserMode, type BrowserModeServer } from '../../src/main/browserMode'
import { AppCore } from '../../src/main/services/appCore'
import { fileKeyCipher } from '../../src/main/services/secretsStore'
import type { Settings } from '../../src/shared/contract/settings'
import { startBrowserApp, rendererDir, type BrowserApp } from '../helpers/browserApp'
import { chromiumMissingReason, launchChromium } from '../helpers/chromium'

// Needs the built renderer (out/renderer, `npx electron-vite build`; npm test builds first). Skipped only without Chromium.
const skipReason = chromiumMissingReason()
if (skipReason) console.warn(`settings e2e skipped: ${skipReason}`)

async function openSettings(page: Page): Promise<void> {
  await page.waitForSelector('.app[data-ready="true"]', { timeout: 15_000 })
  await page.click('[data-testid="settings-open"]')
  await page.waitForSelector('[data-testid="settings-hotkeys"]')
}

/** settings.json as the app wrote it (the assertions check its fields). */
async function settingsOnDisk(dir: string): Promise<Settings> {
  return JSON.parse(await readFile(join(dir, 'settings.json'), 'utf8')) as Settings
}

describe.skipIf(skipReason)('settings page in browser mode', () => {
  let app: BrowserApp
  let browser: Browser
  let page: Page

  beforeAll(async () => {
    // The embedded backend is not needed to edit settings; keeping it off keeps the test quick.
    app = await startBrowserApp({ autoStartBackend: false })
    browser = await launchChromium()
    page = await browser.newPage({ viewport: { width: 1180, height: 900 } })
    await page.goto(app.server.url)
    await openSettings(page)
  })

  afterAll(async () => {
    await browser?.close()
    await app?.close()
  })

  it('rejects a bad backend URL with the field and reason, and saves nothing', async () => {
    const before = app.core.settings.get()
    await page.selectOption('[data-testid="settings-backend-mode"]', 'remote')
    await page.fill('[data-testid="settings-backend-url"]', 'http://voice.example.com/signaling')
    await page.click('[data-testid="settings-save-backend"]')
    const alert = page.locator('[data-testid="settings-result-backend"][role="alert"]')
    await expect.poll(() => alert.textContent(), { timeout: 10_000 }).toContain('backend.remoteUrl: must be a ws:// or wss:// URL')
    expect(app.core.settings.get()).toEqual(before)
    expect(existsSync(join(app.userDataDir, 'settings.json')) ? (await settingsOnDisk(app.userDataDir)).backend : before.backend).toEqual(before.backend)
    // The draft stays so the user can fix it.
    expect(await page.inputValue('[data-testid="settings-backend-url"]')).toBe('http://voice.example.com/signaling')
  })

  it('rejects an out-of-range VAD threshold with its limit', async () => {
    await page.fill('[data-testid="settings-vad-threshold"]', '1.5')
    await page.click('[data-testid="settings-save-listening"]')
    await expect.poll(() => page.textContent('[data-testid="settings-result-listening"]')).toContain('listening.vadThreshold')
    expect(app.core.settings.get().listening.vadThreshold).toBe(0.5)
    await page.fill('[data-testid="settings-vad-threshold"]', '0.6')
  })

  it('rejects a too-short minimum silence with its limit, and keeps the stored value', async () => {
    await page.fill('[data-testid="settings-vad-silence"]', '50')
    await page.click('[data-testid="settings-save-listening"]')
    const alert = page.locator('[data-testid="settings-result-listening"][role="alert"]')
    await expect.poll(() => alert.textContent()).toContain('listening.vadMinSilenceMs')
    expect(await alert.textContent()).toContain('160')
    expect(app.core.settings.get().listening.vadMinSilenceMs).toBe(640)
    // A fractional value is refused too (the field is whole milliseconds); a valid one saves.
    await page.fill('[data-testid="settings-vad-silence"]', '700.5')
    await page.click('[data-testid="settings-save-listening"]')
    await expect.poll(() => alert.textContent()).toContain('listening.vadMinSilenceMs')
    await page.fill('[data-testid="settings-vad-silence"]', '720')
  })

  it('edits the turn-taking waits and the words that stop a reply; out of range is refused with the range', async () => {
    const alert = page.locator('[data-testid="settings-result-listening"][role="alert"]')
    await page.fill('[data-testid="settings-barge-in-words"]', '9')
    await page.click('[data-testid="settings-save-listening"]')
    await expect.poll(() => alert.textContent()).toContain('listening.bargeInMinWords')
    expect(await alert.textContent()).toContain('must be at most 5 words')
    await page.fill('[data-testid="settings-barge-in-words"]', '2')
    await page.fill('[data-testid="settings-reply-complete"]', '3000')
    await page.click('[data-testid="settings-save-listening"]')
    await expect.poll(() => alert.textContent()).toContain('listening.replyAfterCompleteMs')
    expect(await alert.textContent()).toContain('from 0 to 2000')
    expect(app.core.settings.get().listening).toMatchObject({ replyAfterCompleteMs: 150, unfinishedPauseMs: 1200, bargeInMinWords: 1 })
    await page.fill('[data-testid="settings-reply-complete"]', '120')
    await page.fill('[data-testid="settings-unfinished-pause"]', '1500')
    await page.click('[data-testid="settings-save-listening"]')
    await expect.poll(() => app.core.settings.get().listening.bargeInMinWords).toBe(2)
    expect(app.core.settings.get().listening).toMatchObject({ replyAfterCompleteMs: 120, unfinishedPauseMs: 1500 })
  })

  it('shows hotkey problems while typing, and the service refuses them with the same words', async () => {
    await page.fill('[data-testid="settings-hotkey-toggleListening"]', 'K')
    await expect.poll(() => page.textContent('[data-testid="settings-hotkey-problems"]')).toContain('needs a modifier')
    await page.click('[data-testid="settings-save-hotkeys"]')
    await expect.poll(() => page.textContent('[data-testid="settings-result-hotkeys"]')).toContain('hotkeys.toggleListening')

    // The same chord as push-to-talk, spelled differently: a conflict on this platform.
    await page.fill('[data-testid="settings-hotkey-toggleListening"]', 'Ctrl+Shift+Space')
    await expect.poll(() => page.textContent('[data-testid="settings-hotkey-problems"]')).toContain('assigned to both Push to talk and Start/stop listening')
    await page.click('[data-testid="settings-save-hotkeys"]')
    await expect.poll(() => page.textContent('[data-testid="settings-result-hotkeys"]')).toContain('assigned to both Push to talk and Start/stop listening')
    expect(app.core.settings.get().hotkeys.toggleListening).toBeNull()
  })

  it('records a hotkey from the keyboard and saves it to disk', async () => {
    await page.fill('[data-testid="settings-hotkey-toggleListening"]', '')
    await page.locator('[data-testid="settings-hotkey-toggleListening"] >> xpath=../..').getByRole('button', { name: 'Record' }).click()
    await page.keyboard.press('Control+Alt+KeyJ')
    await expect.poll(() => page.inputValue('[data-testid="settings-hotkey-toggleListening"]')).toBe('CommandOrControl+Alt+J')
    await page.click('[data-testid="settings-save-hotkeys"]')
    await expect.poll(() => app.core.settings.get().hotkeys.toggleListening).toBe('CommandOrControl+Alt+J')
    expect((await settingsOnDisk(app.userDataDir)).hotkeys.toggleListening).toBe('CommandOrControl+Alt+J')
  })

  it('saves mode, interface and provider choices; they survive a reload', async () => {
    await page.selectOption('[data-testid="settings-mode"]', 'hands-free')
    await page.click('[data-testid="settings-save-listening"]')
    await page.uncheck('[data-testid="settings-overlay"]')
    await page.selectOption('[data-testid="settings-theme"]', 'light')
    await page.click('[data-testid="settings-save-ui"]')
    await page.fill('[data-testid="settings-model-llm"]', 'gpt-4o-mini')
    await page.click('[data-testid="settings-save-providers"]')
    await expect.poll(() => app.core.settings.get().providers.llm.model).toBe('gpt-4o-mini')
    const disk = await settingsOnDisk(app.userDataDir)
    expect(disk.listening).toMatchObject({ mode: 'hands-free', vadThreshold: 0.6, vadMinSilenceMs: 720 })
    expect(disk.ui).toMatchObject({ showLatencyOverlay: false, theme: 'light' })
    await expect.poll(() => page.evaluate(() => document.documentElement.dataset.theme)).toBe('light')

    await page.reload()
    await openSettings(page)
    expect(await page.inputValue('[data-testid="settings-mode"]')).toBe('hands-free')
    expect(await page.isChecked('[data-testid="settings-overlay"]')).toBe(false)
    expect(await page.inputValue('[data-testid="settings-model-llm"]')).toBe('gpt-4o-mini')
  })

  it('refuses to store an API key in browser mode without a key file, saying how to enable it', async () => {
    await expect.poll(() => page.textContent('[data-testid="settings-keys-storage"]')).toBe('cannot store keys here')
    expect(await page.textContent('[data-testid="settings-keys-reason"]')).toContain('VOICE_ASSISTANT_SECRETS_KEY_FILE')
    await page.fill('[data-testid="settings-key-llm.apiKey"]', 'sk-browser-mode-should-not-be-stored')
    await page.click('[data-testid="settings-key-save-llm.apiKey"]')
    await expect.poll(() => page.textContent('[data-testid="settings-result-secrets"]')).toContain('API key not saved')
    expect(existsSync(join(app.userDataDir, 'secrets.json'))).toBe(false)
  })

  it('is a modal dialog: focus moves in and stays in, Escape closes it and focus returns to the Settings button; keyboard opens it again', async () => {
    expect(await page.evaluate(() => document.querySelector('dialog[data-testid="settings-panel"]')?.matches(':modal'))).toBe(true)
    expect(await page.evaluate(() => document.querySelector('dialog[open]')?.contains(document.activeElement))).toBe(true)
    // Tab through every control and past the end: focus never leaves the dialog, and every stop shows a focus ring.
    for (let i = 0; i < 80; i++) {
      await page.keyboard.press('Tab')
      const where = await page.evaluate(() => {
        const el = document.activeElement as HTMLElement | null
        return { inside: !!el && !!document.querySelector('dialog[open]')?.contains(el), outline: el ? getComputedStyle(el).outlineStyle : 'none', tag: el?.tagName }
      })
      expect(where.inside, `tab ${i}: focus left the dialog (${where.tag})`).toBe(true)
      expect(where.outline, `tab ${i}: ${where.tag} has no visible focus`).not.toBe('none')
    }
    await page.keyboard.press('Escape')
    await page.waitForSelector('[data-testid="settings-panel"]:not([open])', { state: 'attached' })
    expect(await page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.testid)).toBe('settings-open')
    await page.keyboard.press('Enter')
    await page.waitForSelector('[data-testid="settings-hotkeys"]')
    expect(await page.evaluate(() => document.querySelector('dialog[open]')?.contains(document.activeElement))).toBe(true)
  })
})

describe.skipIf(skipReason)('API keys in browser mode with an opt-in key file', () => {
  let core: AppCore
  let server: BrowserModeServer
  let browser: Browser
  let dir: string

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'va-e2e-keys-'))
    core = new AppCore({
      appInfo: { name: 'Voice Assistant', version: '0.0.0-test', mode: 'browser', platform: process.platform, modeReason: 'end-to-end test' },
      userDataDir: dir,
      backendCommand: { command: 'none', args: [] },
      wsFactory: () => {
        throw new Error('no backend in this test')
      },
      autoStartBackend: false,
      secretsCipher: await fileKeyCipher(join(dir, 'secrets.key'))
    })
    await core.start()
    server = await startBrowserMode({ core, rendererDir })
    browser = await launchChromium()
  })

  afterAll(async () => {
    await browser?.close()
    await server?.close()
    await core?.stop()
  })

  it('stores the key encrypted, shows only "set", and can remove it', async () => {
    const key = 'sk-e2e-0123456789-secret'
    const page = await browser.newPage()
    await page.goto(server.url)
    await openSettings(page)
    await expect.poll(() => page.textContent('[data-testid="settings-keys-storage"]')).toBe('encrypted (file-key)')
    await page.fill('[data-testid="settings-key-stt.apiKey"]', key)
    await page.click('[data-testid="settings-key-save-stt.apiKey"]')
    await expect.poll(() => page.textContent('[data-testid="settings-key-state-stt.apiKey"]')).toBe('set')
    expect(await page.inputValue('[data-testid="settings-key-stt.apiKey"]')).toBe('')
    expect(await readFile(join(dir, 'secrets.json'), 'utf8')).not.toContain(key)
    expect(await readFile(join(dir, 'settings.json'), 'utf8').catch(() => '')).not.toContain(key)
    expect(core.secrets.get('stt.apiKey')).toBe(key)
    expect(await page.content()).not.toContain(key)
    await page.click('[data-testid="settings-key-clear-stt.apiKey"]')
    await expect.poll(() => page.textContent('[data-testid="settings-key-state-stt.apiKey"]')).toBe('not set')
    expect(core.secrets.get('stt.apiKey')).toBeNull()
  })
})

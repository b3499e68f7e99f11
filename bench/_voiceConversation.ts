import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { fileKeyCipher } from '../src/main/services/secretsStore'
import { startBrowserApp } from '../test/helpers/browserApp'
import { launchChromium } from '../test/helpers/chromium'
import type { OpenAiStub } from '../test/helpers/openaiStub'
import type { ClipSpec, SpeechCorpus } from '../test/helpers/speech'

/**
 * The benches' voice conversation through the real media path: the app in browser mode with `stages` pointed at the
 * local OpenAI-compatible stub (the others stay embedded: STT on the device when a model is installed in the user
 * data folder's models/), Chromium with a fake mic looping `clip`, and the conversation connected. close() ends the
 * browser and the app (the stub and corpus belong to the caller).
 */
export interface VoiceConversation {
  page: Page
  close(): Promise<void>
}

export async function openVoiceConversation(opts: {
  corpus: SpeechCorpus
  stub: OpenAiStub
  stages: Array<'stt' | 'llm'>
  clip: ClipSpec
  name: string
  /** The app's user data folder (e.g. with a model installed in its models/); a new temporary one by default. */
  userDataDir?: string
}): Promise<VoiceConversation> {
  const app = await startBrowserApp({ userDataDir: opts.userDataDir, secretsCipher: await fileKeyCipher(join(await mkdtemp(join(tmpdir(), 'va-bench-')), 'k')) })
  const models = { stt: 'whisper-1', llm: 'stub' }
  await app.core.settings.update({
    // Hands-free: the fake mic talks and the app's VAD hears it (push-to-talk would wait for the talk key).
    listening: { mode: 'hands-free' },
    providers: Object.fromEntries(opts.stages.map((s) => [s, { provider: 'openai', model: models[s], baseUrl: opts.stub.baseUrl }]))
  })
  for (const s of opts.stages) await app.core.secrets.set(`${s}.apiKey`, opts.stub.apiKey)
  const clip = await opts.corpus.clip(opts.clip)
  const browser = await launchChromium({ fakeMicWav: await opts.corpus.writeWav(opts.name, clip.samples, { rate: 48_000 }) })
  const close = async (): Promise<void> => {
    await browser.close()
    await app.close()
  }
  try {
    const page = await browser.newPage({ acceptDownloads: true })
    await page.goto(app.server.url)
    await page.waitForSelector('.app[data-ready="true"]')
    // No Connect press: the window joins the backend by itself, in the voice pipeline.
    await page.waitForFunction(() => document.querySelector('[data-testid="connection-state"]')?.textContent === 'Connected', undefined, { timeout: 60_000 })
    return { page, close }
  } catch (error) {
    await close()
    throw error
  }
}

import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { appLogPath } from '../../src/node/logging/logFiles'
import { SECRETS_KEY_FILE_ENV } from '../../src/main/services/secretsStore'
import type { TurnTrace } from '../../src/shared/latency/trace'
import { connectApi, startBrowserModeProcess, type BrowserModeProcess } from '../helpers/browserModeProcess'
import { chromiumMissingReason, launchChromium } from '../helpers/chromium'
import { startOpenAiStub, type OpenAiStub } from '../helpers/openaiStub'
import { SpeechCorpus } from '../helpers/speech'

const missing = chromiumMissingReason()

/**
 * No secret in any log (#18): the real browser-mode entry (out/main/browser.js) at --log-level debug, its real
 * embedded backend, speech-to-text and the language model at a loopback OpenAI-compatible stub that only answers the
 * configured API key, and one spoken turn from Chromium's fake microphone. Then the app's log file
 * (<userData>/logs/main.log, which also holds the backend's JSON lines, re-logged) and everything the process wrote to
 * stdout and stderr are searched for the API key, the embedded backend's per-run signaling secret and the page's
 * per-run URL token. The log must also show the turn, so an empty or silent log cannot pass.
 */
describe.skipIf(missing)('no secret in the logs of a browser-mode run with a voice turn', () => {
  let stub: OpenAiStub
  let corpus: SpeechCorpus
  let app: BrowserModeProcess
  let browser: Browser | null = null
  const apiKey = `sk-logsecret-${randomBytes(12).toString('hex')}`

  beforeAll(async () => {
    corpus = await SpeechCorpus.create()
    stub = await startOpenAiStub({ apiKey })
    stub.transcription = { mode: { kind: 'ok' }, text: (ms) => (ms < 700 ? '' : 'what is twelve times seven') }
    stub.chat = { mode: { kind: 'ok' }, reply: 'Twelve times seven is eighty four.', ttftMs: 50, tokenDelayMs: 5 }
    const keyFile = join(await mkdtemp(join(tmpdir(), 'va-logsecret-key-')), 'secrets.key')
    app = await startBrowserModeProcess({ embeddedBackend: true, args: ['--log-level', 'debug'], env: { [SECRETS_KEY_FILE_ENV]: keyFile } })
  }, 90_000)

  afterAll(async () => {
    await browser?.close()
    await app?.stop()
    await stub?.close()
    await corpus?.dispose()
  })

  it('the log records the turn, and neither it nor the process output holds the API key, the signaling secret or the page token', { timeout: 120_000 }, async () => {
    const api = await connectApi(app.runFile)
    await api.call('updateSettings', {
      listening: { mode: 'hands-free' },
      providers: { stt: { provider: 'openai', model: 'whisper-1', baseUrl: stub.baseUrl }, llm: { provider: 'openai', model: 'stub-chat', baseUrl: stub.baseUrl } }
    })
    await api.call('setSecret', { name: 'stt.apiKey', value: apiKey })
    await api.call('setSecret', { name: 'llm.apiKey', value: apiKey })
    await expect.poll(async () => ((await api.call('getBackendStatus')) as { state: string }).state, { timeout: 60_000 }).toBe('ready')
    const signalingUrl = ((await api.call('getBackendStatus')) as { signalingUrl: string }).signalingUrl
    const signalingSecret = new URL(signalingUrl).searchParams.get('token')
    expect(signalingSecret, 'the embedded backend is reached with its per-run secret').toMatch(/^[\w-]{20,}$/)
    const pageToken = app.runFile.token

    const clip = await corpus.clip({ leadMs: 6000, parts: [{ text: 'What is twelve times seven?', rate: 165 }], trailMs: 14_000 })
    browser = await launchChromium({ fakeMicWav: await corpus.writeWav('question', clip.samples, { rate: 48_000 }) })
    const page = await browser.newPage()
    await page.goto(`http://127.0.0.1:${app.runFile.port}/?token=${pageToken}`)
    await expect.poll(() => (api.events('turnTrace') as TurnTrace[]).find((t) => t.status === 'done' && t.transcript), { timeout: 60_000, interval: 500 }).toBeDefined()
    const turn = (api.events('turnTrace') as TurnTrace[]).find((t) => t.status === 'done' && t.transcript)!
    expect(turn.reply).toBe('Twelve times seven is eighty four.')
    // An uncaught error in the window reaches the app's log too (reportRendererError).
    await page.evaluate(() => void setTimeout(() => {
      throw new Error('renderer probe for the log')
    }))
    // The key was used: the stub answers nothing else.
    expect(stub.requests.filter((r) => r.authorization === `Bearer ${apiKey}`).map((r) => r.path)).toEqual(expect.arrayContaining(['/v1/audio/transcriptions', '/v1/chat/completions']))
    api.close()
    await browser.close()
    browser = null
    await app.stop()

    const logPath = appLogPath(app.userDataDir)
    const old = logPath.replace(/\.log$/, '.old.log')
    const log = `${existsSync(old) ? await readFile(old, 'utf8') : ''}${await readFile(logPath, 'utf8')}`
    const lines = log.trim().split('\n')
    // What a reader needs is there: the turn, on the backend's side (re-logged) and on the app's.
    const backendTurn = lines.find((l) => l.includes(' turn ended ') && l.includes(`"turnId":"${turn.turnId}"`))
    expect(backendTurn, log.slice(-4000)).toMatch(/ info {2}turn ended \{.*"source":"backend".*"sessionId":"[\w-]+".*"status":"done"/)
    expect(lines.some((l) => / info {2}turn trace \{.*"status":"done"/.test(l) && l.includes(`"turnId":"${turn.turnId}"`))).toBe(true)
    expect(lines.some((l) => / info {2}observing the conversation \{.*"configured":\{"stt":1,"llm":1,"tts":0\}/.test(l))).toBe(true)
    expect(lines.some((l) => / debug /.test(l)), 'the run was at --log-level debug').toBe(true)
    expect(lines.some((l) => / error renderer error \{"part":"renderer","message":"Uncaught Error: renderer probe for the log"/.test(l))).toBe(true)

    for (const [name, secret] of [['API key', apiKey], ['signaling secret', signalingSecret!], ['page token', pageToken]] as const) {
      expect(log.includes(secret), `${name} in ${logPath}`).toBe(false)
    }
    const output = app.output()
    expect(output.includes(apiKey), 'API key in the process output').toBe(false)
    expect(output.includes(signalingSecret!), 'signaling secret in the process output').toBe(false)
    // The page token is printed once, on purpose: the URL the user opens (stdout), never a log line.
    expect(output.split('\n').filter((l) => l.includes(pageToken))).toEqual([`Voice Assistant (browser mode) is at http://127.0.0.1:${app.runFile.port}/?token=${pageToken}`])

    const at = lines.findIndex((l) => l === backendTurn)
    console.log(`log sample (${logPath}, ${lines.length} lines; key, signaling secret and page token absent):\n${lines.slice(Math.max(0, at - 14), at + 3).join('\n')}`)
  })
})

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { DiagnosticsService, installedPackageVersion, runtimeVersions, type DiagnosticsSources } from '../../../../src/main/diagnostics/diagnosticsService'
import { appLogPath, logsDir } from '../../../../src/node/logging/logFiles'
import { defaultSettings } from '../../../../src/shared/contract/settings'
import type { TurnTrace } from '../../../../src/shared/latency/trace'

const KEY = 'sk-test-abcdefghijklmnop'

describe('DiagnosticsService', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'va-diag-'))
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  const sources = (): DiagnosticsSources => ({
    appInfo: { name: 'Voice Assistant', version: '0.1.0', mode: 'browser', platform: 'linux', modeReason: 'test' },
    userDataDir: dir,
    settings: () => defaultSettings(),
    secretsStatus: () => ({ storage: { available: true, kind: 'file-key', reason: null }, keys: { 'stt.apiKey': true, 'llm.apiKey': false, 'tts.apiKey': false } }),
    secretValues: () => [KEY],
    backendStatus: () => null,
    assistantStatus: () => ({ activity: 'idle', micMuted: false }),
    talkKeyStatus: () => null,
    versions: () => [['Node', '22.0.0']],
    now: () => Date.parse('2026-12-06T10:00:00.000Z')
  })
  const turn = (turnId: string): TurnTrace => ({ turnId, status: 'done', marks: [] })

  it('reads the log tail from userData/logs/main.log, without the secrets in it', async () => {
    await mkdir(logsDir(dir), { recursive: true })
    await writeFile(appLogPath(dir), Array.from({ length: 300 }, (_, i) => `line ${i}${i === 299 ? ` key=${KEY}` : ''}`).join('\n') + '\n')
    const text = await new DiagnosticsService(sources()).compose()
    expect(text).toContain(`## Log (last 200 lines of ${appLogPath(dir)})\nline 100\n`)
    expect(text).toContain('line 299 key=(secret removed)')
    expect(text).not.toContain(KEY)
    expect(text.startsWith('Voice Assistant diagnostics, 2026-12-06T10:00:00.000Z\n')).toBe(true)
  })

  it('a missing log file is said, not an error', async () => {
    expect(await new DiagnosticsService(sources()).compose()).toContain(`(no log file yet (${appLogPath(dir)}))`)
  })

  it('keeps the latest trace of the last 20 turns for the tray; the window\'s own turns win when it sends them', async () => {
    const service = new DiagnosticsService(sources())
    for (let i = 1; i <= 25; i++) service.recordTurn(turn(`t${i}`))
    service.recordTurn({ ...turn('t10'), status: 'failed' })
    const fromServices = await service.compose()
    expect(fromServices).toContain('## Last 20 turns')
    expect(fromServices).not.toContain('t5 done')
    expect(fromServices).toMatch(/t25 done · e2e –[^\n]*\nt10 failed/)
    const fromWindow = await service.compose({ turns: [turn('w1')], userAgent: 'TestBrowser/1.0' })
    expect(fromWindow).toContain('## Last 1 turns')
    expect(fromWindow).toContain('\nw1 done')
    expect(fromWindow).toContain('\nbrowser: TestBrowser/1.0\n')
  })

  it('versions: Electron and Chromium only inside Electron; packages as installed', () => {
    expect(runtimeVersions({ node: '22.1.0' } as NodeJS.ProcessVersions, (name) => `${name}-v`)).toEqual([
      ['Electron', null],
      ['Chromium', null],
      ['Node', '22.1.0'],
      ['mediasoup', 'mediasoup-v'],
      ['onnxruntime-node', 'onnxruntime-node-v']
    ])
    expect(runtimeVersions({ node: '22.1.0', electron: '45.5.0', chrome: '140.0.1' } as NodeJS.ProcessVersions, () => null).slice(0, 2)).toEqual([
      ['Electron', '45.5.0'],
      ['Chromium', '140.0.1']
    ])
    expect(installedPackageVersion('mediasoup')).toMatch(/^3\.\d+\.\d+$/)
    expect(installedPackageVersion('onnxruntime-node')).toMatch(/^\d+\.\d+\.\d+$/)
    expect(installedPackageVersion('no-such-package-here')).toBeNull()
  })
})

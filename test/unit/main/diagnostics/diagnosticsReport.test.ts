import { describe, expect, it } from 'vitest'
import { composeDiagnostics, DIAGNOSTICS_LOG_LINES, DIAGNOSTICS_TURNS, scrubSecrets, turnLine, type DiagnosticsInput } from '../../../../src/main/diagnostics/diagnosticsReport'
import { TYPED_TURN_NOTE } from '../../../../src/shared/contract/signaling'
import { defaultSettings } from '../../../../src/shared/contract/settings'
import type { TurnTrace } from '../../../../src/shared/latency/trace'

const API_KEY = 'sk-live-0123456789abcdef'
const RUN_TOKEN = 'perRunSecretToken42xyz'

/** A spoken turn: renderer marks on the renderer clock (main = renderer + 5), backend marks on the backend clock (main = backend − 1000). */
function spokenTurn(turnId: string, e2e = 600): TurnTrace {
  return {
    turnId,
    status: 'done',
    clockOffsets: { backend: -1000, renderer: 5 },
    marks: [
      { name: 'speech_end_mic', at: 995, clock: 'renderer' },
      { name: 'uplink_sent', at: 1015, clock: 'renderer' },
      { name: 'uplink_arrival', at: 2030, clock: 'backend' },
      { name: 'end_of_utterance', at: 2300, clock: 'backend' },
      { name: 'transcript', at: 2350, clock: 'backend' },
      { name: 'llm_first_token', at: 2450, clock: 'backend' },
      { name: 'first_sentence', at: 2500, clock: 'backend' },
      { name: 'tts_first_audio', at: 2560, clock: 'backend' },
      { name: 'playout', at: 995 + e2e, clock: 'renderer' }
    ],
    compute: { stt: 40 },
    transcript: 'what is the weather like',
    reply: 'Sunny all day.',
    providers: { stt: 'on-device Moonshine Tiny', llm: 'Ollama at localhost', tts: 'espeak-ng' },
    notes: [`LLM: https://api.example.com/v1?key=${API_KEY} failed: HTTP 401 — using Ollama at localhost`]
  }
}

function input(over: Partial<DiagnosticsInput> = {}): DiagnosticsInput {
  return {
    generatedAt: '2026-12-06T12:00:00.000Z',
    app: { name: 'Voice Assistant', version: '0.1.0', mode: 'browser', platform: 'linux', modeReason: 'the Electron binary is not installed' },
    versions: [
      ['Electron', null],
      ['Chromium', null],
      ['Node', '22.12.0'],
      ['mediasoup', '3.12.16'],
      ['onnxruntime-node', '1.30.0']
    ],
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/140.0.0.0',
    os: { platform: 'linux', release: '6.1.0', arch: 'x64', cpus: 2, memoryMb: 7936 },
    settings: { ...defaultSettings(), backend: { mode: 'remote', remoteUrl: `wss://voice.example.com/signaling?token=va1.${RUN_TOKEN}`, remoteUrls: [] } },
    secrets: { storage: { available: true, kind: 'file-key', reason: null }, keys: { 'stt.apiKey': false, 'llm.apiKey': true, 'tts.apiKey': false } },
    backend: { state: 'ready', kind: 'embedded', signalingUrl: `ws://127.0.0.1:40123/signaling?token=${RUN_TOKEN}`, detail: null, workers: 1, rttMs: 2.4, since: Date.parse('2026-12-06T11:59:00.000Z') },
    assistant: { activity: 'idle', micMuted: false },
    talkKey: { source: 'key-hook', mode: 'hold', accelerator: 'CommandOrControl+Shift+Space', detail: 'Hold Ctrl+Shift+Space to talk (global key hook).', cliBinding: 'npm run talk -- --toggle' },
    turns: [spokenTurn('s1-t1')],
    log: { path: '/home/u/.config/Voice Assistant/logs/main.log', lines: ['{"level":"info","msg":"backend ready"}', `{"level":"debug","msg":"joined ws://127.0.0.1:40123/signaling?token=${RUN_TOKEN}"}`, `{"level":"warn","msg":"llm key ${API_KEY} refused"}`], note: null },
    secretValues: [API_KEY, RUN_TOKEN],
    ...over
  }
}

describe('diagnostics report (pure composer)', () => {
  it('composes one text block from fixed inputs', () => {
    expect(composeDiagnostics(input())).toBe(
      [
        'Voice Assistant diagnostics, 2026-12-06T12:00:00.000Z',
        'Made on this computer and sent nowhere. API keys and tokens appear only as set / not set; no transcript or reply text.',
        '',
        '## Versions',
        'app: Voice Assistant 0.1.0 (browser mode: the Electron binary is not installed)',
        'Electron: not in this mode',
        'Chromium: not in this mode',
        'Node: 22.12.0',
        'mediasoup: 3.12.16',
        'onnxruntime-node: 1.30.0',
        'browser: Mozilla/5.0 (X11; Linux x86_64) Chrome/140.0.0.0',
        '',
        '## System',
        'os: linux 6.1.0 (x64), 2 CPUs, 7936 MB memory',
        '',
        '## Backend',
        'state: ready (embedded), 1 mediasoup worker, signaling rtt 2 ms, since 2026-12-06T11:59:00.000Z',
        'signaling: ws://127.0.0.1:40123/signaling?token=(set)',
        '',
        '## Assistant',
        'activity: idle',
        'talk key: key-hook, hold, CommandOrControl+Shift+Space: Hold Ctrl+Shift+Space to talk (global key hook).',
        '',
        '## API keys',
        'storage: file-key',
        'stt.apiKey: not set',
        'llm.apiKey: set',
        'tts.apiKey: not set',
        '',
        '## Settings',
        ...composeDiagnostics(input()).split('\n## Settings\n')[1]!.split('\n\n')[0]!.split('\n'),
        '',
        '## Last 1 turns (ms; budget 800 ms from the end of speech to the first sound)',
        's1-t1 done · e2e 600 ms · mic 20, uplink 10, eou 270, stt 50, llm 150, tts 60, downlink 40 · eou_delay 300, transcription_delay 350, stt_compute 40, llm_ttft 100, tts_ttfb 60 · stt: on-device Moonshine Tiny, llm: Ollama at localhost, tts: espeak-ng · notes: LLM: https://api.example.com/v1?key=(set) failed: HTTP 401 — using Ollama at localhost',
        '',
        '## Log (last 3 lines of /home/u/.config/Voice Assistant/logs/main.log)',
        '{"level":"info","msg":"backend ready"}',
        '{"level":"debug","msg":"joined ws://127.0.0.1:40123/signaling?token=(set)"}',
        '{"level":"warn","msg":"llm key (secret removed) refused"}',
        ''
      ].join('\n')
    )
  })

  it('the settings section is the schema-redacted settings: the remote URL without its token', () => {
    const text = composeDiagnostics(input())
    expect(text).toContain('\nbackend.remoteUrl: wss://voice.example.com/signaling?token=(set)\n')
    expect(text).toContain('\nlistening.mode: push-to-talk\n')
  })

  it('no secret value survives anywhere, and no transcript or reply text is included', () => {
    const text = composeDiagnostics(input())
    for (const secret of [API_KEY, RUN_TOKEN]) expect(text).not.toContain(secret)
    expect(text).not.toContain('weather')
    expect(text).not.toContain('Sunny')
  })

  it('keeps the last 20 turns and the last 200 log lines; says when there are none', () => {
    const turns = Array.from({ length: 25 }, (_, i) => spokenTurn(`s1-t${i + 1}`))
    const lines = Array.from({ length: 250 }, (_, i) => `line ${i}`)
    const text = composeDiagnostics(input({ turns, log: { path: '/l', lines, note: null } }))
    expect(text).toContain(`## Last ${DIAGNOSTICS_TURNS} turns`)
    expect(text).not.toContain('s1-t5 ')
    expect(text).toContain('s1-t6 done')
    expect(text).toContain(`## Log (last ${DIAGNOSTICS_LOG_LINES} lines of /l)\nline 50\n`)
    const empty = composeDiagnostics(input({ turns: [], backend: null, talkKey: null, log: { path: '/l', lines: [], note: 'no log file yet (/l)' } }))
    expect(empty).toContain('## Last 0 turns (ms; budget 800 ms from the end of speech to the first sound)\nno turns in this session yet')
    expect(empty).toContain('## Backend\nnot started')
    expect(empty).toContain('talk key: not set up in this process')
    const noKeys = composeDiagnostics(input({ secrets: { storage: { available: false, kind: 'unavailable', reason: 'no keychain here' }, keys: { 'stt.apiKey': false, 'llm.apiKey': false, 'tts.apiKey': false } } }))
    expect(noKeys).toContain('\nstorage: unavailable (no keychain here)\nstt.apiKey: not set\n')
    expect(empty).toContain('## Log (last 0 lines of /l)\n(no log file yet (/l))')
  })

  it('the desktop app shows its Electron and Chromium versions', () => {
    const text = composeDiagnostics(input({ app: { ...input().app, mode: 'electron', modeReason: null }, versions: [['Electron', '45.5.0'], ['Chromium', '140.0.7339.0']], userAgent: undefined }))
    expect(text).toContain('app: Voice Assistant 0.1.0 (desktop app)\nElectron: 45.5.0\nChromium: 140.0.7339.0\n')
  })
})

describe('turnLine', () => {
  it('marks a typed turn and one over budget; a turn without renderer marks has no e2e', () => {
    const typed = { ...spokenTurn('t9', 1200), notes: [TYPED_TURN_NOTE] }
    expect(turnLine(typed)).toMatch(/^t9 done \(typed\) · e2e 1200 ms OVER BUDGET · /)
    const backendOnly: TurnTrace = { turnId: 'b1', status: 'running', marks: [{ name: 'end_of_utterance', at: 10, clock: 'backend' }] }
    expect(turnLine(backendOnly)).toBe('b1 running · e2e – · eou_delay –, transcription_delay –, stt_compute –, llm_ttft –, tts_ttfb – · unaligned marks: end_of_utterance')
  })
})

describe('scrubSecrets', () => {
  it('removes known values, token and key query values, and bearer tokens; short values are left alone', () => {
    expect(scrubSecrets('a sk-abcdefgh b', ['sk-abcdefgh', 'abc'])).toBe('a (secret removed) b')
    expect(scrubSecrets('GET /x?access_token=abc&b=1 Authorization: Bearer eyJhbGciOi.x.y', [])).toBe('GET /x?access_token=(set)&b=1 Authorization: Bearer (set)')
  })
})

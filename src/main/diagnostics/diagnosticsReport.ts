import type { AppInfo, AssistantStatus, BackendStatus } from '../../shared/contract/api'
import { secretNames, type SecretsStatus } from '../../shared/contract/secrets'
import type { Settings } from '../../shared/contract/settings'
import { TYPED_TURN_NOTE } from '../../shared/contract/signaling'
import type { TalkKeyStatus } from '../../shared/contract/talk'
import { alignMarks, turnBreakdown, type ClockOffsets } from '../../shared/latency/breakdown'
import type { TurnTrace } from '../../shared/latency/trace'
import { TOTAL_BUDGET_MS } from '../../shared/latencyBudget'
import { redactSettings, redactUrl } from './settingsRedaction'

/**
 * "Copy diagnostics": one text block for a bug report, composed from what the services know. Pure: the service
 * (diagnosticsService.ts) gathers the inputs (versions, the log file's tail, the recent turns) and this decides what
 * the user may paste: settings by schema (settingsRedaction.ts), API keys as set / not set, URLs without tokens, and
 * a last pass that removes every known secret value and every `token=` / `key=` query value wherever it appears
 * (the log lines too). No transcript or reply text: timings and providers only.
 */

export const DIAGNOSTICS_TURNS = 20
export const DIAGNOSTICS_LOG_LINES = 200

export interface DiagnosticsInput {
  /** When it was made (ISO 8601). */
  generatedAt: string
  app: AppInfo
  /** name → version; null: not part of this mode (e.g. Electron in browser mode). */
  versions: Array<[string, string | null]>
  /** The page's browser in browser mode (navigator.userAgent), when the window asked. */
  userAgent?: string
  os: { platform: string; release: string; arch: string; cpus: number; memoryMb: number }
  settings: Settings
  secrets: SecretsStatus
  backend: BackendStatus | null
  assistant: AssistantStatus
  talkKey: TalkKeyStatus | null
  /** The recent turns, oldest first (only the last DIAGNOSTICS_TURNS are shown). */
  turns: TurnTrace[]
  log: { path: string; lines: string[]; note: string | null }
  /** Values that must not appear anywhere in the text (API keys, the backend's per-run secret). */
  secretValues: string[]
}

/** Query values and bearer tokens that look like credentials, wherever they occur (log lines included). */
const CREDENTIAL_IN_TEXT = /([?&](?:token|access_token|key|api_key|apikey|api-key|secret|password|sig|signature)=)[^&\s"'<>]+/gi
const BEARER = /\b(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}/g
/** A secret shorter than this is not searched for (it would blank out ordinary words). */
const MIN_SECRET_CHARS = 8

/** Remove every known secret value and credential-looking query value or bearer token. */
export function scrubSecrets(text: string, secretValues: readonly string[]): string {
  let out = text.replace(CREDENTIAL_IN_TEXT, '$1(set)').replace(BEARER, '$1(set)')
  for (const secret of secretValues) if (secret.length >= MIN_SECRET_CHARS) out = out.split(secret).join('(secret removed)')
  return out
}

const ms = (value: number | null | undefined): string => (value === null || value === undefined ? '–' : `${Math.round(value)}`)

/** One turn as one line: status, e2e against the budget, the stage waterfall, the named metrics, providers, notes. */
export function turnLine(trace: TurnTrace): string {
  // Traces carry the offsets that move each clock onto the main process's clock (renderer marks: the window's).
  const offsets: ClockOffsets = { main: 0 }
  if (trace.clockOffsets?.backend !== undefined) offsets.backend = trace.clockOffsets.backend
  if (trace.clockOffsets?.renderer !== undefined) offsets.renderer = trace.clockOffsets.renderer
  const aligned = alignMarks(trace.marks, offsets)
  const b = turnBreakdown(aligned.at, { compute: trace.compute })
  const typed = trace.notes?.includes(TYPED_TURN_NOTE) ? ' (typed)' : ''
  const parts = [`${trace.turnId} ${trace.status}${typed}`, `e2e ${b.e2eMs === null ? '–' : `${Math.round(b.e2eMs)} ms${b.e2eMs > TOTAL_BUDGET_MS ? ' OVER BUDGET' : ''}`}`]
  if (b.segments.length > 0) parts.push(b.segments.map((s) => `${[...s.includes, s.stage].join('+')} ${Math.round(s.durationMs)}${s.clamped ? '*' : ''}`).join(', '))
  const m = b.metrics
  parts.push(`eou_delay ${ms(m.end_of_utterance_delay)}, transcription_delay ${ms(m.transcription_delay)}, stt_compute ${ms(m.stt_compute_ms)}, llm_ttft ${ms(m.llm_ttft)}, tts_ttfb ${ms(m.tts_ttfb)}`)
  const providers = trace.providers ? Object.entries(trace.providers).map(([stage, name]) => `${stage}: ${name}`) : []
  if (providers.length > 0) parts.push(providers.join(', '))
  if (aligned.unaligned.length > 0) parts.push(`unaligned marks: ${aligned.unaligned.join(', ')}`)
  const notes = (trace.notes ?? []).filter((n) => n !== TYPED_TURN_NOTE)
  if (notes.length > 0) parts.push(`notes: ${notes.join(' | ')}`)
  return parts.join(' · ')
}

export function composeDiagnostics(input: DiagnosticsInput): string {
  const { app, backend, assistant, talkKey, secrets } = input
  const out: string[] = []
  const section = (title: string, lines: string[]): void => void out.push('', `## ${title}`, ...lines)
  out.push(`${app.name} diagnostics, ${input.generatedAt}`)
  out.push('Made on this computer and sent nowhere. API keys and tokens appear only as set / not set; no transcript or reply text.')

  section('Versions', [
    `app: ${app.name} ${app.version} (${app.mode === 'electron' ? 'desktop app' : `browser mode: ${app.modeReason ?? 'started in browser mode'}`})`,
    ...input.versions.map(([name, version]) => `${name}: ${version ?? 'not in this mode'}`),
    ...(input.userAgent ? [`browser: ${input.userAgent}`] : [])
  ])
  const os = input.os
  section('System', [`os: ${os.platform} ${os.release} (${os.arch}), ${os.cpus} CPUs, ${Math.round(os.memoryMb)} MB memory`])

  section(
    'Backend',
    backend
      ? [
          `state: ${backend.state} (${backend.kind})${backend.workers !== null ? `, ${backend.workers} mediasoup worker${backend.workers === 1 ? '' : 's'}` : ''}${backend.rttMs !== null ? `, signaling rtt ${Math.round(backend.rttMs)} ms` : ''}, since ${new Date(backend.since).toISOString()}`,
          `signaling: ${backend.signalingUrl ? redactUrl(backend.signalingUrl) : 'not known yet'}`,
          ...(backend.detail ? [`detail: ${backend.detail}`] : [])
        ]
      : ['not started']
  )

  section('Assistant', [
    `activity: ${assistant.activity}${assistant.micMuted ? ' (mic muted)' : ''}`,
    talkKey ? `talk key: ${talkKey.source}, ${talkKey.mode}, ${talkKey.accelerator ?? 'no chord'}: ${talkKey.detail}` : 'talk key: not set up in this process'
  ])

  section('API keys', [
    `storage: ${secrets.storage.kind}${secrets.storage.available ? '' : ` (${secrets.storage.reason ?? 'no reason given'})`}`,
    ...secretNames.map((name) => `${name}: ${secrets.keys[name] ? 'set' : 'not set'}`)
  ])

  section('Settings', redactSettings(input.settings))

  const turns = input.turns.slice(-DIAGNOSTICS_TURNS)
  section(`Last ${turns.length} turns (ms; budget ${TOTAL_BUDGET_MS} ms from the end of speech to the first sound)`, turns.length > 0 ? turns.map(turnLine) : ['no turns in this session yet'])

  const logLines = input.log.lines.slice(-DIAGNOSTICS_LOG_LINES)
  section(`Log (last ${logLines.length} lines of ${input.log.path})`, [...(input.log.note ? [`(${input.log.note})`] : []), ...logLines])

  return scrubSecrets(out.join('\n'), input.secretValues) + '\n'
}

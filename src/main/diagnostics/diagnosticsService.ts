import { createRequire } from 'node:module'
import { arch, cpus, release, totalmem } from 'node:os'
import type { AppInfo, AssistantStatus, BackendStatus } from '../../shared/contract/api'
import type { SecretsStatus } from '../../shared/contract/secrets'
import type { Settings } from '../../shared/contract/settings'
import type { TalkKeyStatus } from '../../shared/contract/talk'
import type { TurnTrace } from '../../shared/latency/trace'
import { readFileTail } from '../../node/logging/fileTail'
import { appLogPath } from '../../node/logging/logFiles'
import { composeDiagnostics, DIAGNOSTICS_LOG_LINES, DIAGNOSTICS_TURNS } from './diagnosticsReport'

/** What the diagnostics read from the running app (AppCore supplies these; tests pass plain values). */
export interface DiagnosticsSources {
  appInfo: AppInfo
  userDataDir: string
  settings(): Settings
  secretsStatus(): SecretsStatus
  /** The secret values to keep out of the text: the API keys and the backend's per-run secret. */
  secretValues(): string[]
  backendStatus(): BackendStatus | null
  assistantStatus(): AssistantStatus
  talkKeyStatus(): TalkKeyStatus | null
  /** name → version of the runtime and native parts (default: this process's, see runtimeVersions). */
  versions?(): Array<[string, string | null]>
  now?(): number
}

/** Versions of what this process runs: Electron and Chromium only inside Electron; mediasoup and onnxruntime-node as installed. */
export function runtimeVersions(versions: NodeJS.ProcessVersions = process.versions, packageVersion: (name: string) => string | null = installedPackageVersion): Array<[string, string | null]> {
  return [
    ['Electron', versions.electron ?? null],
    ['Chromium', versions.chrome ?? null],
    ['Node', versions.node],
    ['mediasoup', packageVersion('mediasoup')],
    ['onnxruntime-node', packageVersion('onnxruntime-node')]
  ]
}

/** An installed package's version from its package.json (null when it is not installed). Loads none of its code. */
export function installedPackageVersion(name: string): string | null {
  try {
    const pkg = createRequire(import.meta.url)(`${name}/package.json`) as { version?: unknown }
    return typeof pkg.version === 'string' ? pkg.version : null
  } catch {
    return null
  }
}

/**
 * "Copy diagnostics": gathers the inputs (the log file's tail with bounded memory, the session's recent turns,
 * versions, OS) and hands them to the pure composer. Keeps the latest trace of the last DIAGNOSTICS_TURNS turns it
 * was told about, so the tray can copy them without a window; a window sends its own (they carry its marks: speech
 * end at the mic, playout) and those are used instead.
 */
export class DiagnosticsService {
  private readonly turns = new Map<string, TurnTrace>()

  constructor(private readonly sources: DiagnosticsSources) {}

  /** A turn trace as the services saw it (the latest per turnId wins; the oldest turns are forgotten). */
  recordTurn(trace: TurnTrace): void {
    this.turns.delete(trace.turnId)
    this.turns.set(trace.turnId, trace)
    while (this.turns.size > DIAGNOSTICS_TURNS) this.turns.delete(this.turns.keys().next().value!)
  }

  async compose(fromWindow: { turns?: TurnTrace[]; userAgent?: string } = {}): Promise<string> {
    const s = this.sources
    const logPath = appLogPath(s.userDataDir)
    const log = await readFileTail(logPath, { maxLines: DIAGNOSTICS_LOG_LINES })
    return composeDiagnostics({
      generatedAt: new Date(s.now?.() ?? Date.now()).toISOString(),
      app: s.appInfo,
      versions: s.versions?.() ?? runtimeVersions(),
      ...(fromWindow.userAgent ? { userAgent: fromWindow.userAgent } : {}),
      os: { platform: process.platform, release: release(), arch: arch(), cpus: cpus().length, memoryMb: totalmem() / 2 ** 20 },
      settings: s.settings(),
      secrets: s.secretsStatus(),
      backend: s.backendStatus(),
      assistant: s.assistantStatus(),
      talkKey: s.talkKeyStatus(),
      turns: fromWindow.turns && fromWindow.turns.length > 0 ? fromWindow.turns : [...this.turns.values()],
      log: { path: logPath, lines: log.lines, note: log.note },
      secretValues: s.secretValues()
    })
  }
}

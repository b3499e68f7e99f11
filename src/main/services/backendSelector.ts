import WebSocket from 'ws'
import { SIGNALING_PROTOCOL_VERSION } from '../../shared/contract/signaling'
import { connectSignaling, type WebSocketLike } from '../../shared/signalingClient'
import { TypedEmitter } from '../../shared/typedEmitter'
import { DEFAULT_SELECTION_POLICY, chooseBackend, nextAfterFailure, rankBackends, type BackendProbe, type RankedBackend, type SelectionDecision, type SelectionPolicy } from './backendSelectorPolicy'
import type { Logger } from '../../shared/logging/logger'

export interface BackendSelectorOptions {
  /** Signaling URLs of the candidate backends (ws://host:port/signaling), in preference order for ties. */
  urls: string[]
  pingsPerProbe?: number
  pingTimeoutMs?: number
  /** Re-probe every this many ms (0 = only on demand). */
  probeEveryMs?: number
  policy?: SelectionPolicy
  logger?: Logger
}

export interface BackendSelection {
  current: string | null
  reason: SelectionDecision['reason']
  ranked: RankedBackend[]
  probedAt: number
}

/** Measure signaling RTT to one backend: open, hello, then `count` pings (each timed on this side's monotonic clock). */
export async function probeBackend(url: string, count = 3, timeoutMs = 1500): Promise<BackendProbe> {
  const probe: BackendProbe = { url, rttsMs: [], failures: 0 }
  let client
  try {
    client = await connectSignaling(url, (u) => new WebSocket(u) as unknown as WebSocketLike, timeoutMs)
  } catch {
    probe.failures = count
    return probe
  }
  try {
    await client.request('hello', { protocolVersion: SIGNALING_PROTOCOL_VERSION, client: 'backend-selector' }, timeoutMs)
    for (let i = 0; i < count; i++) {
      const t0 = performance.now()
      try {
        await client.request('ping', { clientTime: Date.now() }, timeoutMs)
        probe.rttsMs.push(performance.now() - t0)
      } catch {
        probe.failures++
      }
    }
  } catch {
    probe.failures = count
  } finally {
    client.close()
  }
  return probe
}

/**
 * Nearest-backend service: probes every configured backend (in parallel), ranks them by RTT and picks one with
 * the pure policy; re-probes periodically; `reportFailure` (the media connection to the current backend was lost)
 * fails over to the next-best at once. Emits 'change' whenever the selection or the ranking changes.
 */
export class BackendSelector extends TypedEmitter<{ change: BackendSelection }> {
  private selection: BackendSelection = { current: null, reason: 'none_reachable', ranked: [], probedAt: 0 }
  private timer: ReturnType<typeof setInterval> | null = null
  private readonly policy: SelectionPolicy

  constructor(private readonly opts: BackendSelectorOptions) {
    super()
    if (opts.urls.length === 0) throw new Error('BackendSelector needs at least one backend URL')
    for (const u of opts.urls) if (!/^wss?:\/\//.test(u)) throw new Error(`backend URL must be ws:// or wss://, got ${JSON.stringify(u)}`)
    this.policy = opts.policy ?? DEFAULT_SELECTION_POLICY
  }

  get state(): BackendSelection {
    return this.selection
  }

  async probe(): Promise<BackendSelection> {
    const probes = await Promise.all(this.opts.urls.map((u) => probeBackend(u, this.opts.pingsPerProbe ?? 3, this.opts.pingTimeoutMs ?? 1500)))
    const ranked = rankBackends(probes, this.policy)
    const decision = chooseBackend(ranked, this.selection.current, this.policy)
    this.selection = { current: decision.url, reason: decision.reason, ranked, probedAt: Date.now() }
    this.opts.logger?.info('backends probed', { ranked: ranked.map((b) => ({ url: b.url, rttMs: b.rttMs === null ? null : Number(b.rttMs.toFixed(1)) })), chosen: decision.url, reason: decision.reason })
    this.emit('change', this.selection)
    return this.selection
  }

  start(): void {
    void this.probe()
    const every = this.opts.probeEveryMs ?? 30_000
    if (every > 0 && !this.timer) this.timer = setInterval(() => void this.probe(), every)
  }

  /** The current backend stopped answering: switch to the next reachable one now, then re-probe. */
  reportFailure(url: string): string | null {
    if (url !== this.selection.current) return this.selection.current
    const ranked = this.selection.ranked.map((b) => (b.url === url ? { ...b, reachable: false } : b))
    const next = nextAfterFailure(ranked, url)
    this.selection = { current: next, reason: next ? 'failover' : 'none_reachable', ranked, probedAt: this.selection.probedAt }
    this.emit('change', this.selection)
    void this.probe()
    return next
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
  }
}

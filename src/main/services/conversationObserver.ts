import type { ApiEventName, ApiEventPayload, ApiResult } from '../../shared/contract/api'
import { ContractError } from '../../shared/contract/errors'
import type { SecretName } from '../../shared/contract/secrets'
import type { Settings } from '../../shared/contract/settings'
import { TURN_TRACE_NOTIFICATION, VOICE_NOTICE_NOTIFICATION, voiceNoticeSchema, type VoiceConfig } from '../../shared/contract/signaling'
import { ClockOffsetEstimator } from '../../shared/latency/clockOffset'
import { turnTraceSchema } from '../../shared/latency/trace'
import type { SignalingClient } from '../../shared/signalingClient'
import type { Logger } from '../../shared/logging/logger'

/**
 * The main process's side of a conversation: when the renderer has joined a backend session it hands over the
 * session id + token, and this observes the session on the main process's own signaling connection. Turn traces come
 * back as `turnTrace` api events carrying the backend → main clock offset (ping-based, min-RTT filter); failover
 * notices become `notice` events. The voice providers are configured from settings + the secrets store here, so API
 * keys never pass through the renderer.
 */

export interface ConversationObserverDeps {
  signaling: () => SignalingClient | null
  settings: () => Settings
  secret: (name: SecretName) => string | null
  emit: <E extends ApiEventName>(event: E, payload: ApiEventPayload<E>) => void
  logger?: Logger
  now?: () => number
}

const DEFAULT_MODELS = { stt: 'whisper-1', llm: 'gpt-4o-mini', tts: 'tts-1' } as const
const OPENAI_BASE_URL = 'https://api.openai.com/v1'

function isLoopbackUrl(url: string): boolean {
  try {
    const host = new URL(url).hostname
    return host === '127.0.0.1' || host === 'localhost' || host === '[::1]' || host === '::1'
  } catch {
    return false
  }
}

/**
 * settings.providers + keys → the backend's VoiceConfig. A stage whose provider is "openai" is used when the user
 * configured it (a key is set, or a base URL is set); otherwise the stage runs on the embedded providers only.
 * Keys go only to a backend reached over loopback or wss://.
 */
export function voiceConfigFromSettings(settings: Settings, secret: (name: SecretName) => string | null, signalingUrl: string | null): { config: VoiceConfig; problems: string[] } {
  const problems: string[] = []
  const keysAllowed = signalingUrl !== null && (signalingUrl.startsWith('wss://') || isLoopbackUrl(signalingUrl))
  const stage = (name: 'stt' | 'llm' | 'tts'): VoiceConfig['stt'] => {
    const choice = settings.providers[name]
    let key = secret(`${name}.apiKey`)
    if (choice.provider !== 'openai') {
      problems.push(`${name.toUpperCase()} provider "${choice.provider}" is not known; using the embedded one.`)
      return []
    }
    if (!key && !choice.baseUrl) return []
    if (key && !keysAllowed) {
      problems.push(`The ${name.toUpperCase()} API key is not sent to a backend over unencrypted ws:// (use wss://).`)
      key = null
    }
    return [{ kind: 'openai-compatible', baseUrl: choice.baseUrl ?? OPENAI_BASE_URL, apiKey: key, model: choice.model ?? DEFAULT_MODELS[name] }]
  }
  return { config: { stt: stage('stt'), llm: stage('llm'), tts: stage('tts'), turn: turnTaking(settings.listening) }, problems }
}

/** settings.listening → the session's turn taking (the turn policy's waits, the words a barge-in needs). */
export function turnTaking(listening: Settings['listening']): NonNullable<VoiceConfig['turn']> {
  const { replyAfterPauseMs, replyAfterCompleteMs, unfinishedPauseMs, bargeInMinWords } = listening
  return { replyAfterPauseMs, replyAfterCompleteMs, unfinishedPauseMs, bargeInMinWords }
}

export class ConversationObserver {
  private client: SignalingClient | null = null
  private estimator = new ClockOffsetEstimator(16)
  private pingTimer: ReturnType<typeof setInterval> | null = null
  private unsubscribe: (() => void) | null = null
  private readonly now: () => number

  constructor(private readonly deps: ConversationObserverDeps) {
    this.now = deps.now ?? Date.now
  }

  /** ms to add to a backend time to get main time; null until measured. */
  get backendToMainMs(): number | null {
    const e = this.estimator.estimate
    return e ? -e.offsetMs : null
  }

  async observe(sessionId: string, token: string, signalingUrl: string | null): Promise<ApiResult<'observeConversation'>> {
    const client = this.deps.signaling()
    if (!client) throw new ContractError('unavailable', 'the backend is not connected')
    this.attach(client)
    const { config, problems } = voiceConfigFromSettings(this.deps.settings(), this.deps.secret, signalingUrl)
    for (const message of problems) this.deps.emit('notice', { level: 'warning', message })
    this.deps.logger?.info('observing the conversation', { sessionId, configured: { stt: config.stt.length, llm: config.llm.length, tts: config.tts.length }, problems })
    let result: ApiResult<'observeConversation'>
    try {
      result = await client.request('observeSession', { sessionId, token, voice: config })
    } catch (error) {
      // A standalone backend decides its own providers (--client-providers, default none): observe with the
      // operator's providers rather than not at all, and say why the user's settings are not used there.
      if (!(error instanceof ContractError) || error.code !== 'forbidden') throw error
      this.deps.emit('notice', { level: 'info', message: `This backend uses its operator's voice providers, not the ones in your settings (${error.message}).` })
      result = await client.request('observeSession', { sessionId, token })
    }
    if (this.estimator.estimate === null) await this.pingBurst(client)
    return result
  }

  stop(): void {
    if (this.pingTimer) clearInterval(this.pingTimer)
    this.pingTimer = null
    this.unsubscribe?.()
    this.unsubscribe = null
    this.client = null
  }

  private attach(client: SignalingClient): void {
    if (this.client === client) return
    this.stop()
    this.client = client
    this.estimator = new ClockOffsetEstimator(16)
    this.unsubscribe = client.onNotification((name, data) => this.onNotification(name, data))
    void this.pingBurst(client)
    this.pingTimer = setInterval(() => void this.ping(client), 5000)
    this.pingTimer.unref?.()
    void client.closed.then(() => {
      if (this.client === client) this.stop()
    })
  }

  private async pingBurst(client: SignalingClient): Promise<void> {
    for (let i = 0; i < 5; i++) await this.ping(client)
  }

  private async ping(client: SignalingClient): Promise<void> {
    const t0 = this.now()
    try {
      const { serverTime } = await client.request('ping', { clientTime: t0 }, 2000)
      this.estimator.add({ t0, t1: serverTime, t2: serverTime, t3: this.now() })
    } catch {
      // The connection is going away; the next observe attaches to the new one.
    }
  }

  private onNotification(name: string, data: unknown): void {
    if (name === TURN_TRACE_NOTIFICATION) {
      const parsed = turnTraceSchema.safeParse(data)
      if (!parsed.success) return this.deps.logger?.warn('turn trace from the backend dropped', { issue: parsed.error.issues[0]?.message })
      const offset = this.backendToMainMs
      const trace = offset === null ? parsed.data : { ...parsed.data, clockOffsets: { ...parsed.data.clockOffsets, backend: offset } }
      if (trace.status !== 'running') this.deps.logger?.info('turn trace', { turnId: trace.turnId, status: trace.status, providers: trace.providers, computeMs: Object.fromEntries(Object.entries(trace.compute ?? {}).map(([k, v]) => [k, Math.round(v)])), marks: trace.marks.length, notes: trace.notes?.length ?? 0 })
      this.deps.emit('turnTrace', trace)
    } else if (name === VOICE_NOTICE_NOTIFICATION) {
      const parsed = voiceNoticeSchema.safeParse(data)
      if (!parsed.success) return
      this.deps.logger?.info('voice notice from the backend', { level: parsed.data.level, notice: parsed.data.message })
      this.deps.emit('notice', parsed.data)
    }
  }
}

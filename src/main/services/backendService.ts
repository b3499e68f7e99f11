import { spawn as nodeSpawn, type ChildProcess, type SpawnOptions } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createInterface } from 'node:readline'
import type { BackendRanking, BackendStatus } from '../../shared/contract/api'
import { backendCandidateUrls, type Settings } from '../../shared/contract/settings'
import { EMBEDDED_ORIGINS_ENV, EMBEDDED_SECRET_ENV, SIGNALING_PROTOCOL_VERSION } from '../../shared/contract/signaling'
import { backoffDelayMs, delayUnlessAborted } from '../../shared/backoff'
import { connectSignaling, type SignalingClient, type WebSocketFactory } from '../../shared/signalingClient'
import { TypedEmitter } from '../../shared/typedEmitter'
import { BackendSelector, type BackendSelectorOptions } from './backendSelector'
import { boundedLines, relogChildLine } from '../../node/logging/childLogLines'
import { silentLogger, type Logger } from '../../shared/logging/logger'
import { backendExitReport } from './backendExitReport'
import { StderrTail } from './stderrTail'

/** How to start the embedded backend process (see resolveBackendCommand). */
export interface BackendCommand {
  command: string
  args: string[]
  env?: Record<string, string>
  cwd?: string
  /**
   * The page origins of the app's renderer (app://bundle, browser mode's http://127.0.0.1:<port>), read at each
   * start: the embedded backend refuses a WebSocket from any other page. Browser mode knows its own only once it listens.
   */
  appOrigins?: () => readonly string[]
}

export type SpawnFn = (command: string, args: string[], options: SpawnOptions) => ChildProcess

export interface BackendServiceOptions {
  command: BackendCommand
  /**
   * The app's models folder (`<userData>/models`, where the model manager installs): the embedded backend is started
   * with `--models-dir` set to it, so its voice loop transcribes on the device with the model the user installed.
   */
  modelsDir?: string
  /** Current backend settings (embedded vs remote URL); read at every (re)start. */
  backendSettings: () => Settings['backend']
  wsFactory: WebSocketFactory
  spawn?: SpawnFn
  now?: () => number
  /**
   * The app's logger: the service's own lines go to a child with `part: 'backend-service'`, the embedded backend's
   * JSON log lines (its stderr) are re-logged at their own level on a child with `source: 'backend'`; an unexpected exit of the embedded backend is
   * reported on it with its stderr tail. Default: silent.
   */
  logger?: Logger
  /** How long the embedded backend may take to print its ready line. */
  readyTimeoutMs?: number
  healthIntervalMs?: number
  /** Automatic restarts after an unexpected exit before giving up and leaving the error shown. */
  maxAutoRestarts?: number
  /** Start-up failures (exit, error line or no ready line in time) retried with backoff before the error is shown. */
  maxStartRetries?: number
  /** Remote mode with several URLs: how the nearest one is measured (pings per backend, timeout). */
  selector?: Pick<BackendSelectorOptions, 'pingsPerProbe' | 'pingTimeoutMs'>
}

const NO_RANKING: BackendRanking = { backends: [], inUse: null, lastFailover: null, probedAt: null }

/**
 * Owns the connection to the backend: starts the embedded one as a child process (or uses the remote URL from
 * settings), checks it with signaling hello + periodic pings, and reports one status the UI shows. Start, stop and
 * restart run one generation at a time (see request), so no backend outlives its generation; start-up failures and
 * unexpected exits are retried with backoff; every error status says what happened and what to do.
 */
export class BackendService {
  readonly events = new TypedEmitter<{ status: BackendStatus; ranking: BackendRanking; notice: { level: 'info' | 'warning' | 'error'; message: string } }>()
  private statusValue: BackendStatus
  /** Remote mode with several URLs: measures RTT to each; the service joins the nearest and fails over in rank order. */
  private selector: BackendSelector | null = null
  private rankingValue: BackendRanking = NO_RANKING
  /** The current generation's backend process. */
  private child: ChildProcess | null = null
  /** Every backend process started and not yet exited (any generation): teardown kills and awaits them all. */
  private readonly children = new Set<ChildProcess>()
  /** The serialized start/stop queue (see request). */
  private tail: Promise<void> = Promise.resolve()
  private queued: { op: 'start' | 'stop'; result: Promise<BackendStatus> } | null = null
  private running: AbortController | null = null
  private signaling: SignalingClient | null = null
  private healthTimer: ReturnType<typeof setInterval> | null = null
  private restartTimer: ReturnType<typeof setTimeout> | null = null
  private restarts = 0
  private generation = 0
  /** The current backend's last stderr lines (last 40, at most 8 KB): what its exit is reported with. */
  private stderrTail = new StderrTail()
  private readonly now: () => number
  private readonly logger: Logger
  /** The embedded backend's lines (re-logged at their own level). */
  private readonly backendLogger: Logger

  constructor(private readonly opts: BackendServiceOptions) {
    this.now = opts.now ?? Date.now
    const root = opts.logger ?? silentLogger
    this.logger = root.child({ part: 'backend-service' })
    this.backendLogger = root.child({ source: 'backend' })
    this.statusValue = { state: 'stopped', kind: opts.backendSettings().mode, signalingUrl: null, detail: null, workers: null, rttMs: null, since: this.now() }
  }

  get status(): BackendStatus {
    return this.statusValue
  }

  get ranking(): BackendRanking {
    return this.rankingValue
  }

  /** The live signaling connection to the backend (null while not ready); the conversation observer uses it. */
  get signalingClient(): SignalingClient | null {
    return this.signaling
  }

  /**
   * Start (or restart) according to current settings. Resolves with the status once ready or failed.
   * Calls are serialized, one generation at a time (see request): concurrent calls never run two backends.
   */
  start(): Promise<BackendStatus> {
    return this.request('start')
  }

  /** Stop the backend (the child is terminated and awaited); a start queued before it is superseded. */
  async stop(): Promise<void> {
    await this.request('stop')
  }

  /**
   * The one way in for start and stop. Each request supersedes what runs now: the generation moves on (every await
   * of the running operation checks it), its wait for the ready line or a retry delay is aborted, and the next
   * operation begins by terminating every child (ours never outlive their generation). Requests that arrive while
   * one is already queued join it and the latest op wins, so 8 concurrent restarts run at most two start-ups, one
   * after the other (measured: 8 backends and 8 mediasoup workers were left before this existed).
   */
  private request(op: 'start' | 'stop'): Promise<BackendStatus> {
    this.generation++
    this.running?.abort()
    this.clearRestartTimer()
    if (this.queued) {
      this.queued.op = op
      return this.queued.result
    }
    const queued: { op: 'start' | 'stop'; result: Promise<BackendStatus> } = { op, result: Promise.resolve(this.statusValue) }
    queued.result = this.tail.then(async () => {
      if (this.queued === queued) this.queued = null
      const controller = new AbortController()
      this.running = controller
      try {
        if (queued.op === 'stop') {
          await this.teardown()
          return this.statusValue
        }
        return await this.runStart(this.generation, controller.signal)
      } finally {
        if (this.running === controller) this.running = null
      }
    })
    this.queued = queued
    this.tail = queued.result.then(
      () => undefined,
      () => undefined
    )
    return queued.result
  }

  private async runStart(generation: number, signal: AbortSignal): Promise<BackendStatus> {
    await this.teardown()
    if (generation !== this.generation) return this.statusValue
    const settings = this.opts.backendSettings()
    if (settings.mode === 'remote') {
      const urls = backendCandidateUrls(settings)
      if (urls.length === 0) {
        return this.set({ state: 'error', kind: 'remote', signalingUrl: null, workers: null, rttMs: null, detail: 'Remote backend selected but no URL is set: enter a ws:// URL in Settings or switch to the embedded backend.' })
      }
      if (urls.length > 1) return this.startNearest(urls, generation)
      this.set({ state: 'starting', kind: 'remote', signalingUrl: urls[0]!, workers: null, rttMs: null, detail: `Connecting to ${urls[0]}` })
      return this.connect(urls[0]!, generation)
    }
    this.set({ state: 'starting', kind: 'embedded', signalingUrl: null, workers: null, rttMs: null, detail: 'Starting the embedded backend' })
    const maxRetries = this.opts.maxStartRetries ?? 3
    for (let attempt = 0; ; attempt++) {
      let url: string
      try {
        url = await this.spawnEmbedded(generation, signal)
      } catch (error) {
        if (generation !== this.generation) return this.statusValue
        // A backend that failed to start may still run (no ready line in time): it goes before any retry.
        await this.killChildren()
        const tail = this.stderrTail.last(6).join('\n')
        const detail = `${(error as Error).message}${tail ? `\n${tail}` : ''}`
        if (attempt >= maxRetries) return this.set({ state: 'error', kind: 'embedded', signalingUrl: null, workers: null, rttMs: null, detail })
        const delay = backoffDelayMs(attempt)
        this.logger.warn('backend start-up failed; retrying', { error: (error as Error).message, delayMs: delay, attempt: attempt + 1 })
        this.set({ state: 'starting', kind: 'embedded', signalingUrl: null, workers: null, rttMs: null, detail: `${(error as Error).message}; retrying in ${delay} ms (attempt ${attempt + 2} of ${maxRetries + 1})` })
        if (!(await delayUnlessAborted(delay, signal)) || generation !== this.generation) return this.statusValue
        continue
      }
      return this.connect(url, generation)
    }
  }

  /** Stop everything of the current generation: timers, signaling, the selector and every child process. */
  private async teardown(): Promise<void> {
    this.clearRestartTimer()
    if (this.healthTimer) clearInterval(this.healthTimer)
    this.healthTimer = null
    this.signaling?.close()
    this.signaling = null
    this.selector = null
    if (this.rankingValue !== NO_RANKING) this.setRanking(NO_RANKING)
    await this.killChildren()
    if (this.statusValue.state !== 'stopped') this.set({ ...this.statusValue, state: 'stopped', detail: null, rttMs: null })
  }

  /** SIGTERM every child still alive (SIGKILL after 3 s) and wait until each has exited. */
  private async killChildren(): Promise<void> {
    this.child = null
    const alive = [...this.children]
    await Promise.all(
      alive.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) {
              this.children.delete(child)
              resolve()
              return
            }
            const kill = setTimeout(() => child.kill('SIGKILL'), 3000)
            child.once('exit', () => {
              clearTimeout(kill)
              resolve()
            })
            child.kill('SIGTERM')
          })
      )
    )
  }

  private clearRestartTimer(): void {
    if (this.restartTimer) clearTimeout(this.restartTimer)
    this.restartTimer = null
  }

  private setRanking(ranking: BackendRanking): void {
    this.rankingValue = ranking
    this.events.emit('ranking', ranking)
  }

  /** Probe every candidate (signaling pings, in parallel), then join the nearest reachable one. */
  private async startNearest(urls: string[], generation: number): Promise<BackendStatus> {
    this.set({ state: 'starting', kind: 'remote', signalingUrl: null, workers: null, rttMs: null, detail: `Measuring the round trip to ${urls.length} backends` })
    const selector = new BackendSelector({ urls, probeEveryMs: 0, ...this.opts.selector, logger: this.logger })
    this.selector = selector
    // Every probe round (the first, and the re-probe after a failover) refreshes the RTTs shown; the service keeps
    // deciding which backend is in use.
    selector.on('change', (selection) => {
      if (this.selector !== selector) return
      this.setRanking({ ...this.rankingValue, backends: selection.ranked, probedAt: selection.probedAt })
    })
    const selection = await selector.probe()
    if (generation !== this.generation) return this.statusValue
    return this.joinInRankOrder(selection.ranked.filter((b) => b.reachable).map((b) => b.url), urls.length, generation)
  }

  /** Connect to the first candidate that answers; each that does not is marked failed and the next is tried. */
  private async joinInRankOrder(candidates: string[], total: number, generation: number): Promise<BackendStatus> {
    const tried: string[] = []
    for (const url of candidates) {
      this.setRanking({ ...this.rankingValue, inUse: url })
      this.set({ state: 'starting', kind: 'remote', signalingUrl: url, workers: null, rttMs: null, detail: `Connecting to ${url} (nearest of ${total})` })
      const status = await this.connect(url, generation)
      if (generation !== this.generation || status.state === 'ready') return status
      tried.push(`${url}: ${status.detail ?? status.state}`)
      this.selector?.reportFailure(url)
    }
    this.setRanking({ ...this.rankingValue, inUse: null })
    const detail = `None of the ${total} backends answered.${tried.length ? `\n${tried.join('\n')}` : ''} Check the URLs in Settings and that the servers are running (npm run server).`
    return this.set({ state: 'error', kind: 'remote', signalingUrl: null, workers: null, rttMs: null, detail })
  }

  /** The backend in use was lost: switch to the next in rank order at once (no backoff); re-probe everything if none is left. */
  private async failover(lost: string, reason: string, generation: number): Promise<void> {
    if (this.healthTimer) clearInterval(this.healthTimer)
    this.healthTimer = null
    const selector = this.selector!
    const next = selector.reportFailure(lost)
    this.setRanking({ ...this.rankingValue, inUse: next, lastFailover: { from: lost, to: next, at: this.now(), reason } })
    const message = next ? `Lost the backend ${lost} (${reason}); switched to ${next}, the next nearest.` : `Lost the backend ${lost} (${reason}); no other backend answered, retrying all.`
    this.events.emit('notice', { level: 'warning', message })
    this.logger.warn('backend lost; failing over', { lost, reason, next })
    if (!next) {
      const delay = backoffDelayMs(this.restarts++)
      this.set({ ...this.statusValue, state: 'starting', rttMs: null, detail: `${message} Next try in ${Math.round(delay)} ms` })
      this.restartTimer = setTimeout(() => void this.start(), delay)
      return
    }
    const remaining = selector.state.ranked.filter((b) => b.reachable && b.url !== lost).map((b) => b.url)
    const status = await this.joinInRankOrder([next, ...remaining.filter((u) => u !== next)], selector.state.ranked.length, generation)
    if (generation !== this.generation) return
    if (status.state === 'ready') {
      this.set({ ...status, detail: `${status.detail ?? ''} — failed over from ${lost}` })
      return
    }
    const delay = backoffDelayMs(this.restarts++)
    this.set({ ...status, state: 'starting', detail: `${status.detail ?? ''}\nRetrying all backends in ${Math.round(delay)} ms` })
    this.restartTimer = setTimeout(() => void this.start(), delay)
  }

  private set(patch: Omit<BackendStatus, 'since'>): BackendStatus {
    this.statusValue = { ...patch, since: this.now() }
    this.events.emit('status', this.statusValue)
    return this.statusValue
  }

  private spawnEmbedded(generation: number, signal: AbortSignal): Promise<string> {
    const { command, env, cwd, appOrigins } = this.opts.command
    const args = this.opts.modelsDir ? [...this.opts.command.args, '--models-dir', this.opts.modelsDir] : this.opts.command.args
    const spawn = this.opts.spawn ?? nodeSpawn
    const stderrTail = (this.stderrTail = new StderrTail())
    // A fresh secret per backend process, only in its environment (argv is visible in ps): without it no connection
    // is accepted, so a web page or another local user cannot drive the embedded backend. Its ready line's URL
    // carries it back (?token=), and that URL is what the renderer and this service connect with.
    const launch = { [EMBEDDED_SECRET_ENV]: randomBytes(32).toString('base64url'), [EMBEDDED_ORIGINS_ENV]: (appOrigins?.() ?? []).join(' ') }
    return new Promise((resolve, reject) => {
      if (signal.aborted) {
        reject(new Error('superseded by a newer start or stop'))
        return
      }
      let child: ChildProcess
      try {
        child = spawn(command, args, { cwd, env: { ...process.env, ...env, ...launch, VOICE_BACKEND_EXIT_ON_STDIN_END: '1' }, stdio: ['pipe', 'pipe', 'pipe'] })
      } catch (error) {
        reject(new Error(`could not start the backend (${command}): ${(error as Error).message}`))
        return
      }
      this.child = child
      this.children.add(child)
      let settled = false
      const settle = (fn: () => void): void => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        signal.removeEventListener('abort', onAbort)
        fn()
      }
      const onAbort = (): void => settle(() => reject(new Error('superseded by a newer start or stop')))
      signal.addEventListener('abort', onAbort)
      const timeoutMs = this.opts.readyTimeoutMs ?? 30_000
      const timer = setTimeout(() => settle(() => reject(new Error(`the backend did not report ready within ${timeoutMs / 1000} s`))), timeoutMs)
      child.on('error', (error) => settle(() => reject(new Error(`could not start the backend (${command}): ${error.message}`))))
      child.stdin?.on('error', () => undefined) // EPIPE when the child is gone; its exit is reported below
      boundedLines(child.stderr!, (line) => {
        const entry = relogChildLine(line, this.backendLogger)
        // The tail shown with a start-up failure or an exit: the words, not the JSON around them.
        stderrTail.push(entry.structured ? `${entry.level}: ${entry.message}` : line)
      })
      createInterface({ input: child.stdout! }).on('line', (line) => {
        let msg: { event?: unknown; signalingUrl?: unknown; message?: unknown }
        try {
          msg = JSON.parse(line) as typeof msg
        } catch {
          this.backendLogger.warn('unexpected line on the backend\'s stdout', { line: line.slice(0, 2000) })
          return
        }
        if (msg.event === 'ready' && typeof msg.signalingUrl === 'string') settle(() => resolve(msg.signalingUrl as string))
        else if (msg.event === 'error' || msg.event === 'fatal') settle(() => reject(new Error(`backend failed: ${String(msg.message)}`)))
      })
      child.on('exit', (code, signal) => {
        this.children.delete(child)
        settle(() => reject(new Error(`the backend exited before it was ready (${signal ?? `code ${code}`})`)))
        if (this.child === child) this.onUnexpectedExit(generation, code, signal, child, stderrTail)
      })
    })
  }

  private onUnexpectedExit(generation: number, code: number | null, signal: NodeJS.Signals | null, child: ChildProcess, stderrTail: StderrTail): void {
    this.child = null
    if (generation !== this.generation || this.statusValue.state !== 'ready') return
    if (this.healthTimer) clearInterval(this.healthTimer)
    this.healthTimer = null
    const tail = stderrTail.last(3).join('\n')
    const max = this.opts.maxAutoRestarts ?? 5
    const gaveUp = this.restarts >= max
    const delay = gaveUp ? 0 : backoffDelayMs(this.restarts)
    // Its last words (a stack trace) can reach us just after the exit: report once its stderr ended, or 500 ms on.
    void streamEnded(child.stderr, 500).then(() => {
      const report = backendExitReport({ code, signal, pid: child.pid }, stderrTail.last(), gaveUp ? { gaveUpAfter: max } : { restartInMs: delay })
      ;(this.opts.logger ?? silentLogger).error(report.logMessage, report.fields)
      this.events.emit('notice', report.notice)
    })
    if (gaveUp) {
      this.set({ ...this.statusValue, state: 'error', rttMs: null, detail: `The backend stopped (${signal ?? `code ${code}`}) ${max} times; use Restart backend to try again.${tail ? `\n${tail}` : ''}` })
      return
    }
    this.restarts++
    this.set({ ...this.statusValue, state: 'starting', rttMs: null, detail: `The backend stopped (${signal ?? `code ${code}`}); restarting in ${Math.round(delay)} ms` })
    this.restartTimer = setTimeout(() => void this.start(), delay)
  }

  private async connect(url: string, generation: number): Promise<BackendStatus> {
    const kind = this.opts.backendSettings().mode
    try {
      const client = await connectSignaling(url, this.opts.wsFactory)
      if (generation !== this.generation) {
        client.close()
        return this.statusValue
      }
      this.signaling = client
      const t0 = this.now()
      const hello = await client.request('hello', { protocolVersion: SIGNALING_PROTOCOL_VERSION, client: 'voice-assistant-main' })
      if (hello.protocolVersion !== SIGNALING_PROTOCOL_VERSION) {
        client.close()
        return this.set({ state: 'error', kind, signalingUrl: url, workers: null, rttMs: null, detail: `Backend speaks signaling v${hello.protocolVersion}, this app needs v${SIGNALING_PROTOCOL_VERSION}: update the backend or the app.` })
      }
      void client.closed.then(({ code }) => {
        if (generation !== this.generation || this.signaling !== client) return
        this.signaling = null
        if (kind === 'remote' && this.selector) {
          void this.failover(url, `connection lost (code ${code})`, generation)
        } else if (kind === 'remote') {
          const delay = backoffDelayMs(this.restarts++)
          this.set({ ...this.statusValue, state: 'starting', rttMs: null, detail: `Lost the backend (code ${code}); reconnecting in ${delay} ms` })
          this.restartTimer = setTimeout(() => void this.start(), delay)
        }
      })
      this.startHealthChecks(client, generation)
      this.logger.info('backend connected', { kind, workers: hello.workers, serverVersion: hello.serverVersion })
      return this.set({ state: 'ready', kind, signalingUrl: url, workers: hello.workers, rttMs: this.now() - t0, detail: `Backend v${hello.serverVersion}, ${hello.workers} worker(s)` })
    } catch (error) {
      if (generation !== this.generation) return this.statusValue
      const hint = kind === 'remote' ? ' Check the URL in Settings and that the server is running (npm run server).' : ''
      return this.set({ state: 'error', kind, signalingUrl: url, workers: null, rttMs: null, detail: `Cannot reach the backend at ${url}: ${(error as Error).message}.${hint}` })
    }
  }

  private startHealthChecks(client: SignalingClient, generation: number): void {
    const interval = this.opts.healthIntervalMs ?? 5000
    let missed = 0
    this.healthTimer = setInterval(() => {
      const t0 = this.now()
      client.request('ping', { clientTime: t0 }, interval).then(
        () => {
          missed = 0
          if (generation !== this.generation || this.statusValue.state !== 'ready') return
          this.restarts = 0
          this.set({ ...this.statusValue, rttMs: this.now() - t0 })
        },
        (error: Error) => {
          this.logger.warn('backend health ping failed', { error: error.message })
          // With other backends to choose from, a backend that stops answering (socket still open) counts as lost.
          if (++missed < 2 || generation !== this.generation || this.signaling !== client || !this.selector) return
          this.signaling = null
          client.close()
          void this.failover(this.statusValue.signalingUrl ?? '', `${missed} health pings unanswered`, generation)
        }
      )
    }, interval)
  }
}

/** Resolves when the stream has ended (or was never there), or after `ms`, whichever comes first. */
function streamEnded(stream: NodeJS.ReadableStream | null | undefined, ms: number): Promise<void> {
  if (!stream || (stream as { readableEnded?: boolean }).readableEnded) return Promise.resolve()
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms)
    function done(): void {
      clearTimeout(timer)
      stream?.off('end', done)
      stream?.off('close', done)
      resolve()
    }
    stream.once('end', done)
    stream.once('close', done)
  })
}

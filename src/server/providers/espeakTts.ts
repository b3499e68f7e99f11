import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { realClock, type Clock, type TimerHandle } from '../../shared/clock'
import { ProviderError } from './errors'
import { StreamingWavReader } from '../../node/audio/wav'
import type { CallOptions, TtsProvider } from './types'

export interface EspeakOptions {
  /** espeak-ng voice, e.g. en-us, en-gb, en-us+f3. */
  voice?: string
  /** Words per minute (80–450). */
  wordsPerMinute?: number
  /** The executable (default: espeak-ng on PATH). */
  command?: string
  /**
   * Keep one process started and waiting on stdin for the next sentence (default on). espeak-ng spends ~70 ms
   * (much more on a loaded machine) loading its voice before it can speak; a warm process hides that from TTFB.
   */
  keepWarm?: boolean
  /**
   * Where the warm processes come from: the process-wide pool (the backend's VoiceRuntime passes its own). Without
   * one, an instance that keeps warm has a pool of its own, ended by its close().
   */
  pool?: EspeakProcessPool
  /**
   * How many warm processes `warmUp()` keeps ready (default 3: a reply's first sentences). Starting a process
   * blocks the event loop (fork of the whole backend: 60–100 ms measured on a loaded machine), which is the thread
   * that paces the reply's RTP: so processes are started when the user starts speaking (warmUp), never while a
   * reply plays unless a long reply has used up the spares.
   */
  spareProcesses?: number
}

interface Spawned {
  child: ChildProcessWithoutNullStreams
  /** Set if the process failed to start. */
  startError: NodeJS.ErrnoException | null
}

/** What espeak-ng writes with --stdout (its native rate); the turn resamples it to 48 kHz for Opus. */
export const ESPEAK_RATE = 22_050

/**
 * Warm espeak-ng processes, shared by every EspeakTts of this process with the same command line: a backend with
 * hundreds of voice sessions keeps a few spares in total, not a few per session (each spare is a process, and each
 * start is a fork that blocks the event loop). One pool per process, made by its owner (the backend's VoiceRuntime)
 * and passed to every EspeakTts; `close()` ends every spare.
 */
export class EspeakProcessPool {
  private readonly byCommandLine = new Map<string, WarmSet>()
  private closed = false

  constructor(private readonly clock: Clock = realClock) {}

  /** Spare processes started and not yet used, over every command line. */
  get spares(): number {
    let n = 0
    for (const set of this.byCommandLine.values()) n += set.spares.length
    return n
  }

  /** A user of the spares for one command line (an EspeakTts); the set ends with its last user. */
  join(command: string, args: string[], spawnOne: () => Spawned): WarmSet | null {
    if (this.closed) return null
    const key = [command, ...args].join('\u0000')
    let set = this.byCommandLine.get(key)
    if (!set) this.byCommandLine.set(key, (set = new WarmSet(this.clock, spawnOne, () => this.byCommandLine.delete(key))))
    set.users++
    return set
  }

  /** Kill every spare and stop warming; later joins get no spares (each sentence starts its own process). */
  close(): void {
    this.closed = true
    for (const set of [...this.byCommandLine.values()]) set.end()
  }
}

/** The warm spares of one command line. */
class WarmSet {
  spares: Spawned[] = []
  users = 0
  private warming: TimerHandle | null = null

  constructor(
    private readonly clock: Clock,
    private readonly spawnOne: () => Spawned,
    private readonly onEnd: () => void
  ) {}

  /** Top up to `count` spares, one spawn per event-loop turn (several in a row would stall the reply stream). */
  warm(count: number): void {
    for (const s of this.spares) if (!usable(s)) s.child.kill('SIGKILL')
    this.spares = this.spares.filter(usable)
    const step = (): void => {
      this.warming = null
      if (this.users === 0 || this.spares.length >= count) return
      this.spares.push(this.spawnOne())
      if (this.spares.length < count) this.warming = this.clock.setTimeout(step, 10)
    }
    if (this.warming === null) step()
  }

  take(): Spawned | null {
    while (this.spares.length > 0) {
      const spare = this.spares.shift()!
      if (usable(spare)) return spare
      spare.child.kill('SIGKILL')
    }
    return null
  }

  leave(): void {
    if (this.users === 0) return
    if (--this.users > 0) return
    this.end()
  }

  end(): void {
    this.users = 0
    if (this.warming !== null) this.clock.clearTimeout(this.warming)
    this.warming = null
    for (const s of this.spares) s.child.kill('SIGKILL')
    this.spares = []
    this.onEnd()
  }
}

/**
 * The embedded TTS: one `espeak-ng --stdout` process per sentence, its WAV read from the pipe as it is written, so
 * the first audio leaves before the sentence is fully synthesized. The text goes in on stdin (never on the
 * command line, so no text can be taken for an option). Abort kills the process. A spare process is kept
 * warm so the next sentence does not wait for start-up; `close()` ends it.
 */
export class EspeakTts implements TtsProvider {
  readonly stage = 'tts' as const
  readonly id = 'espeak-ng'
  readonly label = 'espeak-ng (on this machine)'
  readonly outputRate = ESPEAK_RATE
  private readonly args: string[]
  private readonly command: string
  private readonly keepWarm: boolean
  private readonly spareCount: number
  private readonly warmSet: WarmSet | null
  /** The pool this instance made for itself (no pool passed in): it ends with close(). */
  private readonly ownPool: EspeakProcessPool | null
  private closed = false

  constructor(opts: EspeakOptions = {}) {
    const voice = opts.voice ?? 'en-us'
    if (!/^[A-Za-z0-9_+-]{1,40}$/.test(voice)) throw new Error(`invalid espeak-ng voice ${JSON.stringify(voice)}`)
    const wpm = Math.round(opts.wordsPerMinute ?? 175)
    if (!(wpm >= 80 && wpm <= 450)) throw new Error(`espeak-ng rate must be 80–450 words per minute, got ${wpm}`)
    this.command = opts.command ?? 'espeak-ng'
    this.args = ['--stdout', '-v', voice, '-s', String(wpm), '--stdin']
    this.keepWarm = opts.keepWarm ?? true
    this.spareCount = Math.max(1, Math.min(8, Math.round(opts.spareProcesses ?? 3)))
    this.ownPool = this.keepWarm && !opts.pool ? new EspeakProcessPool() : null
    const pool = opts.pool ?? this.ownPool
    this.warmSet = this.keepWarm && pool ? pool.join(this.command, this.args, () => this.spawnProcess()) : null
  }

  /** Spare processes started and not yet used (shared with the other EspeakTts of the same voice and rate). */
  get warmSpares(): number {
    return this.warmSet?.spares.length ?? 0
  }

  /** Start spare processes now, up to `spareProcesses` (when the user starts speaking: no reply is playing). */
  warmUp(): void {
    if (!this.closed) this.warmSet?.warm(this.spareCount)
  }

  /** This instance is done; the shared spares end with the last instance. */
  close(): void {
    if (this.closed) return
    this.closed = true
    this.warmSet?.leave()
    this.ownPool?.close()
  }

  private spawnProcess(): Spawned {
    const child = spawn(this.command, this.args, { stdio: ['pipe', 'pipe', 'pipe'] })
    const spawned: Spawned = { child, startError: null }
    child.on('error', (error: NodeJS.ErrnoException) => (spawned.startError = error))
    child.stdin.on('error', () => undefined) // EPIPE when the process dies first; reported through 'error'/'close'
    // A spare must not keep the event loop (and so a CLI or a test) alive; takeProcess refs it again.
    setRef(child, false)
    return spawned
  }

  private takeProcess(): Spawned {
    const taken = (this.closed ? null : this.warmSet?.take()) ?? this.spawnProcess()
    setRef(taken.child, true)
    return taken
  }

  async *synthesize(text: string, opts: CallOptions): AsyncIterable<Int16Array> {
    const clean = stripControlCharacters(text).trim()
    if (!clean) return
    if (opts.signal.aborted) throw new ProviderError('cancelled', 'cancelled')
    const { child, startError } = this.takeProcess()
    const reader = new StreamingWavReader()
    const queue: Int16Array[] = []
    let failure: ProviderError | null = null
    let ended = false
    let wake: (() => void) | null = null
    const notify = (): void => {
      wake?.()
      wake = null
    }
    let stderr = ''
    const onAbort = (): void => {
      failure ??= new ProviderError('cancelled', 'cancelled')
      child.kill('SIGKILL')
      notify()
    }
    opts.signal.addEventListener('abort', onAbort, { once: true })
    const onStartError = (error: NodeJS.ErrnoException): void => {
      failure ??= error.code === 'ENOENT' ? new ProviderError('unavailable', `${this.command} is not installed (apt-get install espeak-ng)`) : new ProviderError('unavailable', `${this.command}: ${error.message}`)
      ended = true
      notify()
    }
    if (startError) onStartError(startError)
    child.on('error', onStartError)
    child.stderr.on('data', (d: Buffer) => {
      if (stderr.length < 2000) stderr += d.toString()
    })
    child.stdout.on('data', (bytes: Buffer) => {
      if (failure) return
      try {
        const samples = reader.push(bytes)
        if (samples.length > 0) queue.push(samples)
      } catch (error) {
        failure = new ProviderError('bad_response', `espeak-ng output: ${(error as Error).message}`)
        child.kill('SIGKILL')
      }
      notify()
    })
    child.on('close', (code) => {
      if (code !== 0 && !failure) failure = new ProviderError('bad_response', `espeak-ng exited with ${code}: ${stderr.trim().slice(0, 200)}`)
      ended = true
      notify()
    })
    child.stdin.end(clean + '\n')
    try {
      for (;;) {
        if (failure) throw failure
        const next = queue.shift()
        if (next) {
          yield next
          continue
        }
        if (ended) break
        await new Promise<void>((resolve) => (wake = resolve))
      }
      const rate = reader.wavFormat?.sampleRate
      if (rate !== undefined && rate !== this.outputRate) throw new ProviderError('bad_response', `espeak-ng wrote ${rate} Hz, expected ${this.outputRate}`)
    } finally {
      opts.signal.removeEventListener('abort', onAbort)
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    }
  }
}

function usable(s: Spawned): boolean {
  return !s.startError && s.child.exitCode === null && s.child.signalCode === null
}

function setRef(child: ChildProcessWithoutNullStreams, on: boolean): void {
  for (const handle of [child, child.stdin, child.stdout, child.stderr] as Array<{ ref?: () => void; unref?: () => void }>) {
    if (on) handle.ref?.()
    else handle.unref?.()
  }
}

/** Control characters (all but tab and newline) become spaces: espeak-ng reads some of them as commands. */
function stripControlCharacters(text: string): string {
  let out = ''
  for (const ch of text) {
    const code = ch.codePointAt(0)!
    out += (code <= 0x08 || (code >= 0x0b && code <= 0x1f) || code === 0x7f) ? ' ' : ch
  }
  return out
}

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { ProviderError } from './errors'
import { StreamingWavReader } from './pcm'
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
}

interface Spawned {
  child: ChildProcessWithoutNullStreams
  /** Set if the process failed to start. */
  startError: NodeJS.ErrnoException | null
}

/** What espeak-ng writes with --stdout (its native rate); the turn resamples it to 48 kHz for Opus. */
export const ESPEAK_RATE = 22_050

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
  private spare: Spawned | null = null
  private closed = false

  constructor(opts: EspeakOptions = {}) {
    const voice = opts.voice ?? 'en-us'
    if (!/^[A-Za-z0-9_+-]{1,40}$/.test(voice)) throw new Error(`invalid espeak-ng voice ${JSON.stringify(voice)}`)
    const wpm = Math.round(opts.wordsPerMinute ?? 175)
    if (!(wpm >= 80 && wpm <= 450)) throw new Error(`espeak-ng rate must be 80–450 words per minute, got ${wpm}`)
    this.command = opts.command ?? 'espeak-ng'
    this.args = ['--stdout', '-v', voice, '-s', String(wpm), '--stdin']
    this.keepWarm = opts.keepWarm ?? true
  }

  /** Start the spare process now (e.g. when a turn begins, while the LLM thinks). */
  warmUp(): void {
    if (this.keepWarm && !this.closed && !this.spare) this.spare = this.spawnProcess()
  }

  /** Kill the spare process. */
  close(): void {
    this.closed = true
    this.spare?.child.kill('SIGKILL')
    this.spare = null
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
    const spare = this.spare
    this.spare = null
    const usable = spare && !spare.startError && spare.child.exitCode === null && spare.child.signalCode === null
    if (spare && !usable) spare.child.kill('SIGKILL')
    const taken = usable ? spare : this.spawnProcess()
    setRef(taken.child, true)
    return taken
  }

  async *synthesize(text: string, opts: CallOptions): AsyncIterable<Int16Array> {
    const clean = text.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, ' ').trim()
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
    let spareScheduled = false
    child.stdout.on('data', (bytes: Buffer) => {
      if (!spareScheduled) {
        // Start the next sentence's process only once this one is speaking: spawning blocks the event loop for a
        // few ms, which must not land between the text arriving and the first audio.
        spareScheduled = true
        setImmediate(() => this.warmUp())
      }
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

function setRef(child: ChildProcessWithoutNullStreams, on: boolean): void {
  for (const handle of [child, child.stdin, child.stdout, child.stderr] as Array<{ ref?: () => void; unref?: () => void }>) {
    if (on) handle.ref?.()
    else handle.unref?.()
  }
}

import { isCancelled, ProviderError, toProviderError } from './errors'
import type { AnyProvider, Stage } from './types'

/**
 * Runs one call against an ordered list of providers, like LiveKit's FallbackAdapter: when a provider fails (no
 * key, unreachable, 4xx/5xx, no first chunk in time, a stalled or broken stream) the same call goes to the next
 * one, so the turn is not lost; a failed provider sits out `cooldownMs` (tried last meanwhile). Each switch is
 * reported once through `onSwitch` with a message a user can act on. Cancellation (barge-in) is not a failure:
 * it stops the call at once and never switches.
 */

export interface FallbackChainOptions {
  stage: Stage
  /** A call that yields nothing for this long after it starts is a timeout. */
  firstChunkTimeoutMs: number
  /** A stream that stalls this long between chunks is a timeout. */
  idleTimeoutMs: number
  /** How long a failed provider is moved to the back of the list. */
  cooldownMs?: number
  now?: () => number
  onSwitch?: (event: FallbackSwitch) => void
  /**
   * What a call says when no provider is there to try (none configured, or none available now): a sentence that
   * tells the user what to do. Default: "<stage>: no provider configured".
   */
  noProviderMessage?: () => string
}

/** Per call: who wants to hear about this call's switches too (the turn puts them in its trace's notes). */
export interface CallHooks {
  onSwitch?: (event: FallbackSwitch) => void
}

export interface ProviderRef {
  id: string
  label: string
}

export interface FallbackSwitch {
  stage: Stage
  from: ProviderRef
  /** null: no provider left, the call fails. */
  to: ProviderRef | null
  error: ProviderError
  /** The failed provider had already produced output for this call (its partial output is discarded). */
  afterOutput: boolean
  /** One line for the UI, e.g. "LLM: OpenAI-compatible (…) failed: HTTP 401 (check the API key) — using Embedded skills". */
  message: string
}

export type ChainItem<T, P> =
  | { type: 'chunk'; value: T; provider: P }
  /** The previous provider broke mid-output: drop what it produced for this call; `provider` starts over. */
  | { type: 'restart'; provider: P; error: ProviderError }

export class FallbackExhaustedError extends ProviderError {
  constructor(
    readonly stage: Stage,
    readonly attempts: Array<{ provider: ProviderRef; error: ProviderError }>,
    noProviderMessage?: string
  ) {
    super(
      attempts.at(-1)?.error.kind ?? 'unavailable',
      attempts.length === 0
        ? (noProviderMessage ?? `${stageName(stage)}: no provider configured`)
        : `${stageName(stage)}: every provider failed — ${attempts.map((a) => `${a.provider.label}: ${a.error.message}`).join('; ')}`
    )
    this.name = 'FallbackExhaustedError'
  }
}

export function stageName(stage: Stage): string {
  return stage === 'stt' ? 'Speech to text' : stage === 'llm' ? 'LLM' : 'Text to speech'
}

const DEFAULT_COOLDOWN_MS = 30_000

export class FallbackChain<P extends AnyProvider> {
  private readonly downUntil = new Map<string, number>()
  private readonly now: () => number

  constructor(
    readonly providers: readonly P[],
    private readonly opts: FallbackChainOptions
  ) {
    this.now = opts.now ?? (() => performance.now())
  }

  /**
   * Providers in the order the next call will try them: healthy ones first, cooling-down ones last. A provider that
   * says it is not available now (`available()` false: the on-device engine with no model installed) is left out.
   */
  order(): P[] {
    const t = this.now()
    const present = this.providers.filter((p) => p.available?.() !== false)
    const healthy = present.filter((p) => (this.downUntil.get(p.id) ?? -Infinity) <= t)
    const cooling = present.filter((p) => !healthy.includes(p))
    return [...healthy, ...cooling]
  }

  /** A streaming call (LLM tokens, TTS audio). Ends when a provider completes; throws FallbackExhaustedError. */
  async *stream<T>(call: (provider: P, signal: AbortSignal) => AsyncIterable<T>, signal: AbortSignal, hooks: CallHooks = {}): AsyncGenerator<ChainItem<T, P>> {
    const attempts: Array<{ provider: ProviderRef; error: ProviderError }> = []
    const order = this.order()
    let produced = false
    for (let i = 0; i < order.length; i++) {
      const provider = order[i]!
      if (signal.aborted) throw new ProviderError('cancelled', 'cancelled')
      if (produced) {
        // The last provider broke mid-output: the consumer drops its partial output and starts over with this one.
        yield { type: 'restart', provider, error: attempts.at(-1)!.error }
      }
      produced = false
      const attempt = new AbortController()
      const onOuterAbort = (): void => attempt.abort(new ProviderError('cancelled', 'cancelled'))
      signal.addEventListener('abort', onOuterAbort, { once: true })
      let iterator: AsyncIterator<T> | undefined
      try {
        iterator = call(provider, attempt.signal)[Symbol.asyncIterator]()
        for (;;) {
          const next = await this.nextWithin(iterator, produced ? this.opts.idleTimeoutMs : this.opts.firstChunkTimeoutMs, attempt, produced)
          if (next.done) break
          produced = true
          yield { type: 'chunk', value: next.value, provider }
        }
        this.downUntil.delete(provider.id)
        return
      } catch (error) {
        const failure = toProviderError(error, { during: produced ? 'stream' : 'request', signal: signal.aborted ? signal : attempt.signal.aborted ? attempt.signal : undefined })
        if (signal.aborted || isCancelled(failure)) {
          throw new ProviderError('cancelled', 'cancelled')
        }
        attempts.push({ provider: ref(provider), error: failure })
        this.downUntil.set(provider.id, this.now() + (this.opts.cooldownMs ?? DEFAULT_COOLDOWN_MS))
        const to = order[i + 1]
        this.report(provider, to, failure, produced, hooks)
      } finally {
        signal.removeEventListener('abort', onOuterAbort)
        if (!attempt.signal.aborted) attempt.abort(new ProviderError('cancelled', 'call finished'))
        void iterator?.return?.()?.catch(() => undefined)
      }
    }
    throw new FallbackExhaustedError(this.opts.stage, attempts, attempts.length === 0 ? this.opts.noProviderMessage?.() : undefined)
  }

  /** A one-shot call (STT): the same rules, with the first-chunk timeout as the whole call's timeout. */
  async once<T>(call: (provider: P, signal: AbortSignal) => Promise<T>, signal: AbortSignal, hooks: CallHooks = {}): Promise<{ value: T; provider: P }> {
    for await (const item of this.stream(
      async function* (provider, s) {
        yield await call(provider, s)
      },
      signal,
      hooks
    )) {
      if (item.type === 'chunk') return { value: item.value, provider: item.provider }
    }
    throw new ProviderError('bad_response', `${stageName(this.opts.stage)}: the provider returned nothing`)
  }

  private report(from: P, to: P | undefined, error: ProviderError, afterOutput: boolean, hooks: CallHooks): void {
    const what = `${stageName(this.opts.stage)}: ${from.label} ${afterOutput ? 'broke off mid-reply' : 'failed'}: ${error.message}`
    const message = to ? `${what} — using ${to.label}` : `${what} — no other provider left`
    const event: FallbackSwitch = { stage: this.opts.stage, from: ref(from), to: to ? ref(to) : null, error, afterOutput, message }
    this.opts.onSwitch?.(event)
    hooks.onSwitch?.(event)
  }

  /** iterator.next(), but a timeout or an abort wins the race and aborts the attempt. */
  private nextWithin<T>(iterator: AsyncIterator<T>, timeoutMs: number, attempt: AbortController, produced: boolean): Promise<IteratorResult<T>> {
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        clearTimeout(timer)
        reject(attempt.signal.reason)
      }
      const timer = setTimeout(() => {
        const error = new ProviderError('timeout', produced ? `the stream stalled for more than ${timeoutMs} ms` : `no answer within ${timeoutMs} ms`)
        attempt.abort(error)
      }, timeoutMs)
      if (attempt.signal.aborted) return onAbort()
      attempt.signal.addEventListener('abort', onAbort, { once: true })
      iterator.next().then(
        (result) => {
          clearTimeout(timer)
          attempt.signal.removeEventListener('abort', onAbort)
          resolve(result)
        },
        (error: unknown) => {
          clearTimeout(timer)
          attempt.signal.removeEventListener('abort', onAbort)
          reject(attempt.signal.aborted ? attempt.signal.reason : error)
        }
      )
    })
  }
}

function ref(p: AnyProvider): ProviderRef {
  return { id: p.id, label: p.label }
}

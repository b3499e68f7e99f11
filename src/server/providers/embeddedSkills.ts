import { ProviderError } from './errors'
import type { CallOptions, ChatMessage, LlmProvider } from './types'

/**
 * The embedded offline "LLM": a handful of built-in skills (time, date, timers, arithmetic, repeat, help) so the
 * voice loop answers with no keys and no network. `answerSkill` is pure (query, history, clock in; text out);
 * `EmbeddedSkillsLlm` streams its answer word by word like a real model and owns the running timers.
 */

export interface SkillContext {
  now: Date
  /** IANA zone for time/date answers; undefined = the machine's. */
  timeZone?: string
  history: ChatMessage[]
  timers: TimerBook
}

export interface TimerInfo {
  id: number
  label: string
  durationMs: number
  endsAt: number
}

/** The timers a skills instance runs. The LLM provider owns the real setTimeout; the skill only books them. */
export interface TimerBook {
  list(): TimerInfo[]
  start(durationMs: number, label: string): TimerInfo
  cancelAll(): number
}

export interface SkillAnswer {
  skill: 'time' | 'date' | 'timer' | 'arithmetic' | 'repeat' | 'help' | 'greeting' | 'unknown'
  text: string
}

const HELP =
  "I'm the offline assistant. I can tell you the time or the date, set, check and cancel timers, do arithmetic like twelve times seven, and repeat things: say repeat after me, then your words."

export function answerSkill(query: string, ctx: SkillContext): SkillAnswer {
  const q = normalize(query)
  if (!q) return { skill: 'unknown', text: "I didn't catch that. Say help to hear what I can do." }

  const repeatAfter = /^(?:please )?(?:repeat after me|say|repeat)[,:]? (.+)$/.exec(q)
  if (/^(?:please )?(?:repeat that|say that again|what did you (?:just )?say|come again|pardon)\b/.test(q)) {
    const last = [...ctx.history].reverse().find((m) => m.role === 'assistant')
    return { skill: 'repeat', text: last ? last.content : "I haven't said anything yet." }
  }
  if (repeatAfter && !/^(?:say|repeat) (?:the )?(?:time|date)\b/.test(q)) {
    const original = /(?:repeat after me|say|repeat)[,:]?\s+(.+)$/i.exec(query.trim())
    return { skill: 'repeat', text: (original?.[1] ?? repeatAfter[1]!).trim() }
  }
  if (/\b(help|what can you do|what do you do)\b/.test(q)) return { skill: 'help', text: HELP }

  if (/\btimers?\b/.test(q)) return timerSkill(q, ctx)

  const math = arithmetic(q)
  if (math) return { skill: 'arithmetic', text: math }

  if (/\b(what time|the time|time is it|current time)\b/.test(q)) {
    const time = new Intl.DateTimeFormat('en-US', { hour: 'numeric', minute: '2-digit', timeZone: ctx.timeZone }).format(ctx.now)
    return { skill: 'time', text: `It's ${time}.` }
  }
  if (/\b(date|what day|which day|today)\b/.test(q)) {
    const date = new Intl.DateTimeFormat('en-US', { weekday: 'long', month: 'long', day: 'numeric', year: 'numeric', timeZone: ctx.timeZone }).format(ctx.now)
    return { skill: 'date', text: `Today is ${date}.` }
  }
  if (/^(hi|hello|hey|good (morning|afternoon|evening))\b/.test(q)) return { skill: 'greeting', text: 'Hello! How can I help?' }
  return { skill: 'unknown', text: `Sorry, I can't answer that offline. ${HELP}` }
}

function normalize(text: string): string {
  return text
    .toLowerCase()
    .replace(/[’']/g, "'")
    .replace(/[?!.,;:]+(\s|$)/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
}

// ---- timers ----

const UNIT_MS: Record<string, number> = { second: 1000, minute: 60_000, hour: 3_600_000 }

function timerSkill(q: string, ctx: SkillContext): SkillAnswer {
  if (/\b(cancel|stop|delete|clear)\b/.test(q)) {
    const n = ctx.timers.cancelAll()
    return { skill: 'timer', text: n === 0 ? 'There is no timer running.' : n === 1 ? 'Timer cancelled.' : `${n} timers cancelled.` }
  }
  const duration = parseDuration(q)
  if (duration && !/\b(how (much|long)|left|remaining)\b/.test(q)) {
    if (duration.ms > 24 * 3_600_000) return { skill: 'timer', text: 'I can set timers of up to 24 hours.' }
    ctx.timers.start(duration.ms, duration.spoken)
    return { skill: 'timer', text: `Timer set for ${duration.spoken}.` }
  }
  const running = ctx.timers.list()
  if (running.length === 0) return { skill: 'timer', text: 'There is no timer running. Say, for example, set a timer for five minutes.' }
  const parts = running.map((t) => `${spokenDuration(Math.max(0, t.endsAt - ctx.now.getTime()))} left on the ${t.label} timer`)
  return { skill: 'timer', text: `${capitalize(parts.join(', and '))}.` }
}

function parseDuration(q: string): { ms: number; spoken: string } | null {
  const words = numberWordsToDigits(q.replace(/\ba (second|minute|hour)\b/g, '1 $1').replace(/\b(an) hour\b/g, '1 hour').replace(/\bhalf an hour\b/g, '30 minutes'))
  const re = /(\d+(?:\.\d+)?)[ -](second|minute|hour)s?\b/g
  let ms = 0
  const spoken: string[] = []
  for (const m of words.matchAll(re)) {
    const value = Number(m[1])
    ms += value * UNIT_MS[m[2]!]!
    spoken.push(`${m[1]} ${m[2]}${value === 1 ? '' : 's'}`)
  }
  return ms > 0 ? { ms: Math.round(ms), spoken: spoken.join(' and ') } : null
}

export function spokenDuration(ms: number): string {
  const total = Math.round(ms / 1000)
  const h = Math.floor(total / 3600)
  const m = Math.floor((total % 3600) / 60)
  const s = total % 60
  const parts: string[] = []
  if (h) parts.push(`${h} hour${h === 1 ? '' : 's'}`)
  if (m) parts.push(`${m} minute${m === 1 ? '' : 's'}`)
  if (s || parts.length === 0) parts.push(`${s} second${s === 1 ? '' : 's'}`)
  return parts.join(' ')
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1)
}

// ---- arithmetic ----

const SMALL: Record<string, number> = {
  zero: 0, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10, eleven: 11,
  twelve: 12, thirteen: 13, fourteen: 14, fifteen: 15, sixteen: 16, seventeen: 17, eighteen: 18, nineteen: 19
}
const TENS: Record<string, number> = { twenty: 20, thirty: 30, forty: 40, fifty: 50, sixty: 60, seventy: 70, eighty: 80, ninety: 90 }
const SCALES: Record<string, number> = { hundred: 100, thousand: 1000, million: 1_000_000 }

/** "twenty one" → "21", "one hundred and five" → "105", "3,000" → "3000"; other words untouched. */
export function numberWordsToDigits(text: string): string {
  const tokens = text.replace(/(\d),(\d{3})\b/g, '$1$2').replace(/-/g, ' ').split(' ')
  const out: string[] = []
  let current: number | null = null
  let total = 0
  const flush = (): void => {
    if (current !== null || total > 0) out.push(String(total + (current ?? 0)))
    current = null
    total = 0
  }
  for (let i = 0; i < tokens.length; i++) {
    const w = tokens[i]!
    if (w in SMALL || w in TENS) {
      const v = SMALL[w] ?? TENS[w]!
      if (current !== null && (current % 10 !== 0 || current === 0 || v >= 10) && current < 100) flush()
      current = (current ?? 0) + v
    } else if (w in SCALES && current !== null) {
      const scale = SCALES[w]!
      if (scale === 100) current *= 100
      else {
        total += current * scale
        current = null
      }
    } else if (w === 'and' && current !== null && tokens[i + 1] !== undefined && (tokens[i + 1]! in SMALL || tokens[i + 1]! in TENS)) {
      // "one hundred and five"
    } else {
      flush()
      out.push(w)
    }
  }
  flush()
  return out.join(' ')
}

type Tok = { kind: 'num'; value: number } | { kind: 'op'; op: '+' | '-' | '*' | '/' | '^' | '(' | ')' } | { kind: 'fn'; fn: 'sqrt' }

const PHRASES: Array<[RegExp, string]> = [
  [/\bto the power of\b|\braised to(?: the power of)?\b/g, ' ^ '],
  [/\bsquare root of\b/g, ' sqrt '],
  [/\bmultiplied by\b|\btimes\b|\bx\b|×/g, ' * '],
  [/\bdivided by\b|\bover\b|÷/g, ' / '],
  [/\bplus\b|\band\b/g, ' + '],
  [/\bminus\b/g, ' - '],
  [/\bsquared\b/g, ' ^ 2 '],
  [/\bcubed\b/g, ' ^ 3 ']
]

/** "what is 12 times 7" → "12 times 7 is 84."; null when the query holds no arithmetic. */
export function arithmetic(q: string): string | null {
  const body = /^(?:what(?:'s| is)|how much is|calculate|compute|what do you get (?:for|from)|whats)\s+(.+)$/.exec(q)?.[1] ?? q
  let text = numberWordsToDigits(body)
  const percent = /^(\d+(?:\.\d+)?) ?(?:%|percent) of (\d+(?:\.\d+)?)$/.exec(text)
  if (percent) {
    const value = (Number(percent[1]) / 100) * Number(percent[2])
    return `${percent[1]} percent of ${percent[2]} is ${formatNumber(value)}.`
  }
  for (const [re, rep] of PHRASES) text = text.replace(re, rep)
  const tokens = tokenize(text)
  if (!tokens || !tokens.some((t) => t.kind === 'op' || t.kind === 'fn') || tokens.filter((t) => t.kind === 'num').length === 0) return null
  let value: number
  try {
    value = evaluate(tokens)
  } catch {
    return null
  }
  const spoken = spokenExpression(tokens)
  if (!Number.isFinite(value)) return `${spoken} is not a number I can give you${/\/\s*0\b/.test(text) ? ': you cannot divide by zero' : ''}.`
  return `${spoken} is ${formatNumber(value)}.`
}

function tokenize(text: string): Tok[] | null {
  const tokens: Tok[] = []
  for (const raw of text.split(/\s+|(?=[-+*/^()])|(?<=[-+*/^()])/)) {
    const w = raw.trim()
    if (!w) continue
    if (/^\d+(\.\d+)?$/.test(w)) tokens.push({ kind: 'num', value: Number(w) })
    else if (w === 'sqrt') tokens.push({ kind: 'fn', fn: 'sqrt' })
    else if (['+', '-', '*', '/', '^', '(', ')'].includes(w)) tokens.push({ kind: 'op', op: w as '+' })
    else if (['the', 'of', 'is', 'equal', 'equals', 'by'].includes(w)) continue
    else return null // a word that is not arithmetic: not a math question
  }
  return tokens
}

/** Recursive descent: expr = term (+|- term)*; term = power (*|/ power)*; power = unary (^ power)?; unary = -unary | sqrt unary | atom. */
function evaluate(tokens: Tok[]): number {
  let i = 0
  const peekOp = (): string | null => {
    const t = tokens[i]
    return t?.kind === 'op' ? t.op : null
  }
  const expr = (): number => {
    let v = term()
    for (let op = peekOp(); op === '+' || op === '-'; op = peekOp()) {
      i++
      v = op === '+' ? v + term() : v - term()
    }
    return v
  }
  const term = (): number => {
    let v = power()
    for (let op = peekOp(); op === '*' || op === '/'; op = peekOp()) {
      i++
      v = op === '*' ? v * power() : v / power()
    }
    return v
  }
  const power = (): number => {
    const base = unary()
    if (peekOp() === '^') {
      i++
      return base ** power()
    }
    return base
  }
  const unary = (): number => {
    const t = tokens[i]
    if (t?.kind === 'op' && t.op === '-') {
      i++
      return -unary()
    }
    if (t?.kind === 'fn') {
      i++
      return Math.sqrt(unary())
    }
    if (t?.kind === 'op' && t.op === '(') {
      i++
      const v = expr()
      if (peekOp() !== ')') throw new Error('unbalanced parenthesis')
      i++
      return v
    }
    if (t?.kind === 'num') {
      i++
      return t.value
    }
    throw new Error('expected a number')
  }
  const v = expr()
  if (i !== tokens.length) throw new Error('trailing tokens')
  return v
}

const OP_WORDS: Record<string, string> = { '+': 'plus', '-': 'minus', '*': 'times', '/': 'divided by', '^': 'to the power of', '(': '', ')': '' }

function spokenExpression(tokens: Tok[]): string {
  const words = tokens.map((t) => (t.kind === 'num' ? formatNumber(t.value) : t.kind === 'fn' ? 'the square root of' : OP_WORDS[t.op]!)).filter(Boolean)
  return capitalize(words.join(' '))
}

export function formatNumber(value: number): string {
  if (Number.isInteger(value)) return Math.abs(value) >= 1e15 ? value.toExponential(3) : String(value)
  return String(Number(value.toFixed(4)))
}

// ---- the provider ----

export interface EmbeddedSkillsOptions {
  timeZone?: string
  now?: () => number
  /** Called when a timer ends, with what to say ("Your 5 minutes timer is done."). */
  onTimerDone?: (timer: TimerInfo, announcement: string) => void
}

export class EmbeddedSkillsLlm implements LlmProvider {
  readonly stage = 'llm' as const
  readonly id = 'embedded-skills'
  readonly label = 'Embedded skills (offline)'
  private readonly timers = new Map<number, { info: TimerInfo; handle: ReturnType<typeof setTimeout> }>()
  private nextTimerId = 1
  private readonly now: () => number
  lastSkill: SkillAnswer['skill'] | null = null

  constructor(private readonly opts: EmbeddedSkillsOptions = {}) {
    this.now = opts.now ?? Date.now
  }

  readonly timerBook: TimerBook = {
    list: () => [...this.timers.values()].map((t) => t.info),
    start: (durationMs, label) => {
      const info: TimerInfo = { id: this.nextTimerId++, label, durationMs, endsAt: this.now() + durationMs }
      const handle = setTimeout(() => {
        this.timers.delete(info.id)
        this.opts.onTimerDone?.(info, `Your ${label} timer is done.`)
      }, durationMs)
      handle.unref?.()
      this.timers.set(info.id, { info, handle })
      return info
    },
    cancelAll: () => {
      const n = this.timers.size
      for (const t of this.timers.values()) clearTimeout(t.handle)
      this.timers.clear()
      return n
    }
  }

  async *stream(messages: ChatMessage[], opts: CallOptions): AsyncIterable<string> {
    const lastUser = [...messages].reverse().find((m) => m.role === 'user')
    if (!lastUser) throw new ProviderError('bad_response', 'no user message to answer')
    const history = messages.slice(0, messages.lastIndexOf(lastUser))
    const answer = answerSkill(lastUser.content, { now: new Date(this.now()), timeZone: this.opts.timeZone, history, timers: this.timerBook })
    this.lastSkill = answer.skill
    // Token-like pieces (a word and its trailing space), so downstream streaming is exercised as with a real model.
    for (const piece of answer.text.match(/\S+\s*/g) ?? []) {
      if (opts.signal.aborted) throw new ProviderError('cancelled', 'cancelled')
      yield piece
    }
  }

  close(): void {
    this.timerBook.cancelAll()
  }
}

import { parseArgs, type ParseArgsConfig } from 'node:util'

/**
 * Command lines of the project's entries (src CLIs and the benches): `node:util` parseArgs with `strict: true`, so a
 * mistyped flag is an error that names the flags there are, never a run with the defaults. scripts/lib.mjs has the
 * same for the .mjs scripts (plain node cannot import TypeScript); keep the two messages alike.
 */

/** The command line cannot be run as given; the message says why. Entries print it and exit with code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'UsageError'
  }
}

export type CliOptions = NonNullable<ParseArgsConfig['options']>

export interface CliSpec<O extends CliOptions> {
  options: O
  /** Names of the positional arguments the command takes (all optional; none by default). */
  positionals?: readonly string[]
}

type Parsed<O extends CliOptions> = ReturnType<typeof parseArgs<{ options: O; strict: true; allowPositionals: true }>>

/** "--seconds, --k, --quiet (-q)": the options as they are typed. */
export function knownOptions(options: CliOptions): string {
  const names = Object.entries(options).map(([name, o]) => `--${name}${o.short ? ` (-${o.short})` : ''}`)
  return names.length ? names.join(', ') : 'none'
}

/** Parse `argv` strictly. Throws UsageError for an unknown option (naming the known ones), a missing or extra value,
 * or more positional arguments than the command takes. */
export function parseCli<const O extends CliOptions>(argv: readonly string[], spec: CliSpec<O>): Parsed<O> {
  const { options } = spec
  const positionals = spec.positionals ?? []
  let parsed: Parsed<O>
  try {
    parsed = parseArgs({ args: [...argv], options, strict: true, allowPositionals: true })
  } catch (error) {
    const code = (error as { code?: string }).code
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new UsageError(`unknown option ${unknownOption(argv, options) ?? '?'}; known: ${knownOptions(options)}${positionals.length ? `; arguments: ${positionals.join(' ')}` : ''}`)
    const message = (error as Error).message
    // "Option '-l, --listen <value>' argument missing" → "--listen needs a value"
    const missing = code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && /argument missing/.test(message) ? /--[\w-]+/.exec(message)?.[0] : undefined
    if (missing) throw new UsageError(`${missing} needs a value; options: ${knownOptions(options)}`)
    throw new UsageError(`${message}; options: ${knownOptions(options)}`)
  }
  if (parsed.positionals.length > positionals.length) {
    const takes = positionals.length ? `at most ${positionals.length} positional argument${positionals.length > 1 ? 's' : ''} (${positionals.join(', ')})` : 'no positional arguments'
    throw new UsageError(`unexpected argument ${JSON.stringify(parsed.positionals[positionals.length])}: takes ${takes}; options: ${knownOptions(options)}`)
  }
  return parsed
}

/** The first option in `argv` that is not one of `options`, as typed (e.g. "--foo"). */
function unknownOption(argv: readonly string[], options: CliOptions): string | undefined {
  const { tokens } = parseArgs({ args: [...argv], options, strict: false, allowPositionals: true, tokens: true })
  for (const t of tokens) if (t.kind === 'option' && !Object.hasOwn(options, t.name)) return t.rawName
  return undefined
}

/** A number argument's value: `fallback` when absent; a UsageError when it is not a number in [min, max] (or not
 * whole when `integer`). `label` is how the message names it: "--seconds", or a positional's name. */
export function numberOption(label: string, raw: string | undefined, fallback: number, range: { min?: number; max?: number; integer?: boolean } = {}): number {
  if (raw === undefined) return fallback
  const { min = -Infinity, max = Infinity, integer = false } = range
  const value = Number(raw)
  if (raw.trim() === '' || !Number.isFinite(value) || (integer && !Number.isInteger(value)) || value < min || value > max) {
    const bounds = min > -Infinity && max < Infinity ? ` ${min}..${max}` : min > -Infinity ? ` ≥ ${min}` : max < Infinity ? ` ≤ ${max}` : ''
    throw new UsageError(`${label} needs ${integer ? 'a whole number' : 'a number'}${bounds}, got ${JSON.stringify(raw)}`)
  }
  return value
}

/**
 * Run `parse` (which reads the command line); on a UsageError print "<program>: <message>" (and `usage`, when given)
 * to stderr and exit with code 2. Anything else is rethrown.
 */
export function parseOrExit<T>(program: string, parse: () => T, usage?: string): T {
  try {
    return parse()
  } catch (error) {
    if (!(error instanceof UsageError)) throw error
    process.stderr.write(`${program}: ${error.message}\n${usage ? `${usage}\n` : ''}`)
    process.exit(2)
  }
}

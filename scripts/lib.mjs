// Shared helpers for the project scripts. Node builtins only: these run before node_modules exists.
import { spawnSync, spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..')

export function say(line) {
  process.stdout.write(`[setup] ${line}\n`)
}

export function fail(message) {
  process.stderr.write(`\n[setup] ${message}\n`)
  process.exit(1)
}

export function hashFiles(paths) {
  const h = createHash('sha256')
  for (const p of paths) h.update(existsSync(p) ? readFileSync(p) : `missing:${p}`)
  return h.digest('hex').slice(0, 16)
}

/** Run a command with inherited output; resolves with its exit code. */
export function run(command, args, options = {}) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: 'inherit', cwd: repoRoot, ...options })
    child.on('error', (error) => {
      process.stderr.write(`[setup] could not run ${command}: ${error.message}\n`)
      resolve(127)
    })
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)))
  })
}

export function commandExists(name) {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0
}

/** Path of the Electron binary if it was downloaded, else null. */
export function electronBinary() {
  const pathTxt = join(repoRoot, 'node_modules', 'electron', 'path.txt')
  if (!existsSync(pathTxt)) return null
  const bin = join(repoRoot, 'node_modules', 'electron', 'dist', readFileSync(pathTxt, 'utf8').trim())
  return existsSync(bin) ? bin : null
}

/**
 * Desktop app or browser mode, for `npm start` and `npm run dev`: browser mode when asked (`--browser`,
 * VOICE_BROWSER_MODE=1), without an Electron binary, or on Linux without a display; the reason is shown to the user.
 */
export function chooseAppMode({ args, env, platform, electron }) {
  const forceBrowser = args.includes('--browser') || env.VOICE_BROWSER_MODE === '1'
  const canShowWindow = platform !== 'linux' || Boolean(env.DISPLAY || env.WAYLAND_DISPLAY)
  if (electron && !forceBrowser && canShowWindow) return { mode: 'electron', reason: null }
  const reason = forceBrowser
    ? 'browser mode was requested'
    : !electron
      ? 'the Electron binary is not installed (its download host was not reachable)'
      : 'no display is available for a desktop window'
  return { mode: 'browser', reason }
}

/**
 * Command lines of the scripts: `node:util` parseArgs with `strict: true`, so a mistyped flag is an error that names
 * the flags there are. The same as src/node/cli.ts (which the TypeScript entries and benches use; plain node cannot
 * import it); keep the two messages alike.
 */
export class UsageError extends Error {
  constructor(message) {
    super(message)
    this.name = 'UsageError'
  }
}

/** "--dir, --quiet (-q)": the options as they are typed. */
export function knownOptions(options) {
  const names = Object.entries(options).map(([name, o]) => `--${name}${o.short ? ` (-${o.short})` : ''}`)
  return names.length ? names.join(', ') : 'none'
}

/** parseArgs({ strict: true }) of `argv`; `positionals` names the positional arguments taken (none by default).
 * Throws UsageError for an unknown option (naming the known ones), a missing or extra value, or too many positionals. */
export function parseCli(argv, { options, positionals = [] }) {
  let parsed
  try {
    parsed = parseArgs({ args: [...argv], options, strict: true, allowPositionals: true })
  } catch (error) {
    if (error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      const { tokens } = parseArgs({ args: [...argv], options, strict: false, allowPositionals: true, tokens: true })
      const unknown = tokens.find((t) => t.kind === 'option' && !Object.hasOwn(options, t.name))
      throw new UsageError(`unknown option ${unknown?.rawName ?? '?'}; known: ${knownOptions(options)}${positionals.length ? `; arguments: ${positionals.join(' ')}` : ''}`)
    }
    const missing = error.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && /argument missing/.test(error.message) ? /--[\w-]+/.exec(error.message)?.[0] : undefined
    if (missing) throw new UsageError(`${missing} needs a value; options: ${knownOptions(options)}`)
    throw new UsageError(`${error.message}; options: ${knownOptions(options)}`)
  }
  if (parsed.positionals.length > positionals.length) {
    const takes = positionals.length ? `at most ${positionals.length} positional argument${positionals.length > 1 ? 's' : ''} (${positionals.join(', ')})` : 'no positional arguments'
    throw new UsageError(`unexpected argument ${JSON.stringify(parsed.positionals[positionals.length])}: takes ${takes}; options: ${knownOptions(options)}`)
  }
  return parsed
}

/** Run `parse` (which reads the command line); on a UsageError print "<program>: <message>" (and `usage`, when given)
 * to stderr and exit with code 2. Anything else is rethrown. */
export function parseOrExit(program, parse, usage) {
  try {
    return parse()
  } catch (error) {
    if (!(error instanceof UsageError)) throw error
    process.stderr.write(`${program}: ${error.message}\n${usage ? `${usage}\n` : ''}`)
    process.exit(2)
  }
}

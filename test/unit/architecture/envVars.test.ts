import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'

/**
 * README lists every environment variable the code reads (src, scripts, bench), and nothing else: a new
 * `process.env.X` (or `env.X` on a ProcessEnv, `env['X']`, `env[SOME_ENV]`, `const { X } = process.env`) fails here
 * until README's "Environment variables" section has a row for it, and the message names the variable and where
 * it is read. Names kept in constants follow the repo's convention `const SOMETHING_ENV = 'NAME'`. A read whose name
 * is computed at run time must be acknowledged in DYNAMIC_READS with what README says about it.
 */

const root = join(import.meta.dirname, '..', '..', '..')
const SCANNED = ['src', 'scripts', 'bench']
const SOURCE = /\.(ts|tsx|mts|mjs|js)$/

/** Reads whose name is not in the code: `file → the indexing expression` (what README documents instead). */
const DYNAMIC_READS: Record<string, string[]> = {
  // --providers' `apiKeyEnv`: the operator names the variable that holds each provider's key (README: Security model).
  'src/server/auth/operatorProviders.ts': ['entry.apiKeyEnv'],
  // takeEnv(name): read-and-remove, called with the *_ENV constants (found through them).
  'src/server/main.ts': ['name']
}

const ENV_NAME = /^[A-Z][A-Z0-9_]*$/
/** `env` as a variable or a property: process.env, opts.env, input.env (not `environment`, not `myEnv`). */
const ENV_REF = String.raw`(?<![\w$])(?:[\w$]+\s*\.\s*)*env`

export interface EnvRead {
  name: string
  where: string
}

function sourceFiles(dir: string): string[] {
  const out: string[] = []
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) out.push(...sourceFiles(path))
    else if (SOURCE.test(entry.name) && !entry.name.endsWith('.d.ts') && !entry.name.endsWith('.d.mts')) out.push(path)
  }
  return out
}

/** Whole-line comments out (text in comments is not code); line numbers kept. */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, (m) => m.replace(/[^\n]/g, ' ')).replace(/^\s*\/\/.*$/gm, '')
}

const lineOf = (text: string, index: number): number => text.slice(0, index).split('\n').length

/** Every environment variable read in these files, and every computed read not acknowledged in `dynamic`. */
export function findEnvReads(files: Array<{ path: string; text: string }>, dynamic: Record<string, string[]> = {}): { reads: EnvRead[]; unknownDynamic: string[] } {
  const constants = new Map<string, string>()
  const reads: EnvRead[] = []
  const unknownDynamic: string[] = []
  const sources = files.map((f) => ({ path: f.path, text: code(f.text) }))
  for (const { path, text } of sources) {
    for (const m of text.matchAll(/\bconst\s+([A-Z][A-Z0-9_]*)\s*=\s*(['"`])([A-Z][A-Z0-9_]*)\2/g)) {
      constants.set(m[1]!, m[3]!)
      // The convention: a constant named *_ENV holds the name of an environment variable the code reads.
      if (m[1]!.endsWith('_ENV')) reads.push({ name: m[3]!, where: `${path}:${lineOf(text, m.index)}` })
    }
  }
  for (const { path, text } of sources) {
    const add = (name: string, index: number): void => void reads.push({ name, where: `${path}:${lineOf(text, index)}` })
    for (const m of text.matchAll(new RegExp(String.raw`${ENV_REF}\s*\??\.\s*([A-Z][A-Z0-9_]*)\b`, 'g'))) add(m[1]!, m.index)
    for (const m of text.matchAll(new RegExp(String.raw`${ENV_REF}\s*(?:\?\.)?\[\s*([^\]]+?)\s*\]`, 'g'))) {
      const index = m[1]!
      const literal = /^(['"`])([^'"`]*)\1$/.exec(index)
      if (literal && ENV_NAME.test(literal[2]!)) add(literal[2]!, m.index)
      else if (constants.has(index)) add(constants.get(index)!, m.index)
      else if (!(dynamic[path] ?? []).includes(index)) unknownDynamic.push(`${path}:${lineOf(text, m.index)}: ${m[0].trim()}`)
    }
    for (const m of text.matchAll(new RegExp(String.raw`\b(?:const|let|var)\s*\{([^}]*)\}\s*=\s*${ENV_REF}\b(?!\s*[.[?])`, 'g'))) {
      for (const part of m[1]!.split(',')) {
        const key = part.split(/[:=]/)[0]!.trim()
        if (ENV_NAME.test(key)) add(key, m.index)
      }
    }
  }
  return { reads, unknownDynamic }
}

/** The names README's "Environment variables" section lists (first cell of each table row, in backticks). */
export function readmeEnvVars(readme: string): Set<string> {
  const start = readme.search(/^## Environment variables\s*$/m)
  if (start < 0) return new Set()
  const rest = readme.slice(start + 1)
  const end = rest.search(/^## /m)
  const section = end < 0 ? rest : rest.slice(0, end)
  const names = new Set<string>()
  for (const m of section.matchAll(/^\|\s*((?:`[A-Z][A-Z0-9_]*`(?:,\s*)?)+)\s*\|/gm)) for (const n of m[1]!.matchAll(/`([A-Z][A-Z0-9_]*)`/g)) names.add(n[1]!)
  return names
}

function repoReads(): { reads: EnvRead[]; unknownDynamic: string[] } {
  const files = SCANNED.flatMap((d) => sourceFiles(join(root, d))).map((path) => ({ path: relative(root, path), text: readFileSync(path, 'utf8') }))
  return findEnvReads(files, DYNAMIC_READS)
}

describe('environment variables: README lists every one the code reads', () => {
  it('finds reads in every form the code uses (the scanner itself)', () => {
    const files = [
      {
        path: 'a.ts',
        text: [
          "const FOO_ENV = 'FOO_FILE'",
          'const x = process.env.ALPHA ?? process.env?.BETA',
          "const y = env.GAMMA + opts.env['DELTA'] + input.env[FOO_ENV] + process.env[\"EPSILON\"]",
          'const { ZETA, ETA: renamed, THETA = 1 } = process.env',
          '// process.env.IN_A_COMMENT is not a read',
          'const z = process.env[someName] + environment.NOT_ENV + env.lowercase'
        ].join('\n')
      }
    ]
    const { reads, unknownDynamic } = findEnvReads(files)
    expect(new Set(reads.map((r) => r.name))).toEqual(new Set(['FOO_FILE', 'ALPHA', 'BETA', 'GAMMA', 'DELTA', 'EPSILON', 'ZETA', 'ETA', 'THETA']))
    expect(reads.find((r) => r.name === 'GAMMA')?.where).toBe('a.ts:3')
    expect(unknownDynamic).toEqual(['a.ts:6: process.env[someName]'])
    expect(findEnvReads(files, { 'a.ts': ['someName'] }).unknownDynamic).toEqual([])
  })

  it('reads the README section as table rows of names in backticks', () => {
    const readme = '# X\n## Environment variables\n| variable | what |\n| --- | --- |\n| `A_B` | a |\n| `C`, `D_E` | two |\ntext `NOT_A_ROW`\n## Next\n| `LATER` | no |\n'
    expect(readmeEnvVars(readme)).toEqual(new Set(['A_B', 'C', 'D_E']))
  })

  it('no computed read goes unacknowledged', () => {
    expect(repoReads().unknownDynamic, 'an environment variable read by a computed name: name it with a *_ENV constant, or add it to DYNAMIC_READS with what README says about it').toEqual([])
  })

  it('README.md lists every variable read in src, scripts and bench', () => {
    const listed = readmeEnvVars(readFileSync(join(root, 'README.md'), 'utf8'))
    const missing = new Map<string, string[]>()
    for (const read of repoReads().reads) if (!listed.has(read.name)) missing.set(read.name, [...(missing.get(read.name) ?? []), read.where])
    const report = [...missing].map(([name, where]) => `${name} (read at ${[...new Set(where)].join(', ')})`)
    expect(report, `README.md's "## Environment variables" section has no row for: ${report.join('; ')}. Add a row \`| \`NAME\` | what it does |\` there.`).toEqual([])
  })

  it('README.md lists no variable the code does not read', () => {
    const read = new Set(repoReads().reads.map((r) => r.name))
    const stale = [...readmeEnvVars(readFileSync(join(root, 'README.md'), 'utf8'))].filter((name) => !read.has(name))
    expect(stale, `README.md's "## Environment variables" section lists variables nothing reads any more: ${stale.join(', ')}`).toEqual([])
  })
})

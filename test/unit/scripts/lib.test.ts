import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { knownOptions, parseCli, repoRoot, UsageError } from '../../../scripts/lib.mjs'

const spec = { options: { dir: { type: 'boolean' }, jobs: { type: 'string' }, quiet: { type: 'boolean', short: 'q' } } } as const

describe('scripts/lib.mjs parseCli: parseArgs, strict (the same messages as src/node/cli.ts)', () => {
  it('reads known options', () => {
    expect(parseCli(['--dir', '--jobs', '4', '-q'], spec).values).toEqual({ dir: true, jobs: '4', quiet: true })
    expect(parseCli(['start'], { options: {}, positionals: ['purpose'] }).positionals).toEqual(['start'])
  })

  it('an unknown option names the known ones; extra positionals and missing values are errors', () => {
    expect(() => parseCli(['--layout'], spec)).toThrow(new UsageError('unknown option --layout; known: --dir, --jobs, --quiet (-q)'))
    expect(() => parseCli(['x'], spec)).toThrow(/^unexpected argument "x": takes no positional arguments; options: --dir/)
    expect(() => parseCli(['--jobs'], spec)).toThrow(UsageError)
    expect(knownOptions({})).toBe('none')
  })

  it('a script exits with code 2 and names the known flags (package.mjs, before it bootstraps anything)', () => {
    const r = spawnSync(process.execPath, [join(repoRoot, 'scripts', 'package.mjs'), '--layout'], { encoding: 'utf8', timeout: 20_000 })
    expect(r.status).toBe(2)
    expect(r.stderr).toBe('package: unknown option --layout; known: --dir, --layout-only\n')
  })
})
